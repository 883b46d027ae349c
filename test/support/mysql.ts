/**
 * A real MariaDB for integration tests, shared safely: each test file works in a database of its
 * own, `t_<random>`, created here and dropped by close(). Nothing else on the server is touched.
 * MYSQL_URL points the tests at another server (default mysql://root@127.0.0.1:3306/test); only its
 * host, port and credentials are used, never its database.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createMysqlPool, type MysqlPoolOptions } from '../../src/mysql/connection.ts';
import { createDatabaseIfMissing } from '../../src/mysql/database.ts';
import { migrate } from '../../src/mysql/migrate.ts';

export interface TestMysql {
  /** The test's own database, `t_<12 hex digits>`. */
  readonly database: string;
  /** A config whose MYSQL_URL names that database. */
  readonly config: Pick<Config, 'mysql'>;
  readonly pool: Pool;
  /** Another pool on the same database (concurrency tests); close() ends it too. */
  openPool(options?: MysqlPoolOptions): Pool;
  /** Ends every pool, then drops the database. */
  close(): Promise<void>;
}

export interface TestMysqlOptions {
  /** Apply src/mysql/migrations before returning. Default: true. */
  readonly migrate?: boolean;
  /** The server to use (e.g. a private instance of a failure test); default MYSQL_URL or the shared one. */
  readonly serverUrl?: string;
}

const TEST_DATABASE = /^t_[0-9a-f]{12}$/;

export async function openTestMysql(options: TestMysqlOptions = {}): Promise<TestMysql> {
  const base = loadConfig({ NODE_ENV: 'test', MYSQL_URL: options.serverUrl ?? process.env.MYSQL_URL }).mysql
    .url;
  const database = `t_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${database}`;
  const config = { mysql: { url: url.href } };
  await createDatabaseIfMissing(config);
  const pools: Pool[] = [];
  const openPool = (poolOptions: MysqlPoolOptions = {}) => {
    const pool = createMysqlPool(config, { connectionLimit: 4, ...poolOptions });
    pools.push(pool);
    return pool;
  };
  const pool = openPool();
  const close = async () => {
    await Promise.all(pools.map((p) => p.end()));
    await dropTestDatabase(config, database);
  };
  try {
    if (options.migrate ?? true) await migrate(pool);
  } catch (error) {
    await close();
    throw error;
  }
  return { database, config, pool, openPool, close };
}

async function dropTestDatabase(config: Pick<Config, 'mysql'>, database: string): Promise<void> {
  if (!TEST_DATABASE.test(database)) throw new Error(`refusing to drop ${database}: not a test database`);
  const admin = createMysqlPool(config, { withoutDatabase: true, connectionLimit: 1 });
  try {
    await admin.query('DROP DATABASE IF EXISTS ??', [database]);
  } finally {
    await admin.end();
  }
}

/** The columns of a table as information_schema describes them, by name. */
export interface ColumnInfo {
  readonly name: string;
  /** e.g. `bigint(20) unsigned`, `varchar(25)`, `enum('buy','sell')`. */
  readonly columnType: string;
  readonly dataType: string;
  readonly nullable: boolean;
  readonly comment: string;
}

export async function describeTable(pool: Pool, table: string): Promise<Map<string, ColumnInfo>> {
  const [rows] = await pool.query(
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS columnType, DATA_TYPE AS dataType,
            IS_NULLABLE AS nullable, COLUMN_COMMENT AS comment
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
      ORDER BY ORDINAL_POSITION`,
    [table],
  );
  const columns = new Map<string, ColumnInfo>();
  for (const row of rows as Array<Record<string, string>>) {
    columns.set(row.name!, {
      name: row.name!,
      columnType: row.columnType!,
      dataType: row.dataType!,
      nullable: row.nullable === 'YES',
      comment: row.comment!,
    });
  }
  return columns;
}
