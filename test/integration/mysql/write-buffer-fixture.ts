/**
 * What the WriteBuffer integration tests share: a database of their own on the real MariaDB
 * (test/support/mysql.ts: created and migrated in before(), dropped in after()), whose
 * symbol_checkpoints is the real one, plus small test tables of this file with their upsert
 * templates, and helpers to read state, hold row locks and await flushes.
 */
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { createMysqlPool } from '../../../src/mysql/connection.ts';
import { parseUpsertTemplate } from '../../../src/mysql/sql-statements.ts';
import { defineTable, type FlushResult } from '../../../src/mysql/write-buffer.ts';
import { openTestMysql } from '../../support/mysql.ts';

/** Nothing listens there: a server that is down. */
const DEAD_URL = 'mysql://root@127.0.0.1:1/nothing';

export const ORDERS = defineTable({
  name: 'test_orders',
  columns: ['order_id', 'symbol', 'status', 'filled'],
  primaryKey: ['order_id'],
  upsert: parseUpsertTemplate(
    'test-orders-upsert',
    `-- test_orders: the latest state of an order wins.
     INSERT INTO test_orders (order_id, symbol, status, filled) VALUES /*:rows*/
     ON DUPLICATE KEY UPDATE symbol = VALUES(symbol), status = VALUES(status), filled = VALUES(filled)`,
  ),
});

export const BALANCES = defineTable({
  name: 'test_balances',
  columns: ['user_id', 'asset', 'available', 'locked', 'version'],
  primaryKey: ['user_id', 'asset'],
  version: 'version',
  upsert: parseUpsertTemplate(
    'test-balances-upsert',
    `-- test_balances: an older version never overwrites a newer one.
     INSERT INTO test_balances (user_id, asset, available, locked, version) VALUES /*:rows*/
     ON DUPLICATE KEY UPDATE
       available = IF(VALUES(version) > version, VALUES(available), available),
       locked = IF(VALUES(version) > version, VALUES(locked), locked),
       version = IF(VALUES(version) > version, VALUES(version), version)`,
  ),
});

/**
 * One column per kind of value the driver escapes into the text of a statement, for the tests that
 * read them back exactly (write-buffer-text-protocol.test.ts).
 */
export const VALUES = defineTable({
  name: 'test_values',
  columns: ['id', 'label', 'signed_big', 'unsigned_big', 'amount', 'happened_at', 'raw_bytes'],
  primaryKey: ['id'],
  upsert: parseUpsertTemplate(
    'test-values-upsert',
    `-- test_values: the latest row of an id wins.
     INSERT INTO test_values (id, label, signed_big, unsigned_big, amount, happened_at, raw_bytes)
     VALUES /*:rows*/
     ON DUPLICATE KEY UPDATE label = VALUES(label), signed_big = VALUES(signed_big),
       unsigned_big = VALUES(unsigned_big), amount = VALUES(amount), happened_at = VALUES(happened_at),
       raw_bytes = VALUES(raw_bytes)`,
  ),
});

const TEST_TABLES = [
  `CREATE TABLE test_orders (
     order_id BIGINT PRIMARY KEY, symbol VARCHAR(32) NOT NULL, status VARCHAR(16) NOT NULL,
     filled DECIMAL(36, 0) NOT NULL, CONSTRAINT filled_not_negative CHECK (filled >= 0)) ENGINE=InnoDB`,
  `CREATE TABLE test_balances (
     user_id BIGINT NOT NULL, asset VARCHAR(16) NOT NULL, available DECIMAL(36, 0) NOT NULL,
     locked DECIMAL(36, 0) NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (user_id, asset)) ENGINE=InnoDB`,
  // Rows a lock holder writes to weigh more than the flush, so InnoDB picks the flush as victim.
  `CREATE TABLE test_ballast (id INT PRIMARY KEY) ENGINE=InnoDB`,
  `CREATE TABLE test_values (
     id INT PRIMARY KEY, label VARCHAR(64) NULL, signed_big BIGINT NULL, unsigned_big BIGINT UNSIGNED NULL,
     amount DECIMAL(38, 0) NULL, happened_at DATETIME(3) NULL, raw_bytes VARBINARY(16) NULL)
   ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];

/** What reset() empties: the test tables, and the real table the checkpoints go to. */
const RESET_TABLES = ['test_orders', 'test_balances', 'test_ballast', 'test_values', 'symbol_checkpoints'];

export interface TestDatabase {
  readonly name: string;
  /** A pool on the test database: what the buffers under test flush through. */
  readonly pool: Pool;
  /** Another pool on the test database. */
  newPool(): Pool;
  /** A pool whose server is down: every getConnection() fails with ECONNREFUSED. */
  deadPool(): Pool;
  /** A connection of its own, for holding locks or bumping epochs; released by close(). */
  connect(): Promise<PoolConnection>;
  select<T>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Empties the test tables and symbol_checkpoints. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const t = await openTestMysql();
  for (const statement of TEST_TABLES) await t.pool.query(statement);
  const holders = t.openPool({ connectionLimit: 2 });
  const held: PoolConnection[] = [];
  const dead: Pool[] = [];
  return {
    name: t.database,
    pool: t.pool,
    newPool: () => t.openPool(),
    deadPool() {
      const pool = createMysqlPool({ mysql: { url: DEAD_URL } }, { connectTimeoutMs: 1000 });
      dead.push(pool);
      return pool;
    },
    async connect() {
      const connection = await holders.getConnection();
      held.push(connection);
      return connection;
    },
    async select<T>(sql: string, values: unknown[] = []) {
      const [rows] = await t.pool.query<RowDataPacket[]>(sql, values);
      return rows as T[];
    },
    async reset() {
      for (const table of RESET_TABLES) await t.pool.query(`DELETE FROM ${table}`);
    },
    async close() {
      for (const connection of held.splice(0)) connection.release();
      await Promise.all(dead.map((pool) => pool.end()));
      await t.close();
    },
  };
}

/** Collects onFlush results; `next()` waits for the next one not yet taken. */
export class FlushRecorder {
  readonly results: FlushResult[] = [];
  #taken = 0;
  #waiters: (() => void)[] = [];

  readonly record = (result: FlushResult): void => {
    this.results.push(result);
    for (const wake of this.#waiters.splice(0)) wake();
  };

  async next(timeoutMs = 5000): Promise<FlushResult> {
    const deadline = Date.now() + timeoutMs;
    while (this.results.length <= this.#taken) {
      if (Date.now() > deadline) throw new Error('no flush within the timeout');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.results[this.#taken++]!;
  }
}

/** An order row of test_orders. */
export function order(orderId: number | bigint | string, status = 'new', filled = '0', symbol = 'BTC-USD') {
  return { order_id: orderId, symbol, status, filled };
}

/** Polls until a transaction of the test database waits for a row lock (InnoDB's view refreshes every 100 ms). */
export async function waitForLockWait(db: TestDatabase, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.select<{ waiting: number }>(
      `SELECT COUNT(*) AS waiting FROM information_schema.innodb_trx t
       JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
       WHERE t.trx_state = 'LOCK WAIT' AND p.db = ?`,
      [db.name],
    );
    if (Number(row!.waiting) > 0) return;
    if (Date.now() > deadline) throw new Error('no transaction waited for a lock');
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
