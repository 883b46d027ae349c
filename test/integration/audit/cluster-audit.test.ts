/**
 * scripts/audit on a private 3-master Redis Cluster (docs/redis-cluster.md, step 9): both halves
 * scan every master (a SCAN on one node sees a third of the keys), so a state whose users and
 * symbol streams are spread over the three masters audits clean and complete, and damage on each
 * master is reported. The script opens its Cluster client from REDIS_CLUSTER_NODES.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { auditMysql } from '../../../src/audit/mysql-audit.ts';
import { auditRedis, type DifferenceKind } from '../../../src/audit/redis-audit.ts';
import { GROUP } from '../../../src/matcher/command-stream.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { openTestRedisCluster, type TestRedisCluster } from '../../support/redis.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRIES = ['1000-0', '1000-1'];

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

describe('audit on a 3-master Redis Cluster (scripts/audit)', function () {
  this.timeout(60_000);
  let t: TestRedisCluster;
  let m: TestMysql;
  /** One user, one symbol, and one key name per master, by master. */
  let users: number[];
  let symbols: string[];

  const masterOf = async (key: string): Promise<string> =>
    t.redis.slots[Number(await t.redis.cluster('KEYSLOT', key))]![0]!;

  /** The first candidate of each master, in candidate order: one per master. */
  async function onePerMaster<T>(candidates: Iterable<T>, keyOf: (candidate: T) => string): Promise<T[]> {
    const found = new Map<string, T>();
    for (const candidate of candidates) {
      const master = await masterOf(keyOf(candidate));
      if (!found.has(master)) found.set(master, candidate);
      if (found.size === 3) break;
    }
    expect(found.size, 'candidates on every master').to.equal(3);
    return [...found.values()];
  }

  const script = (...args: string[]) =>
    runScript(
      {
        KEY_PREFIX: t.keys.prefix,
        REDIS_URL: t.config.redis.url,
        REDIS_CLUSTER_NODES: t.config.redis.clusterNodes!.map((n) => `${n.host}:${n.port}`).join(','),
        MYSQL_URL: m.config.mysql.url,
      },
      ...args,
    );

  before(async () => {
    [t, m] = await Promise.all([openTestRedisCluster(), openTestMysql()]);
    const numbers = Array.from({ length: 200 }, (_, i) => i + 1);
    users = await onePerMaster(numbers, (userId) => t.keys.balances(userId));
    symbols = await onePerMaster(
      numbers.map((n) => `S${n}-USDT`),
      (symbol) => t.keys.orderStream(symbol),
    );

    // Each user deposits; the first withdraws some, the second holds some for an order.
    const store = new BalanceStore(t.redis, t.keys);
    for (const [i, userId] of users.entries())
      await store.deposit(userId, 'USDT', 1_000n * BigInt(i + 1), 'd1');
    expect((await store.withdraw(users[0]!, 'USDT', 100n, 'w1')).status).to.equal('OK');
    expect((await store.hold(users[1]!, '7', 'USDT', 300n)).status).to.equal('OK');

    // A stream per symbol as the matcher leaves it: every entry delivered and acknowledged.
    for (const symbol of symbols) {
      const stream = t.keys.orderStream(symbol);
      for (const id of ENTRIES) await t.redis.xadd(stream, id, 'k', 'place', 'b', '{}');
      await t.redis.xgroup('CREATE', stream, GROUP, '0');
      await t.redis.xreadgroup('GROUP', GROUP, 'matcher-a', 'COUNT', 10, 'STREAMS', stream, '>');
      await t.redis.xack(stream, GROUP, ...ENTRIES);
    }

    // MySQL as a caught-up writer leaves it: balances at the hash's version, the ledger, checkpoints.
    for (const userId of users) {
      const bal = await t.redis.hgetall(t.keys.balances(userId));
      await m.pool.query(
        'INSERT INTO balances (user_id, asset, available, locked, fees_paid, version) VALUES (?, ?, ?, ?, ?, ?)',
        [userId, 'USDT', bal['a:USDT'] ?? '0', bal['l:USDT'] ?? '0', bal['f:USDT'] ?? '0', bal.v],
      );
      for (const [id, record] of Object.entries(await t.redis.hgetall(t.keys.deposits(userId)))) {
        const [asset, amount] = record.split(' ');
        await m.pool.query('INSERT INTO deposits (deposit_id, user_id, asset, amount) VALUES (?, ?, ?, ?)', [
          id,
          userId,
          asset,
          amount,
        ]);
      }
      for (const [id, record] of Object.entries(await t.redis.hgetall(t.keys.withdrawals(userId)))) {
        const [asset, amount] = record.split(' ').slice(-2);
        await m.pool.query(
          "INSERT INTO withdrawals (withdrawal_id, user_id, asset, amount, status) VALUES (?, ?, ?, ?, 'ok')",
          [id, userId, asset, amount],
        );
      }
    }
    for (const symbol of symbols) {
      await m.pool.query(
        'INSERT INTO symbol_checkpoints (symbol, epoch, last_stream_id, last_seq) VALUES (?, 1, ?, 0)',
        [symbol, ENTRIES.at(-1)],
      );
    }
  });

  after(async () => {
    await Promise.all([t?.close(), m?.close()]);
  });

  it('finds the users and streams of every master, clean, with exact totals (both halves)', async () => {
    const redis = await auditRedis(t.redis, t.keys, { quiescent: true });
    expect(redis.differences).to.deep.equal([]);
    expect(redis.users).to.equal(3);
    // Per user bal and deposits, one withdrawals and one holds hash, and the three streams.
    expect(redis.keysScanned).to.equal(11);
    expect(Object.fromEntries(redis.totals)).to.deep.equal({
      USDT: {
        available: 5_600n,
        locked: 300n,
        feesPaid: 0n,
        deposited: 6_000n,
        withdrawn: 100n,
        complete: true,
      },
    });
    expect(redis.streams.map((s) => [s.symbol, s.length, s.pending, s.lag])).to.deep.equal(
      [...symbols].sort().map((symbol) => [symbol, 2, 0, 0]),
    );

    const mysql = await auditMysql(t.redis, t.keys, m.pool, { quiescent: true });
    expect(mysql.differences).to.deep.equal([]);
    expect(mysql.lags).to.deep.equal([]);
    expect(mysql.users).to.equal(3);
    expect(mysql.symbols.map((s) => [s.symbol, s.stream?.length, s.checkpoint?.lastStreamId])).to.deep.equal(
      [...symbols].sort().map((symbol) => [symbol, 2, '1000-1']),
    );

    const run = await script('--quiescent');
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.contain(`audit: prefix ${t.keys.prefix}: 3 users, 11 keys scanned`);
    expect(run.stdout).to.contain('audit: clean');
  });

  it('reports a corrupt key and a corrupt field on each master', async () => {
    // Keys that keys.ts would never build (a user id with a leading zero), one on each master.
    const corruptKeys = await onePerMaster(
      Array.from({ length: 200 }, (_, i) => `${t.keys.prefix}:bal:{u:0${i + 1}}`),
      (key) => key,
    );
    for (const key of corruptKeys) await t.redis.hset(key, 'a:USDT', '1');
    // And a malformed amount in each user's balances (each user is on another master).
    for (const userId of users) await t.redis.hset(t.keys.balances(userId), 'f:USDT', 'x');

    const report = await auditRedis(t.redis, t.keys);
    const found = (kind: DifferenceKind) => report.differences.filter((d) => d.kind === kind);
    expect(found('CORRUPT_KEY').map((d) => d.key)).to.have.members(corruptKeys);
    expect(found('CORRUPT_FIELD').map((d) => d.userId)).to.have.members(users);
    expect(report.ok).to.equal(false);

    const run = await script('--redis-only');
    expect(run.code, run.stdout + run.stderr).to.equal(1);
    for (const key of corruptKeys) expect(run.stdout).to.contain(`DIFFERENCE CORRUPT_KEY: ${key}`);
  });

  it('exits 2 and names REDIS_CLUSTER_NODES when no node answers (a Cluster client would wait forever)', async () => {
    const started = Date.now();
    const run = await runScript(
      { KEY_PREFIX: t.keys.prefix, REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: '127.0.0.1:1' },
      '--redis-only',
    );
    expect(run.code, run.stdout + run.stderr).to.equal(2);
    expect(run.stderr).to.contain('check REDIS_URL and REDIS_CLUSTER_NODES');
    expect(Date.now() - started).to.be.below(25_000);
  });
});
