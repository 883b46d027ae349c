import { expect } from 'chai';
import type { RowDataPacket } from 'mysql2/promise';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';

/**
 * What the schema promises its writers: amounts exact to the last unit as strings, constraints that
 * refuse nonsense instead of storing it, and the version-guarded upsert the batch writer relies on
 * (a row is overwritten only by a newer version; a replay or a late flush changes nothing).
 */
const MAX = '9223372036854775807'; // 2^63 - 1, the largest balance (docs/balances.md)
const MAX_U64 = '18446744073709551615'; // 2^64 - 1, the largest order id column value

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(pattern);
    return;
  }
  throw new Error(`expected an error matching ${pattern}`);
}

// Both statements set `version` last: MariaDB assigns left to right, so a version set earlier would
// make every later IF() compare against the new version and keep the old values.
const UPSERT_BALANCE = `
  INSERT INTO balances (user_id, asset, available, locked, fees_paid, version) VALUES ?
  ON DUPLICATE KEY UPDATE
    available = IF(VALUES(version) > version, VALUES(available), available),
    locked = IF(VALUES(version) > version, VALUES(locked), locked),
    fees_paid = IF(VALUES(version) > version, VALUES(fees_paid), fees_paid),
    version = IF(VALUES(version) > version, VALUES(version), version)`;

const UPSERT_ORDER = `
  INSERT INTO orders (order_id, symbol, user_id, side, type, price_ticks, quantity_lots, time_in_force,
                      post_only, self_trade_prevention, status, filled_quantity, filled_quote,
                      entry_seq, created_at_ms, updated_at_ms, version)
  VALUES ?
  ON DUPLICATE KEY UPDATE
    status = IF(VALUES(version) > version, VALUES(status), status),
    filled_quantity = IF(VALUES(version) > version, VALUES(filled_quantity), filled_quantity),
    filled_quote = IF(VALUES(version) > version, VALUES(filled_quote), filled_quote),
    updated_at_ms = IF(VALUES(version) > version, VALUES(updated_at_ms), updated_at_ms),
    version = IF(VALUES(version) > version, VALUES(version), version)`;

type Balance = [
  user: number,
  asset: string,
  available: string,
  locked: string,
  fees: string,
  version: number,
];

function order(id: string, status: string, filled: number, version: number): unknown[] {
  return [
    id,
    'BTC-USDT',
    7,
    'buy',
    'limit',
    3_000_001,
    10,
    'GTC',
    false,
    'expire_taker',
    status,
    filled,
    filled * 30_000_010,
    5,
    1_767_225_600_000,
    1_767_225_600_000 + version,
    version,
  ];
}

