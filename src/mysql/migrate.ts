import { performance } from 'node:perf_hooks';
import type { Connection, Pool, RowDataPacket } from 'mysql2/promise';
import { MigrationError, readMigrationFiles, type MigrationFile } from './migration-files.ts';
import { loadStatement } from './sql-files.ts';

export { MigrationError, type MigrationErrorCode } from './migration-files.ts';

/**
 * Applies the pending migrations of `src/mysql/migrations` to the connection's database.
 *
 * - One run at a time per database: a named lock (`GET_LOCK('<db>.migrations')`) makes concurrent
 *   runs (two pods starting, a migration Job and a developer) wait for each other; the later run
 *   then finds nothing pending.
 * - Before applying anything it checks that every applied migration still has its file, unchanged
 *   (same name, same SHA-256): migrations are append-only, and a database built from other files
 *   than the code's is refused with the file's name rather than migrated further.
 * - MariaDB commits each DDL statement at once, so a file is not atomic. A migration is recorded
 *   only after all its statements succeeded; a run that stopped half-way runs the whole file again,
 *   which is why migrations are written to be re-runnable (`CREATE TABLE IF NOT EXISTS`,
 *   `ADD COLUMN IF NOT EXISTS`, `CREATE INDEX IF NOT EXISTS`).
 */

export type MigrationTarget = Pool | Connection;

export interface MigrateOptions {
  /** Directory of the numbered `.sql` files (a path or a file: URL). Default: `src/mysql/migrations`. */
  readonly directory?: string | URL;
  /** Seconds to wait for another run's lock before failing with LOCK_TIMEOUT. Default: 60. */
  readonly lockTimeoutSeconds?: number;
  /** Called after each migration is applied and recorded, e.g. to print progress. Default: none. */
  readonly onApplied?: (migration: AppliedMigration) => void;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly statements: number;
  readonly durationMs: number;
}

export interface MigrateResult {
  /** What this run applied, in order; empty when the database was up to date. */
  readonly applied: readonly AppliedMigration[];
  /** The database's schema version afterwards: the number of its last migration. */
  readonly version: number;
}

const MIGRATOR_SQL = new URL('./migrator/', import.meta.url);
const SQL = {
  currentDatabase: loadStatement(MIGRATOR_SQL, 'current-database.sql'),
  getLock: loadStatement(MIGRATOR_SQL, 'get-lock.sql'),
  releaseLock: loadStatement(MIGRATOR_SQL, 'release-lock.sql'),
  createTable: loadStatement(MIGRATOR_SQL, 'create-schema-migrations.sql'),
  selectApplied: loadStatement(MIGRATOR_SQL, 'select-applied.sql'),
  recordApplied: loadStatement(MIGRATOR_SQL, 'record-applied.sql'),
};

const DEFAULT_LOCK_TIMEOUT_SECONDS = 60;

/** Runs on a connection of its own when given a pool: the named lock belongs to one session. */
export async function migrate(target: MigrationTarget, options: MigrateOptions = {}): Promise<MigrateResult> {
  const files = readMigrationFiles(options.directory);
  if (!('getConnection' in target)) return migrateOn(target, files, options);
  const connection = await target.getConnection();
  try {
    return await migrateOn(connection, files, options);
  } finally {
    connection.release();
  }
}

async function migrateOn(
  connection: Connection,
  files: readonly MigrationFile[],
  options: MigrateOptions,
): Promise<MigrateResult> {
  const database = await currentDatabase(connection);
  await acquireLock(connection, database, options.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS);
  try {
    await connection.query(SQL.createTable);
    const [rows] = await connection.query<RowDataPacket[]>(SQL.selectApplied);
    const pending = pendingMigrations(files, rows as AppliedRow[]);
    const applied: AppliedMigration[] = [];
    for (const file of pending) {
      const migration = await apply(connection, file);
      applied.push(migration);
      options.onApplied?.(migration);
    }
    return { applied, version: files.length };
  } finally {
    // Closing the session would release the lock too, so a failure here changes nothing.
    await connection.query(SQL.releaseLock).catch(() => undefined);
  }
}

async function currentDatabase(connection: Connection): Promise<string> {
  const [rows] = await connection.query<RowDataPacket[]>(SQL.currentDatabase);
  const name = rows[0]?.name as string | null | undefined;
  if (!name) {
    throw new MigrationError(
      'NO_DATABASE',
      'the connection has no database selected: name it in MYSQL_URL (mysql://user@host:3306/<database>)',
    );
  }
  return name;
}

async function acquireLock(connection: Connection, database: string, timeoutSeconds: number): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>(SQL.getLock, [timeoutSeconds]);
  const locked = rows[0]?.locked as string | number | null | undefined;
  if (String(locked) !== '1') {
    throw new MigrationError(
      'LOCK_TIMEOUT',
      `another migration run on database ${database} held the lock "${database.slice(0, 53)}.migrations" ` +
        `for more than ${timeoutSeconds} s; if none is running, a stuck session holds it ` +
        `(SELECT IS_USED_LOCK('${database.slice(0, 53)}.migrations') gives its connection id)`,
    );
  }
}

interface AppliedRow {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

/** The files still to apply, after checking that the applied ones are exactly the first files. */
export function pendingMigrations(
  files: readonly MigrationFile[],
  applied: readonly AppliedRow[],
): readonly MigrationFile[] {
  applied.forEach((row, index) => {
    const version = Number(row.version);
    if (version !== index + 1) {
      throw new MigrationError(
        'OUT_OF_ORDER',
        `schema_migrations lists version ${version} (${row.name}) where version ${index + 1} was expected: ` +
          'applied migrations must be 1, 2, 3, ...; the table was changed by hand',
      );
    }
    const file = files[index];
    if (file === undefined) {
      throw new MigrationError(
        'MISSING_FILE',
        `${row.name} (version ${version}) was applied to this database but no such file exists: ` +
          'migrations are append-only (restore the file), or the database is ahead of this code',
      );
    }
    if (file.name !== row.name || file.checksum !== row.checksum) {
      const what = file.name !== row.name ? `was renamed to ${file.name}` : 'changed';
      throw new MigrationError(
        'CHECKSUM_MISMATCH',
        `${row.name} ${what} after it was applied (recorded sha256 ${row.checksum}, file ${file.checksum}): ` +
          'applied migrations never change; restore the file and put the change in a new migration',
      );
    }
  });
  return files.slice(applied.length);
}

async function apply(connection: Connection, file: MigrationFile): Promise<AppliedMigration> {
  const started = performance.now();
  for (const [index, statement] of file.statements.entries()) {
    try {
      await connection.query(statement);
    } catch (error) {
      const excerpt = statement.replace(/\s+/g, ' ').slice(0, 80);
      throw new MigrationError(
        'STATEMENT_FAILED',
        `${file.name}: statement ${index + 1} of ${file.statements.length} failed (${excerpt} ...): ` +
          `${(error as Error).message}. The migration was not recorded; MariaDB commits DDL at once, so ` +
          'the statements before it stay applied: fix the file and run again (its statements must be re-runnable)',
        { cause: error },
      );
    }
  }
  const durationMs = Math.round(performance.now() - started);
  const { version, name, checksum } = file;
  const count = file.statements.length;
  await connection.query(SQL.recordApplied, [version, name, checksum, count, durationMs]);
  return { version, name, checksum, statements: count, durationMs };
}
