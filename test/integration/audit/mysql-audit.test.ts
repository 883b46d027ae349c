/**
 * scripts/audit, MySQL half (src/audit/mysql-audit.ts), on a real Redis and a real MariaDB: Redis is
 * built by the real balance scripts, MySQL is seeded with the copy a caught-up writer would hold
 * (same balances and versions, ledger rows, orders, trades, a checkpoint at the stream's last
 * entry). That state is clean; each kind of damage is reported with its kind and severity (a lag
 * when the writer may simply not have caught up, a difference when quiescent); the script exits 0,
 * 1 or 2 and prints both halves.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { auditMysql, type MysqlAuditReport, type MysqlFindingKind } from '../../../src/audit/mysql-audit.ts';
import { auditRedis } from '../../../src/audit/redis-audit.ts';
import { ensureGroup } from '../../../src/matcher/command-stream.ts';
import { BalanceStore, positionOf } from '../../../src/redis/balance-store.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { deleteKeys, openTestRedis, snapshotHashes, type TestRedis } from '../../support/redis.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SYMBOL = 'BTC-USDT';
const BUYER = 1;
const SELLER = 2;
const OTHER = 3;
const ENTRIES = ['1000-0', '1000-1', '1000-2'];

type SqlRow = Record<string, string | number | null>;

/** The orders, trade and checkpoint of the seeded history (units: lots, ticks, quote units). */
const ORDER_DEFAULTS = {
  symbol: SYMBOL,
  client_order_id: null,
  type: 'limit',
  price_ticks: '100',
  quote_quantity: null,
  post_only: 0,
  self_trade_prevention: 'expire_taker',
  created_at_ms: '1000',
  updated_at_ms: '1000',
};
const ORDERS: SqlRow[] = [
  // The sell rests (seq 1), the buy takes 50 of it (trade, seq 2) and expires (seqs 3, 4).
  {
    ...ORDER_DEFAULTS,
    order_id: '102',
    user_id: SELLER,
    side: 'sell',
    quantity_lots: '80',
    time_in_force: 'GTC',
    status: 'partially_filled',
    filled_quantity: '50',
    filled_quote: '5000',
    reject_reason: null,
    entry_seq: '1',
    version: '2',
  },
  {
    ...ORDER_DEFAULTS,
    order_id: '101',
    user_id: BUYER,
    side: 'buy',
    quantity_lots: '60',
    time_in_force: 'IOC',
    status: 'expired',
    filled_quantity: '50',
    filled_quote: '5000',
    reject_reason: 'NO_LIQUIDITY',
    entry_seq: null,
    version: '4',
  },
  // Refused for funds: never reached the engine.
  {
    ...ORDER_DEFAULTS,
    order_id: '103',
    user_id: OTHER,
    side: 'sell',
    quantity_lots: '8',
    time_in_force: 'GTC',
    status: 'rejected',
    filled_quantity: '0',
    filled_quote: '0',
    reject_reason: 'INSUFFICIENT_FUNDS',
    entry_seq: null,
    version: '0',
  },
];
const TRADE: SqlRow = {
  symbol: SYMBOL,
  seq: '2',
  trade_id: `${SYMBOL}:2`,
  price_ticks: '100',
  quantity_lots: '50',
  quote_quantity: '5000',
  taker_side: 'buy',
  maker_order_id: '102',
  taker_order_id: '101',
  maker_user_id: SELLER,
  taker_user_id: BUYER,
  maker_fee: '5',
  taker_fee: '1',
  time_ms: '1000',
};
const CHECKPOINT: SqlRow = { symbol: SYMBOL, epoch: '1', last_stream_id: ENTRIES[2]!, last_seq: '4' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runScript(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/audit.ts', ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const differences = (r: MysqlAuditReport): MysqlFindingKind[] => r.differences.map((d) => d.kind).sort();
const lags = (r: MysqlAuditReport): MysqlFindingKind[] => r.lags.map((d) => d.kind).sort();

describe('mysql audit (scripts/audit)', function () {
  this.timeout(60_000);
  let t: TestRedis;
  let m: TestMysql;
  let store: BalanceStore;
  let hashes: Record<string, Record<string, string>>;
  /** The MySQL copy a caught-up writer holds: table → rows. */
  let copy: Record<string, SqlRow[]>;

  const audit = (quiescent = false) => auditMysql(t.redis, t.keys, m.pool, { quiescent, rowChunk: 2 });
  const sql = (statement: string, values: unknown[] = []) => m.pool.query(statement, values);
  const script = (...args: string[]) =>
    runScript(
      {
        KEY_PREFIX: t.keys.prefix,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        MYSQL_URL: m.config.mysql.url,
      },
      ...args,
    );

  /** The stream as the matcher left it: every entry delivered and acknowledged. */
  async function seedStream(): Promise<void> {
    const stream = t.keys.orderStream(SYMBOL);
    for (const id of ENTRIES) await t.redis.xadd(stream, id, 'k', 'place', 'b', '{}');
    await ensureGroup(t.redis, stream);
    await t.redis.xreadgroup('GROUP', 'matchers', 'matcher-a', 'COUNT', 10, 'STREAMS', stream, '>');
    await t.redis.xack(stream, 'matchers', ...ENTRIES);
  }

  async function insert(table: string, rows: SqlRow[]): Promise<void> {
    const columns = Object.keys(rows[0]!);
    await sql(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [
      rows.map((row) => columns.map((c) => row[c])),
    ]);
  }

  /** Both stores back to the clean state. */
  async function restore(): Promise<void> {
    await deleteKeys(t.redis, t.keys.pattern);
    for (const [key, fields] of Object.entries(hashes)) await t.redis.hset(key, fields);
    await seedStream();
    for (const table of Object.keys(copy)) await sql(`DELETE FROM ${table}`);
    for (const [table, rows] of Object.entries(copy)) if (rows.length > 0) await insert(table, rows);
  }

  before(async () => {
    [t, m] = await Promise.all([openTestRedis(), openTestMysql()]);
    store = new BalanceStore(t.redis, t.keys);
    // Deposit ids are per user: the three 'd1' are three deposits.
    await store.deposit(BUYER, 'USDT', 10_000n, 'd1');
    await store.deposit(SELLER, 'BTC', 100n, 'd1');
    await store.deposit(OTHER, 'BTC', 7n, 'd1');
    expect((await store.withdraw(BUYER, 'USDT', 1_000n, 'w1')).status).to.equal('OK');
    expect((await store.withdraw(SELLER, 'BTC', 1_000n, 'w1')).status).to.equal('INSUFFICIENT_FUNDS');
    await store.hold(BUYER, '101', 'USDT', 6_000n);
    await store.hold(SELLER, '102', 'BTC', 80n);
    expect((await store.hold(OTHER, '103', 'BTC', 8n)).status).to.equal('INSUFFICIENT_FUNDS');
    const trade = { symbol: SYMBOL };
    await store.settle({
      ...trade,
      position: positionOf(2, 'maker'),
      userId: SELLER,
      orderId: '102',
      spentAsset: 'BTC',
      spent: 50n,
      receivedAsset: 'USDT',
      received: 5_000n,
      fee: 5n,
    });
    await store.settle({
      ...trade,
      position: positionOf(2, 'taker'),
      userId: BUYER,
      orderId: '101',
      spentAsset: 'USDT',
      spent: 5_000n,
      receivedAsset: 'BTC',
      received: 50n,
      fee: 1n,
    });
    await store.release({
      userId: BUYER,
      symbol: SYMBOL,
      position: positionOf(4, 'maker'),
      orderId: '101',
      amount: 'all',
    });
    hashes = await snapshotHashes(t.redis, t.keys.pattern); // before the stream: hashes only

    // The writer's copy: balances with the hash's version, the ledger, orders, trades, checkpoint.
    copy = { balances: [], deposits: [], withdrawals: [], orders: ORDERS, trades: [TRADE] };
    copy.symbol_checkpoints = [CHECKPOINT];
    for (const userId of [BUYER, SELLER, OTHER]) {
      const bal = await t.redis.hgetall(t.keys.balances(userId));
      const assets = new Set(Object.keys(bal).flatMap((f) => (f.includes(':') ? [f.slice(2)] : [])));
      for (const asset of assets) {
        copy.balances!.push({
          user_id: userId,
          asset,
          available: bal[`a:${asset}`] ?? '0',
          locked: bal[`l:${asset}`] ?? '0',
          fees_paid: bal[`f:${asset}`] ?? '0',
          version: bal.v ?? '0',
        });
      }
      for (const [id, record] of Object.entries(await t.redis.hgetall(t.keys.deposits(userId)))) {
        const [asset, amount] = record.split(' ');
        copy.deposits!.push({ deposit_id: id, user_id: userId, asset: asset!, amount: amount! });
      }
      for (const [id, record] of Object.entries(await t.redis.hgetall(t.keys.withdrawals(userId)))) {
        const words = record.split(' ');
        const status = words[0] === 'R' ? 'insufficient_funds' : 'ok';
        const [asset, amount] = words.slice(-2);
        copy.withdrawals!.push({
          withdrawal_id: id,
          user_id: userId,
          asset: asset!,
          amount: amount!,
          status,
        });
      }
    }
    await restore();
  });

  after(async () => {
    await Promise.all([t?.close(), m?.close()]);
  });

  afterEach(restore);

  it('finds the copy of a caught-up writer clean, with exact MySQL totals', async () => {
    const report = await audit(true);
    expect(report.differences).to.deep.equal([]);
    expect(report.lags).to.deep.equal([]);
    expect(report.ok).to.equal(true);
    expect(report).to.include({ users: 3, orders: 3, trades: 1 });
    expect(Object.fromEntries(report.totals)).to.deep.equal({
      BTC: { available: 76n, locked: 30n, feesPaid: 1n, deposited: 107n, withdrawn: 0n },
      USDT: { available: 8_995n, locked: 0n, feesPaid: 5n, deposited: 10_000n, withdrawn: 1_000n },
    });
    expect(report.symbols).to.deep.equal([
      {
        symbol: SYMBOL,
        checkpoint: { lastStreamId: '1000-2', lastSeq: '4' },
        stream: {
          length: 3,
          firstEntryId: '1000-0',
          lastEntryId: '1000-2',
          lastGeneratedId: '1000-2',
          entriesAdded: 3,
        },
      },
    ]);
  });

  it('treats zero rows as absent, and a stream trimmed at its checkpoint as intact', async () => {
    await insert('balances', [
      { user_id: OTHER, asset: 'ETH', available: '0', locked: '0', fees_paid: '0', version: '0' },
    ]);
    await t.redis.hset(t.keys.balances(BUYER), 'a:ETH', '0');
    await t.redis.xtrim(t.keys.orderStream(SYMBOL), 'MINID', '1000-2');
    const report = await audit(true);
    expect(report.differences).to.deep.equal([]);
    expect(report.symbols[0]!.stream).to.include({ length: 1, firstEntryId: '1000-2' });
  });

  it('reports a MySQL balance that breaks conservation, with both stores values', async () => {
    await sql("UPDATE balances SET available = available + 1 WHERE user_id = ? AND asset = 'USDT'", [BUYER]);
    const report = await audit();
    expect(differences(report)).to.deep.equal(['BALANCE_MISMATCH', 'MYSQL_CONSERVATION']);
    const conservation = report.differences.find((d) => d.kind === 'MYSQL_CONSERVATION')!;
    expect(conservation).to.include({ asset: 'USDT' });
    expect(conservation.message).to.contain('off by 1');
    const mismatch = report.differences.find((d) => d.kind === 'BALANCE_MISMATCH')!;
    expect(mismatch).to.include({ userId: BUYER, asset: 'USDT' });
    expect(mismatch.redis).to.include({ available: '4000' });
    expect(mismatch.mysql).to.include({ available: '4001' });
  });

  it('reports Redis ahead of MySQL as lag, and as differences when quiescent', async () => {
    // A deposit the writer has not copied: Redis's balance and version moved on, MySQL's did not.
    await store.deposit(BUYER, 'USDT', 5n, 'd2');
    let report = await audit();
    expect(report.ok).to.equal(true);
    expect(report.differences).to.deep.equal([]);
    expect(lags(report)).to.deep.equal(['BALANCE_MISMATCH', 'DEPOSIT_MISSING_IN_MYSQL']);
    expect(report.lags[0]!.message).to.contain('the writer has not copied');
    report = await audit(true);
    expect(report.ok).to.equal(false);
    expect(differences(report)).to.deep.equal(['BALANCE_MISMATCH', 'DEPOSIT_MISSING_IN_MYSQL']);
  });

  it('reports a MySQL version Redis never reached as BALANCE_VERSION_AHEAD', async () => {
    await sql("UPDATE balances SET version = version + 5 WHERE user_id = ? AND asset = 'BTC'", [SELLER]);
    const report = await audit();
    expect(differences(report)).to.deep.equal(['BALANCE_VERSION_AHEAD']);
    expect(report.differences[0]).to.include({ userId: SELLER, asset: 'BTC' });
  });

  it('reports a balance row missing on either side', async () => {
    await t.redis.hdel(t.keys.balances(OTHER), 'a:BTC');
    await sql("DELETE FROM balances WHERE user_id = ? AND asset = 'USDT'", [SELLER]);
    let report = await audit();
    expect(differences(report)).to.deep.equal(['BALANCE_MISSING_IN_REDIS']);
    expect(report.differences[0]).to.include({ userId: OTHER, asset: 'BTC' });
    // MySQL lost a row: it no longer balances either, but it may be the writer: lags unless quiescent.
    expect(lags(report)).to.deep.equal(['BALANCE_MISSING_IN_MYSQL', 'MYSQL_CONSERVATION']);
    expect(report.lags[0]).to.include({ userId: SELLER, asset: 'USDT' });
    report = await audit(true);
    expect(differences(report)).to.deep.equal([
      'BALANCE_MISSING_IN_MYSQL',
      'BALANCE_MISSING_IN_REDIS',
      'MYSQL_CONSERVATION',
    ]);
  });

  it('reports deposits and withdrawals that differ between the stores', async () => {
    await t.redis.hdel(t.keys.deposits(OTHER), 'd1');
    await sql("UPDATE withdrawals SET amount = 999 WHERE user_id = ? AND withdrawal_id = 'w1'", [SELLER]);
    await sql("DELETE FROM withdrawals WHERE user_id = ? AND withdrawal_id = 'w1'", [BUYER]);
    const report = await audit();
    expect(differences(report)).to.deep.equal(['DEPOSIT_MISSING_IN_REDIS', 'WITHDRAWAL_MISMATCH']);
    expect(report.differences[0]).to.include({ userId: OTHER, depositId: 'd1', asset: 'BTC' });
    expect(report.differences[1]!.redis).to.deep.equal({
      asset: 'BTC',
      amount: '1000',
      status: 'insufficient_funds',
    });
    expect(report.differences[1]!.mysql).to.include({ amount: '999' });
    // The ok withdrawal MySQL lacks takes USDT's MySQL conservation with it, as a lag.
    expect(lags(report)).to.deep.equal(['MYSQL_CONSERVATION', 'WITHDRAWAL_MISSING_IN_MYSQL']);
  });

  it("reports an order whose fills are not its trades', or whose status does not fit them", async () => {
    await sql("UPDATE orders SET filled_quantity = 40 WHERE order_id = '102'");
    await sql("UPDATE orders SET status = 'filled' WHERE order_id = '101'");
    const report = await audit();
    expect(differences(report)).to.deep.equal(['ORDER_FILL_MISMATCH', 'ORDER_STATUS_MISMATCH']);
    const fill = report.differences.find((d) => d.kind === 'ORDER_FILL_MISMATCH')!;
    expect(fill).to.include({ orderId: '102', userId: SELLER, symbol: SYMBOL });
    expect(fill.mysql).to.include({ filledQuantity: '40', tradesQuantity: '50' });
    const status = report.differences.find((d) => d.kind === 'ORDER_STATUS_MISMATCH')!;
    expect(status.message).to.contain('filled but only 50 of 60 lots filled');
  });

  it('reports trades and orders written past their checkpoint', async () => {
    // Empty trades, so that the orders' sums still hold.
    const empty = { ...TRADE, quantity_lots: '0', quote_quantity: '0' };
    await insert('trades', [{ ...empty, seq: '5', trade_id: `${SYMBOL}:5` }]);
    await insert('trades', [{ ...empty, seq: '6', trade_id: `${SYMBOL}:6` }]);
    await sql("UPDATE orders SET version = 6 WHERE order_id = '102'");
    const report = await audit();
    expect(differences(report)).to.deep.equal(['ORDER_AFTER_CHECKPOINT', 'TRADE_AFTER_CHECKPOINT']);
    const trades = report.differences.find((d) => d.kind === 'TRADE_AFTER_CHECKPOINT')!;
    // Found across chunks of 2, reported once.
    expect(trades.mysql).to.deep.equal({ trades: '2', firstSeq: '5', lastSeq: '6', checkpointSeq: '4' });
  });

  it('reports a trade whose order is missing or belongs to someone else', async () => {
    await sql("DELETE FROM orders WHERE order_id = '102'");
    await sql('UPDATE trades SET taker_user_id = ?', [OTHER]);
    const report = await audit();
    expect(differences(report)).to.deep.equal(['TRADE_ORDER_MISMATCH', 'TRADE_ORDER_MISSING']);
    expect(report.differences[1]).to.include({ orderId: '102', seq: '2', symbol: SYMBOL });
  });

  it('reports MySQL data without a checkpoint, and the stream it has not covered as lag', async () => {
    await sql('DELETE FROM symbol_checkpoints');
    const report = await audit();
    expect(differences(report)).to.deep.equal(['CHECKPOINT_MISSING']);
    expect(lags(report)).to.deep.equal(['CHECKPOINT_BEHIND_STREAM']);
  });

  it('reports a checkpoint past the stream, entries trimmed past it, and a lost stream', async () => {
    await sql("UPDATE symbol_checkpoints SET last_stream_id = '2000-0'");
    let report = await audit();
    expect(differences(report)).to.deep.equal(['CHECKPOINT_AHEAD_OF_STREAM']);
    expect(report.differences[0]!.message).to.contain('2000-0').and.contain('1000-2');
    await restore();

    await sql("UPDATE symbol_checkpoints SET last_stream_id = '1000-0'");
    await t.redis.xtrim(t.keys.orderStream(SYMBOL), 'MINID', '1000-2');
    report = await audit();
    expect(differences(report)).to.deep.equal(['STREAM_TRIMMED_PAST_CHECKPOINT']);
    expect(report.differences[0]!.redis).to.include({ firstEntryId: '1000-2' });
    expect(report.differences[0]!.mysql).to.include({ lastStreamId: '1000-0' });
    await restore();

    await t.redis.del(t.keys.orderStream(SYMBOL));
    report = await audit();
    expect(differences(report)).to.deep.equal(['STREAM_MISSING']);
  });

  it('reports a checkpoint behind its stream as lag, and as a difference when quiescent', async () => {
    await t.redis.xadd(t.keys.orderStream(SYMBOL), '1001-0', 'k', 'cancel', 'b', '{}');
    let report = await audit();
    expect(report.ok).to.equal(true);
    expect(lags(report)).to.deep.equal(['CHECKPOINT_BEHIND_STREAM']);
    report = await audit(true);
    expect(differences(report)).to.deep.equal(['CHECKPOINT_BEHIND_STREAM']);
    expect(report.differences[0]!.message).to.contain('1000-2').and.contain('1001-0');
  });

  it("lets the Redis half read each balances hash's version v, and flags a corrupt one", async () => {
    expect(await t.redis.hget(t.keys.balances(BUYER), 'v')).to.match(/^[1-9][0-9]*$/);
    expect((await auditRedis(t.redis, t.keys)).differences).to.deep.equal([]);
    await t.redis.hset(t.keys.balances(BUYER), 'v', '-1');
    const report = await auditRedis(t.redis, t.keys);
    expect(report.differences.map((d) => [d.kind, d.field])).to.deep.equal([['CORRUPT_FIELD', 'v']]);
  });

  describe('the script', () => {
    it('exits 0 on a clean state and prints both halves', async () => {
      const run = await script('--quiescent');
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.contain(`audit: MySQL ${m.database}: 3 users, 3 orders, 1 trades, 1 symbols`);
      // The Redis table and the MySQL table agree.
      expect(run.stdout.match(/^BTC\s+76\s+30\s+1\s+107\s+0\s+ok$/gm)).to.have.length(2);
      expect(run.stdout).to.contain(
        `symbol ${SYMBOL}: checkpoint 1000-2 (seq 4), stream 3 entries 1000-0 .. 1000-2`,
      );
      expect(run.stdout).to.match(/\naudit: clean\n$/);
    });

    it('prints lags without failing, and fails on them when quiescent', async () => {
      await store.deposit(BUYER, 'USDT', 5n, 'd2');
      const relaxed = await script();
      expect(relaxed.code, relaxed.stdout + relaxed.stderr).to.equal(0);
      expect(relaxed.stdout).to.contain('LAG BALANCE_MISMATCH: user 1 USDT: ');
      expect(relaxed.stdout).to.contain('LAG DEPOSIT_MISSING_IN_MYSQL: ');
      expect(relaxed.stdout).to.contain('audit: clean, 2 lags');
      const quiet = await script('--quiescent');
      expect(quiet.code, quiet.stdout + quiet.stderr).to.equal(1);
      expect(quiet.stdout).to.contain('DIFFERENCE BALANCE_MISMATCH: ');
      expect(quiet.stdout).to.contain('audit: 2 differences');
    });

    it('exits 1 and prints the report as one JSON document with --json', async () => {
      await sql("UPDATE orders SET filled_quantity = 40 WHERE order_id = '102'");
      const run = await script('--json');
      expect(run.code, run.stdout + run.stderr).to.equal(1);
      const report = JSON.parse(run.stdout) as {
        ok: boolean;
        redis: { ok: boolean };
        mysql: { ok: boolean; differences: Array<{ kind: string }>; totals: Record<string, unknown> };
      };
      expect(report.ok).to.equal(false);
      expect(report.redis.ok).to.equal(true);
      expect(report.mysql.differences.map((d) => d.kind)).to.deep.equal(['ORDER_FILL_MISMATCH']);
      expect(report.mysql.totals.BTC).to.deep.include({ available: '76', deposited: '107' });
    });

    it('exits 2 when MySQL cannot be reached, unless --redis-only', async () => {
      const env = {
        KEY_PREFIX: t.keys.prefix,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        MYSQL_URL: 'mysql://root@127.0.0.1:1/nowhere',
      };
      const run = await runScript(env);
      expect(run.code, run.stdout + run.stderr).to.equal(2);
      expect(run.stderr).to.contain('audit: error:').and.contain('check MYSQL_URL');
      const redisOnly = await runScript(env, '--redis-only');
      expect(redisOnly.code, redisOnly.stdout + redisOnly.stderr).to.equal(0);
      expect(redisOnly.stdout).not.to.contain('MySQL');
    });
  });
});