describe('mysql/migrations: exact values and version-guarded upserts', () => {
  let t: TestMysql;
  before(async () => {
    t = await openTestMysql();
  });
  after(async () => t.close());

  async function balance(user: number, asset: string): Promise<Record<string, unknown>> {
    const [rows] = await t.pool.query<RowDataPacket[]>(
      'SELECT available, locked, fees_paid, version FROM balances WHERE user_id = ? AND asset = ?',
      [user, asset],
    );
    return { ...rows[0] };
  }

  async function orderState(id: string): Promise<Record<string, unknown>> {
    const [rows] = await t.pool.query<RowDataPacket[]>(
      'SELECT order_id, status, filled_quantity, filled_quote, version FROM orders WHERE order_id = ?',
      [id],
    );
    return { ...rows[0] };
  }

  it('round-trips 2^63 - 1 in BIGINT and in sums exactly, as strings', async () => {
    await t.pool.query(UPSERT_BALANCE, [[[1, 'BTC', MAX, MAX, MAX, 1] satisfies Balance]]);
    // A JavaScript bigint parameter is exact too, with the text and the binary protocol alike.
    await t.pool.query(UPSERT_BALANCE, [[[2, 'BTC', 2n ** 63n - 1n, 0n, 0n, 1n]]]);
    expect(await balance(1, 'BTC')).to.deep.equal({
      available: MAX,
      locked: MAX,
      fees_paid: MAX,
      version: '1',
    });
    const [executed] = await t.pool.execute<RowDataPacket[]>(
      'SELECT available FROM balances WHERE user_id = ? AND available = ?',
      [2, 2n ** 63n - 1n],
    );
    expect(executed.map((r) => r.available)).to.deep.equal([MAX]);
    // Conservation sums per column: SUM() is DECIMAL and exact. Adding columns within a row is
    // BIGINT arithmetic and can overflow, so a query adds the sums, not the columns.
    const [sums] = await t.pool.query<RowDataPacket[]>(
      `SELECT SUM(available) AS total, SUM(available) + SUM(locked) + SUM(fees_paid) AS held
         FROM balances WHERE asset = 'BTC'`,
    );
    expect({ ...sums[0] }).to.deep.equal({ total: '18446744073709551614', held: '36893488147419103228' });
    await rejects(t.pool.query('SELECT SUM(available + locked + fees_paid) FROM balances'), /out of range/);
  });

  it('keeps 64-bit order ids exact', async () => {
    await t.pool.query(UPSERT_ORDER, [[order(MAX_U64, 'new', 0, 1)]]);
    expect((await orderState(MAX_U64)).order_id).to.equal(MAX_U64);
  });

  it('refuses negative amounts, out-of-range values and malformed rows instead of storing them', async () => {
    await rejects(t.pool.query(UPSERT_BALANCE, [[[3, 'BTC', '-1', '0', '0', 1]]]), /Out of range/);
    await rejects(
      t.pool.query(UPSERT_BALANCE, [[[3, 'BTC', '18446744073709551616', '0', '0', 1]]]),
      /Out of range/,
    );
    await rejects(t.pool.query(UPSERT_ORDER, [[order('1', 'resting', 0, 1)]]), /Data truncated|status/);
    await rejects(
      t.pool.query(
        `INSERT INTO trades (symbol, seq, trade_id, price_ticks, quantity_lots, quote_quantity, taker_side,
                             maker_order_id, taker_order_id, maker_user_id, taker_user_id, maker_fee,
                             taker_fee, time_ms)
         VALUES ('BTC-USDT', 5, 'BTC-USDT:6', 1, 1, 10, 'buy', 1, 2, 3, 4, 0, 0, 0)`,
      ),
      /trades_trade_id/,
    );
    await rejects(
      t.pool.query("INSERT INTO symbol_checkpoints (symbol, last_stream_id) VALUES ('X-Y', '12')"),
      /stream_id/,
    );
    const [rows] = await t.pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM balances WHERE user_id = 3',
    );
    expect(rows[0]!.n).to.equal('0');
  });

  it('balances: overwrites a row only with a newer version', async () => {
    const user = 10;
    await t.pool.query(UPSERT_BALANCE, [[[user, 'USDT', '500', '100', '1', 5] satisfies Balance]]);
    const v5 = { available: '500', locked: '100', fees_paid: '1', version: '5' };
    // An older copy (a late flush) and the same version again (a replay) change nothing.
    await t.pool.query(UPSERT_BALANCE, [[[user, 'USDT', '1', '1', '1', 4] satisfies Balance]]);
    await t.pool.query(UPSERT_BALANCE, [[[user, 'USDT', '2', '2', '2', 5] satisfies Balance]]);
    expect(await balance(user, 'USDT')).to.deep.equal(v5);
    // A newer one replaces every column, version included.
    await t.pool.query(UPSERT_BALANCE, [[[user, 'USDT', MAX, '0', '3', 6] satisfies Balance]]);
    expect(await balance(user, 'USDT')).to.deep.equal({
      available: MAX,
      locked: '0',
      fees_paid: '3',
      version: '6',
    });
  });

  it('balances: a multi-row upsert applies each row by its own version', async () => {
    await t.pool.query(UPSERT_BALANCE, [
      [[20, 'BTC', '10', '0', '0', 3] satisfies Balance, [20, 'ETH', '10', '0', '0', 3] satisfies Balance],
    ]);
    await t.pool.query(UPSERT_BALANCE, [
      [
        [20, 'BTC', '11', '0', '0', 2] satisfies Balance, // older: kept at 10
        [20, 'ETH', '12', '0', '0', 4] satisfies Balance, // newer: 12
        [20, 'SOL', '13', '0', '0', 1] satisfies Balance, // new row
      ],
    ]);
    expect((await balance(20, 'BTC')).available).to.equal('10');
    expect((await balance(20, 'ETH')).available).to.equal('12');
    expect((await balance(20, 'SOL')).available).to.equal('13');
  });

  it('balances: setting version first would wrongly keep the old values (why version goes last)', async () => {
    const versionFirst = `
      INSERT INTO balances (user_id, asset, available, locked, fees_paid, version) VALUES ?
      ON DUPLICATE KEY UPDATE
        version = IF(VALUES(version) > version, VALUES(version), version),
        available = IF(VALUES(version) > version, VALUES(available), available)`;
    await t.pool.query(versionFirst, [[[30, 'BTC', '1', '0', '0', 1] satisfies Balance]]);
    await t.pool.query(versionFirst, [[[30, 'BTC', '2', '0', '0', 2] satisfies Balance]]);
    expect(await balance(30, 'BTC')).to.include({ available: '1', version: '2' });
  });

  it('orders: keeps the state of the newest event, whatever order the upserts arrive in', async () => {
    const id = '7383210496000000001';
    await t.pool.query(UPSERT_ORDER, [[order(id, 'new', 0, 5)]]);
    await t.pool.query(UPSERT_ORDER, [[order(id, 'filled', 10, 9)]]);
    // A replay of the earlier states after a failover: older versions, ignored.
    await t.pool.query(UPSERT_ORDER, [[order(id, 'partially_filled', 4, 7), order(id, 'new', 0, 5)]]);
    expect(await orderState(id)).to.deep.equal({
      order_id: id,
      status: 'filled',
      filled_quantity: '10',
      filled_quote: '300000100',
      version: '9',
    });
  });
});
