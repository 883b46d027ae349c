/**
 * The ledger on a private 3-master Redis Cluster (docs/redis-cluster.md, step 8): the API's queue
 * and the ledger worker open Cluster connections from the config (REDIS_CLUSTER_NODES), the queue's
 * keys share the `{ledger}` slot, and deposits and withdrawals of users on every master reach the
 * real MariaDB with their balance rows.
 */
import { expect } from 'chai';
import { Queue } from 'bullmq';
import type { RowDataPacket } from 'mysql2/promise';
import { RedisBalanceService } from '../../../src/adapters/api/balance-service.ts';
import { LEDGER_QUEUE_NAME } from '../../../src/ledger/ledger-job.ts';
import { LedgerQueue } from '../../../src/ledger/ledger-queue.ts';
import { startLedgerWorker, type LedgerWorker } from '../../../src/ledger/ledger-worker.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import { createRedisClient, type RedisClient } from '../../../src/redis/connection.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { openTestRedisCluster, scanKeys, type TestRedisCluster } from '../../support/redis.ts';

const DEADLINE_MS = 10_000;

/** Polls `probe` until it returns something, or fails after the deadline. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) expect.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ledger on a 3-master Redis Cluster: deposits reach MySQL from a cluster queue', function () {
  this.timeout(30_000);
  let t: TestRedisCluster;
  let m: TestMysql;
  let store: BalanceStore;
  let ledger: LedgerQueue;
  let service: RedisBalanceService;
  let worker: LedgerWorker;
  let inspect: Queue;
  let inspectConnection: RedisClient;
  /** One user whose keys live on each master. */
  let users: number[];

  before(async () => {
    t = await openTestRedisCluster();
    m = await openTestMysql();
    store = new BalanceStore(t.redis, t.keys);
    ledger = await LedgerQueue.open(t.config);
    service = new RedisBalanceService(store, ledger);
    worker = await startLedgerWorker({
      redis: t.config.redis,
      pool: m.pool,
      balances: store,
      log: createLogger({ logLevel: 'silent' }, 'ledger-cluster-test'),
      retryBaseDelayMs: 20,
      maxRetryDelayMs: 100,
    });
    inspectConnection = createRedisClient(t.config, { connectionName: 'ledger-inspect' });
    inspect = new Queue(LEDGER_QUEUE_NAME, { connection: inspectConnection, prefix: t.keys.prefix });

    const byMaster = new Map<string, number>();
    for (let userId = 1; byMaster.size < 3 && userId < 1_000; userId++) {
      const slot = Number(await t.redis.cluster('KEYSLOT', t.keys.balances(userId)));
      const master = t.redis.slots[slot]![0]!;
      if (!byMaster.has(master)) byMaster.set(master, userId);
    }
    users = [...byMaster.values()];
  });
  after(async () => {
    // Every step runs, whatever failed before it: a handle left open would keep mocha running.
    const steps = [
      () => worker?.close(),
      () => ledger?.close(),
      () => inspect?.close(),
      () => inspectConnection?.quit(),
      () => t?.close(),
      () => m?.close(),
    ];
    const failures: unknown[] = [];
    for (const step of steps) await Promise.resolve(step()).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });

  async function select(sql: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    const [rows] = await m.pool.query<RowDataPacket[]>(sql, values);
    return rows.map((row) => ({ ...row }));
  }

  it('writes the deposits and withdrawals of users on all 3 masters, with their balances', async () => {
    expect(users).to.have.length(3);
    for (const [i, userId] of users.entries()) {
      await service.deposit({ userId, asset: 'USDT', amount: 1_000n + BigInt(i), depositId: `d-${userId}` });
    }
    const withdrawn = await service.withdraw({
      userId: users[0]!,
      asset: 'USDT',
      amount: 400n,
      withdrawalId: 'w-1',
    });
    expect(withdrawn.status).to.equal('ok');

    const deposits = await until('the three deposit rows', async () => {
      const rows = await select(
        'SELECT user_id, deposit_id, asset, amount FROM deposits ORDER BY user_id',
        [],
      );
      return rows.length >= 3 ? rows : undefined;
    });
    // BIGINT columns come back as strings; users in ascending order, as the SELECT sorts them.
    expect(deposits).to.deep.equal(
      users.map((userId, i) => ({
        user_id: String(userId),
        deposit_id: `d-${userId}`,
        asset: 'USDT',
        amount: String(1_000 + i),
      })),
    );
    expect(
      await until('the withdrawal row', async () => {
        const rows = await select('SELECT user_id, withdrawal_id, amount, status FROM withdrawals', []);
        return rows.length >= 1 ? rows : undefined;
      }),
    ).to.deep.equal([{ user_id: String(users[0]), withdrawal_id: 'w-1', amount: '400', status: 'ok' }]);

    // The balance rows as Redis holds them once every job ran: the withdrawal's version for user 0.
    const balances = await until('the balance rows at their last version', async () => {
      const rows = await select(
        'SELECT user_id, available, locked, version FROM balances ORDER BY user_id',
        [],
      );
      const first = rows.find((row) => row.user_id === String(users[0]));
      return rows.length === 3 && first?.version === '2' ? rows : undefined;
    });
    expect(balances).to.deep.equal(
      users.map((userId, i) => ({
        user_id: String(userId),
        available: String(i === 0 ? 1_000 - 400 : 1_000 + i),
        locked: '0',
        version: i === 0 ? '2' : '1',
      })),
    );

    // The queue's keys are on the cluster, all in the {ledger} slot; nothing failed or is left.
    const queueKeys = await scanKeys(t.redis, `${t.keys.prefix}:{ledger}:*`);
    expect(queueKeys).to.not.deep.equal([]);
    const slots = new Set(
      await Promise.all(queueKeys.map(async (key) => Number(await t.redis.cluster('KEYSLOT', key)))),
    );
    expect(slots.size).to.equal(1);
    await until('the queue to drain', async () => {
      const counts = await inspect.getJobCounts('wait', 'delayed', 'active', 'prioritized');
      return Object.values(counts).every((n) => n === 0) ? true : undefined;
    });
    expect(await inspect.getJobCounts('failed')).to.deep.equal({ failed: 0 });
  });
});
