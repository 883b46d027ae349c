import { expect } from 'chai';
import type { RowDataPacket } from 'mysql2/promise';
import { describeTable, openTestMysql, type TestMysql } from '../../support/mysql.ts';

/**
 * The schema the migrations build, as information_schema reports it: every column's exact type and
 * nullability (`?` = NULL allowed). A change here is a new migration, never an edit of an old one.
 */
const ID = 'bigint(20) unsigned';
const COUNT = 'bigint(20) unsigned';
const SYMBOL = 'varchar(25)';
const ASSET = 'varchar(12)';
const TIME = 'datetime(3)';
const SIDE = "enum('buy','sell')";

const EXPECTED: Record<string, Record<string, string>> = {
  markets: {
    symbol: SYMBOL,
    base: ASSET,
    quote: ASSET,
    base_precision: 'tinyint(3) unsigned',
    quote_precision: 'tinyint(3) unsigned',
    tick_size: 'varchar(64)',
    lot_size: 'varchar(64)',
    min_notional: 'varchar(64)',
    maker_fee_ppm: 'int(10) unsigned',
    taker_fee_ppm: 'int(10) unsigned',
    status: "enum('trading','halted')",
    created_at: TIME,
    updated_at: TIME,
  },
  orders: {
    order_id: ID,
    symbol: SYMBOL,
    user_id: ID,
    client_order_id: 'varchar(36)?',
    side: SIDE,
    type: "enum('limit','market')",
    price_ticks: `${COUNT}?`,
    quantity_lots: `${COUNT}?`,
    quote_quantity: `${COUNT}?`,
    time_in_force: "enum('GTC','IOC','FOK')",
    post_only: 'tinyint(1)',
    self_trade_prevention: "enum('expire_taker','expire_maker','expire_both','none')",
    status: "enum('new','partially_filled','filled','canceled','expired','rejected')",
    filled_quantity: COUNT,
    filled_quote: COUNT,
    reject_reason: 'varchar(64)?',
    entry_seq: `${COUNT}?`,
    created_at_ms: COUNT,
    updated_at_ms: COUNT,
    version: COUNT,
  },
  trades: {
    symbol: SYMBOL,
    seq: COUNT,
    trade_id: 'varchar(64)',
    price_ticks: COUNT,
    quantity_lots: COUNT,
    quote_quantity: COUNT,
    taker_side: SIDE,
    maker_order_id: ID,
    taker_order_id: ID,
    maker_user_id: ID,
    taker_user_id: ID,
    maker_fee: COUNT,
    taker_fee: COUNT,
    time_ms: COUNT,
  },
  balances: {
    user_id: ID,
    asset: ASSET,
    available: COUNT,
    locked: COUNT,
    fees_paid: COUNT,
    version: COUNT,
    updated_at: TIME,
  },
  deposits: { deposit_id: 'varchar(64)', user_id: ID, asset: ASSET, amount: COUNT, created_at: TIME },
  withdrawals: {
    withdrawal_id: 'varchar(64)',
    user_id: ID,
    asset: ASSET,
    amount: COUNT,
    status: "enum('ok','insufficient_funds')",
    created_at: TIME,
  },
  symbol_checkpoints: {
    symbol: SYMBOL,
    epoch: COUNT,
    last_stream_id: 'varchar(41)',
    last_seq: COUNT,
    maker_fee_ppm: 'int(10) unsigned?',
    taker_fee_ppm: 'int(10) unsigned?',
    last_timestamp_ms: COUNT,
    updated_at: TIME,
  },
  schema_migrations: {
    version: 'int(10) unsigned',
    name: 'varchar(255)',
    checksum: 'char(64)',
    statements: 'int(10) unsigned',
    duration_ms: 'int(10) unsigned',
    applied_at: TIME,
  },
};

const PRIMARY_KEYS: Record<string, string> = {
  markets: 'symbol',
  orders: 'order_id',
  trades: 'symbol,seq',
  balances: 'user_id,asset',
  deposits: 'user_id,deposit_id',
  withdrawals: 'user_id,withdrawal_id',
  symbol_checkpoints: 'symbol',
  schema_migrations: 'version',
};

