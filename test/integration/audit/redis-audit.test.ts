/**
 * scripts/audit, Redis half (src/audit/redis-audit.ts): a state built by the real balance scripts is
 * clean; each kind of damage is reported with its exact kind, by the function and by the script
 * (exit code 1); a clean state exits 0 and an unreachable Redis 2.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { auditRedis, type AuditReport, type DifferenceKind } from '../../../src/audit/redis-audit.ts';
import { BalanceStore, positionOf } from '../../../src/redis/balance-store.ts';
import { ensureGroup } from '../../../src/matcher/command-stream.ts';
import { deleteKeys, openTestRedis, snapshotHashes, type TestRedis } from '../../support/redis.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SYMBOL = 'BTC-USDT';
const BUYER = 1;
const SELLER = 2;
const OTHER = 3;

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

const kinds = (report: AuditReport): DifferenceKind[] => report.differences.map((d) => d.kind).sort();

describe('redis audit (scripts/audit)', function () {
  this.timeout(60_000);
  let t: TestRedis;
  let store: BalanceStore;
  let clean: Record<string, Record<string, string>>;
  const script = (...args: string[]) =>
    runScript(
      { KEY_PREFIX: t.keys.prefix, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
      '--redis-only',
      ...args,
    );

  /** Puts the prefix back to the clean state (every key of it is a hash then). */
  async function restore(): Promise<void> {
    await deleteKeys(t.redis, t.keys.pattern);
    for (const [key, fields] of Object.entries(clean)) await t.redis.hset(key, fields);
  }

  before(async () => {
    t = await openTestRedis();
    store = new BalanceStore(t.redis, t.keys);
    // Deposits, an accepted and a refused withdrawal.
    await store.deposit(BUYER, 'USDT', 10_000n, 'd1');
    await store.deposit(BUYER, 'USDT', 10_000n, 'd1'); // a repeat changes nothing
    await store.deposit(SELLER, 'BTC', 100n, 'd1');
    await store.deposit(OTHER, 'BTC', 7n, 'd1');
    expect((await store.withdraw(BUYER, 'USDT', 1_000n, 'w1')).status).to.equal('OK');
    expect((await store.withdraw(SELLER, 'BTC', 1_000n, 'w1')).status).to.equal('INSUFFICIENT_FUNDS');
    // Two orders, a trade of 50 BTC for 5 000 USDT with fees on both sides, one order done.
    await store.hold(BUYER, 'buy', 'USDT', 6_000n);
    await store.hold(SELLER, 'sell', 'BTC', 80n);
    expect((await store.hold(OTHER, 'refused', 'BTC', 8n)).status).to.equal('INSUFFICIENT_FUNDS');
    const trade = { symbol: SYMBOL, position: positionOf(1, 'maker') };
    await store.settle({
      ...trade,
      userId: SELLER,
      orderId: 'sell',
      spentAsset: 'BTC',
      spent: 50n,
      receivedAsset: 'USDT',
      received: 5_000n,
      fee: 5n,
    });
    await store.settle({
      ...trade,
      position: positionOf(1, 'taker'),
      userId: BUYER,
      orderId: 'buy',
      spentAsset: 'USDT',
      spent: 5_000n,
      receivedAsset: 'BTC',
      received: 50n,
      fee: 1n,
    });
    await store.release({
      userId: BUYER,
      symbol: SYMBOL,
      position: positionOf(2, 'release'),
      orderId: 'buy',
      amount: 'all',
    });
    // An amend's extra hold on the still active sell.
    expect((await store.holdMore(SELLER, 'sell', '1-0', 10n)).status).to.equal('OK');
    clean = await snapshotHashes(t.redis, t.keys.pattern);
  });

  after(async () => {
    await t?.close();
  });

  afterEach(restore);

  it('finds the state the balance scripts built clean, with exact totals', async () => {
    const report = await auditRedis(t.redis, t.keys, { quiescent: true });
    expect(report.differences).to.deep.equal([]);
    expect(report.ok).to.equal(true);
    expect(report.users).to.equal(3);
    expect(Object.fromEntries(report.totals)).to.deep.equal({
      BTC: { available: 66n, locked: 40n, feesPaid: 1n, deposited: 107n, withdrawn: 0n, complete: true },
      USDT: {
        available: 8_995n,
        locked: 0n,
        feesPaid: 5n,
        deposited: 10_000n,
        withdrawn: 1_000n,
        complete: true,
      },
    });
  });

  it('reports a changed available field as CONSERVATION', async () => {
    await t.redis.hincrby(t.keys.balances(BUYER), 'a:USDT', 1);
    const report = await auditRedis(t.redis, t.keys);
    expect(kinds(report)).to.deep.equal(['CONSERVATION']);
    expect(report.differences[0]).to.include({ asset: 'USDT' });
    expect(report.differences[0]!.message).to.contain('off by 1');
  });

  it('reports locked funds whose hold record is gone as LOCKED_NOT_HELD', async () => {
    await t.redis.hdel(t.keys.holds(SELLER), 'sell');
    const report = await auditRedis(t.redis, t.keys);
    expect(kinds(report)).to.deep.equal(['LOCKED_NOT_HELD']);
    expect(report.differences[0]).to.include({ userId: SELLER, asset: 'BTC' });
  });

  it('reports a locked field set without a hold as LOCKED_NOT_HELD (and the money it made as CONSERVATION)', async () => {
    await t.redis.hset(t.keys.balances(OTHER), 'l:USDT', '25');
    const report = await auditRedis(t.redis, t.keys);
    expect(kinds(report)).to.deep.equal(['CONSERVATION', 'LOCKED_NOT_HELD']);
    expect(report.differences.find((d) => d.kind === 'LOCKED_NOT_HELD')).to.include({
      userId: OTHER,
      asset: 'USDT',
    });
  });

  it('reports a hold whose locked funds are gone as HOLD_WITHOUT_LOCK', async () => {
    // Moved from locked to available: conservation still holds.
    await t.redis.hincrby(t.keys.balances(SELLER), 'l:BTC', -40);
    await t.redis.hincrby(t.keys.balances(SELLER), 'a:BTC', 40);
    const report = await auditRedis(t.redis, t.keys);
    expect(kinds(report)).to.deep.equal(['HOLD_WITHOUT_LOCK']);
  });

  it('reports a negative field as NEGATIVE_BALANCE', async () => {
    // 60 BTC moved from one user to another: the sum is intact, one balance is negative.
    await t.redis.hincrby(t.keys.balances(OTHER), 'a:BTC', -60);
    await t.redis.hincrby(t.keys.balances(BUYER), 'a:BTC', 60);
    const report = await auditRedis(t.redis, t.keys);
    expect(kinds(report)).to.deep.equal(['NEGATIVE_BALANCE']);
    expect(report.differences[0]).to.include({ userId: OTHER, asset: 'BTC', field: 'a:BTC' });
  });

  it('reports non-integer fields and malformed records as CORRUPT_FIELD', async () => {
    await t.redis.hset(t.keys.balances(BUYER), 'a:USDT', '3990.5');
    let report = await auditRedis(t.redis, t.keys);
    expect(kinds(report)).to.deep.equal(['CORRUPT_FIELD']);
    expect(report.totals.get('USDT')!.complete).to.equal(false);
    await restore();

    await t.redis.hset(t.keys.balances(BUYER), 'a:USDT', '9223372036854775808'); // 2^63
    await t.redis.hset(t.keys.holds(SELLER), 'sell', 'BTC 4e1 80');
    await t.redis.hset(t.keys.deposits(OTHER), 'd2', 'BTC');
    await t.redis.hset(t.keys.withdrawals(BUYER), 'w2', 'R USDT -1');
    await t.redis.hset(t.keys.balances(OTHER), 'x:BTC', '1');
    report = await auditRedis(t.redis, t.keys);
    expect(kinds(report)).to.deep.equal(Array(5).fill('CORRUPT_FIELD'));
  });

  it('reports a balance key of the wrong type as CORRUPT_KEY', async () => {
    await t.redis.del(t.keys.deposits(OTHER));
    await t.redis.set(t.keys.deposits(OTHER), 'BTC 7');
    const report = await auditRedis(t.redis, t.keys);
    // The 7 BTC deposit cannot be read, so BTC no longer balances either.
    expect(kinds(report)).to.deep.equal(['CONSERVATION', 'CORRUPT_KEY']);
  });

  it('reports pending and undelivered stream entries as information, or as differences when quiescent', async () => {
    const stream = t.keys.orderStream(SYMBOL);
    await ensureGroup(t.redis, stream);
    await t.redis.xadd(stream, '*', 'k', 'place', 'b', '{}');
    await t.redis.xadd(stream, '*', 'k', 'place', 'b', '{}');
    await t.redis.xadd(stream, '*', 'k', 'place', 'b', '{}');
    await t.redis.xreadgroup('GROUP', 'matchers', 'matcher-a', 'COUNT', 2, 'STREAMS', stream, '>'); // two delivered, not acknowledged

    let report = await auditRedis(t.redis, t.keys);
    expect(report.ok).to.equal(true);
    expect(report.streams).to.deep.equal([
      {
        symbol: SYMBOL,
        key: stream,
        hasGroup: true,
        length: 3,
        pending: 2,
        pendingConsumers: [{ consumer: 'matcher-a', count: 2 }],
        lag: 1,
      },
    ]);
    report = await auditRedis(t.redis, t.keys, { quiescent: true });
    expect(kinds(report)).to.deep.equal(['STREAM_LAG', 'STREAM_PENDING']);

    const quiet = await script('--quiescent');
    expect(quiet.code, quiet.stdout + quiet.stderr).to.equal(1);
    expect(quiet.stdout).to.contain('DIFFERENCE STREAM_PENDING');
    const relaxed = await script();
    expect(relaxed.code, relaxed.stdout + relaxed.stderr).to.equal(0);
    expect(relaxed.stdout).to.contain(`stream ${SYMBOL}: length 3, pending 2, lag 1`);
    await t.redis.del(stream);
  });

  describe('the script', () => {
    it('exits 0 on a clean state and prints the per-asset table', async () => {
      const run = await script('--quiescent');
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^BTC\s+66\s+40\s+1\s+107\s+0\s+ok$/m);
      expect(run.stdout).to.match(/^USDT\s+8995\s+0\s+5\s+10000\s+1000\s+ok$/m);
      expect(run.stdout).to.contain('audit: clean');
    });

    it('exits 1 and prints every difference of a damaged state', async () => {
      await t.redis.hincrby(t.keys.balances(BUYER), 'a:USDT', 3);
      await t.redis.hdel(t.keys.holds(SELLER), 'sell');
      await t.redis.hset(t.keys.balances(OTHER), 'f:BTC', '-1');
      await t.redis.hset(t.keys.balances(OTHER), 'a:BTC', 'seven');
      const run = await script();
      expect(run.code, run.stdout + run.stderr).to.equal(1);
      for (const kind of ['CONSERVATION', 'LOCKED_NOT_HELD', 'NEGATIVE_BALANCE', 'CORRUPT_FIELD']) {
        expect(run.stdout).to.contain(`DIFFERENCE ${kind}: `);
      }
      expect(run.stdout).to.match(/^USDT\s+8998\s+0\s+5\s+10000\s+1000\s+off by 3$/m);
      expect(run.stdout).to.match(/^BTC\s.*unreadable$/m);
      expect(run.stdout).to.contain('audit: 4 differences');
    });

    it('prints the report as JSON with --json, amounts as strings', async () => {
      await t.redis.hset(t.keys.balances(OTHER), 'l:BTC', '2');
      const run = await script('--json');
      expect(run.code, run.stdout + run.stderr).to.equal(1);
      const report = JSON.parse(run.stdout) as {
        ok: boolean;
        differences: Array<{ kind: string }>;
        totals: Record<string, Record<string, unknown>>;
      };
      expect(report.ok).to.equal(false);
      expect(report.differences.map((d) => d.kind).sort()).to.deep.equal(['CONSERVATION', 'LOCKED_NOT_HELD']);
      expect(report.totals.BTC).to.deep.include({ locked: '42', deposited: '107' });
    });

    it('exits 2 when Redis cannot be reached', async () => {
      const run = await runScript({ KEY_PREFIX: t.keys.prefix, REDIS_URL: 'redis://127.0.0.1:1' });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain('audit: error:');
    });
  });
});
