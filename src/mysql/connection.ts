import { createPool, type Pool } from 'mysql2/promise';
import type { Config } from '../config/config.ts';
import { loadStatement } from './sql-files.ts';

/**
 * The one way the processes open MySQL (MariaDB) connections: a mysql2 promise pool on
 * `config.mysql.url` (`mysql://user:password@host:port/database`).
 *
 * Exact numbers: BIGINT and DECIMAL columns come back as decimal strings, never as JavaScript
 * numbers (which would round past 2^53), and parameters are best given as strings or bigints.
 * Every new connection runs `session.sql`: UTC time zone and a strict sql_mode.
 */

export interface MysqlPoolOptions {
  /** Most connections the pool keeps open. Default: 10. */
  readonly connectionLimit?: number;
  /** Milliseconds to establish a connection before it counts as failed. Default: 5 000. */
  readonly connectTimeoutMs?: number;
  /** Connect without selecting the URL's database (to create it first). Default: false. */
  readonly withoutDatabase?: boolean;
}

export interface MysqlTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The database named in the URL's path; undefined when the path is empty. */
  readonly database: string | undefined;
}

export class MysqlUrlError extends Error {
  override readonly name = 'MysqlUrlError';
}

/** Database names the processes accept: no quoting needed anywhere, and within MariaDB's 64. */
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Splits MYSQL_URL into its parts; throws MysqlUrlError naming the problem. */
export function parseMysqlUrl(url: string): MysqlTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MysqlUrlError(`MYSQL_URL is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new MysqlUrlError(`MYSQL_URL must start with mysql:// (got ${parsed.protocol}//)`);
  }
  if (parsed.search !== '') {
    throw new MysqlUrlError(
      'MYSQL_URL: query parameters are not supported; give user, host, port and database',
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database !== '' && !DATABASE_NAME.test(database)) {
    throw new MysqlUrlError(
      `MYSQL_URL: database name "${database}" must be 1-64 characters of A-Z a-z 0-9 _`,
    );
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database: database === '' ? undefined : database,
  };
}

const SESSION_SQL = loadStatement(new URL('./', import.meta.url), 'session.sql');

export function createMysqlPool(config: Pick<Config, 'mysql'>, options: MysqlPoolOptions = {}): Pool {
  const target = parseMysqlUrl(config.mysql.url);
  const connectionLimit = options.connectionLimit ?? 10;
  const pool = createPool({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: options.withoutDatabase ? undefined : target.database,
    connectionLimit,
    maxIdle: connectionLimit,
    idleTimeout: 60_000,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    enableKeepAlive: true,
    // A character set in which a backslash byte is never part of a multi-byte character: with
    // session.sql's sql_mode, what makes mysql2's client-side escaping of query() values exact.
    charset: 'UTF8MB4_BIN',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
  });
  // Emitted before the connection is handed out, so the SET is queued ahead of the first query.
  // Should it fail, the connection is destroyed and that first query fails with it.
  pool.pool.on('connection', (connection) => {
    connection.query(SESSION_SQL, (error: Error | null) => {
      if (error) connection.destroy();
    });
  });
  return pool;
}
