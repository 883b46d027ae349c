/**
 * npm run migrate
 * Brings the database that MYSQL_URL names up to date: creates it when it is missing (connecting
 * without a database first), then applies the pending migrations of src/mysql/migrations
 * (src/mysql/migrate.ts). Safe to run from several places at once: runs take turns on a named
 * lock, and a later run finds nothing to do. Exits 1 with the reason when anything fails.
 */
import { loadConfig } from '../src/config/config.ts';
import { createMysqlPool, parseMysqlUrl } from '../src/mysql/connection.ts';
import { createDatabaseIfMissing } from '../src/mysql/database.ts';
import { migrate, MigrationError } from '../src/mysql/migrate.ts';

const log = (message: string) => console.log(`migrate: ${message}`);

async function main(): Promise<void> {
  const config = loadConfig();
  const target = parseMysqlUrl(config.mysql.url);
  const where = `${target.host}:${target.port}`;
  const { database, created } = await createDatabaseIfMissing(config);
  log(`database ${database} on ${where}${created ? ' (created)' : ''}`);
  const pool = createMysqlPool(config, { connectionLimit: 1 });
  try {
    const result = await migrate(pool, {
      onApplied: (m) =>
        log(
          `applied ${m.name} (${m.statements} statement${m.statements === 1 ? '' : 's'}, ${m.durationMs} ms)`,
        ),
    });
    const count = result.applied.length;
    log(
      count === 0
        ? `up to date at version ${result.version}`
        : `applied ${count} migration${count === 1 ? '' : 's'}; now at version ${result.version}`,
    );
  } finally {
    await pool.end();
  }
}

function describe(error: unknown): string {
  if (error instanceof MigrationError) return `${error.code}: ${error.message}`;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT') {
    return `cannot reach MariaDB (${message}); is it running? (bash scripts/ensure-services.sh) Check MYSQL_URL.`;
  }
  if (typeof code === 'string' && code.startsWith('ER_ACCESS_DENIED'))
    return `${message}: check the user and password in MYSQL_URL`;
  return message;
}

try {
  await main();
} catch (error) {
  console.error(`migrate: error: ${describe(error)}`);
  process.exitCode = 1;
}