/** Columns that count money or matching units: each says in its comment what it counts in. */
const AMOUNT = /^(price_ticks|quantity_lots|quote_quantity|filled_\w+|\w*fee\w*|available|locked|amount)$/;

describe('mysql/migrations: the schema', () => {
  let t: TestMysql;
  before(async () => {
    t = await openTestMysql();
  });
  after(async () => t.close());

  it('has exactly the expected tables', async () => {
    const [rows] = await t.pool.query<RowDataPacket[]>(
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1',
    );
    expect(rows.map((r) => r.name)).to.deep.equal(Object.keys(EXPECTED).sort());
  });

  for (const [table, columns] of Object.entries(EXPECTED)) {
    it(`${table}: has the expected columns, types and primary key`, async () => {
      const actual = await describeTable(t.pool, table);
      const described = Object.fromEntries(
        [...actual.values()].map((c) => [c.name, c.columnType + (c.nullable ? '?' : '')]),
      );
      expect(described).to.deep.equal(columns);
      const [keys] = await t.pool.query<RowDataPacket[]>(
        `SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) AS pk
           FROM information_schema.KEY_COLUMN_USAGE
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'`,
        [table],
      );
      expect(keys[0]!.pk).to.equal(PRIMARY_KEYS[table]);
      for (const column of actual.values()) {
        if (AMOUNT.test(column.name)) expect(column.comment, `${table}.${column.name}`).to.not.equal('');
      }
    });
  }

  it('stores no number as FLOAT, DOUBLE or fractional DECIMAL, anywhere', async () => {
    const [rows] = await t.pool.query<RowDataPacket[]>(
      `SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', COLUMN_TYPE) AS col
         FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE()
          AND (DATA_TYPE IN ('float', 'double', 'real') OR (DATA_TYPE = 'decimal' AND NUMERIC_SCALE > 0))`,
    );
    expect(rows.map((r) => r.col)).to.deep.equal([]);
  });

  it('uses InnoDB and utf8mb4 with a binary collation for every table', async () => {
    const [rows] = await t.pool.query<RowDataPacket[]>(
      `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`,
    );
    for (const row of rows)
      expect([row.name, row.engine, row.collation]).to.deep.equal([row.name, 'InnoDB', 'utf8mb4_bin']);
  });

  it("has the indexes the reads need: a user's orders and fills, a symbol's open orders", async () => {
    const [rows] = await t.pool.query<RowDataPacket[]>(
      `SELECT CONCAT(TABLE_NAME, ' ', INDEX_NAME, ' (', GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX), ')') AS idx
         FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' AND TABLE_NAME IN ('orders', 'trades')
        GROUP BY TABLE_NAME, INDEX_NAME ORDER BY 1`,
    );
    expect(rows.map((r) => r.idx)).to.deep.equal([
      'orders orders_by_symbol_status (symbol,status)',
      'orders orders_by_user (user_id,symbol,created_at_ms)',
      'trades trades_by_maker_order (maker_order_id)',
      'trades trades_by_maker_user (maker_user_id,symbol,seq)',
      'trades trades_by_taker_order (taker_order_id)',
      'trades trades_by_taker_user (taker_user_id,symbol,seq)',
    ]);
  });

  it('runs every pooled session in UTC with a strict sql_mode', async () => {
    const [rows] = await t.pool.query<RowDataPacket[]>(
      'SELECT @@session.time_zone AS tz, @@session.sql_mode AS mode',
    );
    expect(rows[0]!.tz).to.equal('+00:00');
    expect(rows[0]!.mode).to.contain('STRICT_ALL_TABLES');
  });

  it('closes a session whose transaction idles 5 s (a paused zombie cannot hold a claim back)', async () => {
    const [rows] = await t.pool.query<RowDataPacket[]>(
      'SELECT @@session.idle_transaction_timeout AS idle, @@session.innodb_lock_wait_timeout AS lockWait',
    );
    expect(Number(rows[0]!.idle)).to.equal(5);
    expect(Number(rows[0]!.lockWait)).to.equal(15);
  });
});
