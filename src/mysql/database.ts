import type { ResultSetHeader } from 'mysql2/promise';
import type { Config } from '../config/config.ts';
import { createMysqlPool, MysqlUrlError, parseMysqlUrl } from './connection.ts';
import { loadStatement } from './sql-files.ts';

const CREATE_DATABASE = loadStatement(new URL('./migrator/', import.meta.url), 'create-database.sql');

/**
 * Creates the database that `config.mysql.url` names, if it is missing (utf8mb4, binary collation),
 * through a connection that selects no database. Used before migrating a fresh server.
 */
export async function createDatabaseIfMissing(
  config: Pick<Config, 'mysql'>,
): Promise<{ readonly database: string; readonly created: boolean }> {
  const { database } = parseMysqlUrl(config.mysql.url);
  if (database === undefined) {
    throw new MysqlUrlError('MYSQL_URL names no database: mysql://user@host:3306/<database>');
  }
  const pool = createMysqlPool(config, { withoutDatabase: true, connectionLimit: 1 });
  try {
    const [result] = await pool.query<ResultSetHeader>(CREATE_DATABASE, [database]);
    // An existing database leaves a note ("database exists") instead of creating one.
    return { database, created: result.warningStatus === 0 };
  } finally {
    await pool.end();
  }
}
