/**
 * Deposits and withdrawals into MySQL through BullMQ (docs/mysql.md, "Deposits and withdrawals"):
 * the API's balance service runs the script in the real Redis and enqueues a job, the ledger worker
 * writes the operation's row and the user's balance rows into the real MariaDB. The queue lives
 * under this file's random KEY_PREFIX, so the prefix cleanup of openTestRedis deletes its keys.
 */
import { expect } from 'chai';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { RedisBalanceService } from '../../../src/adapters/api/balance-service.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { LEDGER_QUEUE_NAME, LedgerJobError, ledgerJobId } from '../../../src/ledger/ledger-job.ts';
import { LedgerQueue } from '../../../src/ledger/ledger-queue.ts';
import { ledgerBackoffMs, startLedgerWorker, type LedgerWorker } from '../../../src/ledger/ledger-worker.ts';
import type { WriteConnection } from '../../../src/mysql/write-buffer.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { openTestRedis, scanKeys, type TestRedis } from '../../support/redis.ts';

const REDIS_URL = loadConfig({ NODE_ENV: 'test', REDIS_URL: process.env.REDIS_URL }).redis.url;
const DEADLINE_MS = 5_000;

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

describe('ledger: deposits and withdrawals reach MySQL through BullMQ', () => {
  let t: TestRedis;
  let m: TestMysql;
  let store: BalanceStore;
  let ledger: LedgerQueue;
  let service: RedisBalanceService;
  let worker: LedgerWorker;
  /** Another handle on the queue, to see what is left in it, on a connection of its own. */
  let inspect: Queue;
  let inspectConnection: Redis;
  /** getConnection calls the worker's pool fails before it answers again: a MySQL outage. */
  let outage = 0;

  before(async () => {
    t = await openTestRedis();
    m = await openTestMysql();
    store = new BalanceStore(t.redis, t.keys);
    const redisConfig = { redis: { url: REDIS_URL, keyPrefix: t.keys.prefix } };
    ledger = await LedgerQueue.open(redisConfig);
    service = new RedisBalanceService(store, ledger);
    const pool = {
      getConnection: async (): Promise<WriteConnection> => {
        if (outage > 0) {
          outage--;
          throw Object.assign(new Error('connect ECONNREFUSED (a simulated outage)'), {
            code: 'ECONNREFUSED',
          });
        }
        return m.pool.getConnection();
      },
    };
    worker = await startLedgerWorker({
      redis: redisConfig.redis,
      pool,
      balances: store,
      log: createLogger({ logLevel: 'silent' }, 'ledger-test'),
      retryBaseDelayMs: 20,
      maxRetryDelayMs: 100,
    });
    inspectConnection = t.redis.duplicate();
    inspect = new Queue(LEDGER_QUEUE_NAME, { connection: inspectConnection, prefix: t.keys.prefix });
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
  const deposits = (userId: number) =>
    select('SELECT deposit_id, asset, amount FROM deposits WHERE user_id = ? ORDER BY deposit_id', [userId]);
  const withdrawals = (userId: number) =>
    select('SELECT withdrawal_id, asset, amount, status FROM withdrawals WHERE user_id = ? ORDER BY 1', [
      userId,
    ]);
  const balances = (userId: number) =>
    select(
      'SELECT asset, available, locked, fees_paid, version, updated_at FROM balances WHERE user_id = ? ORDER BY asset',
      [userId],
    );
  /** The rows once there are `count` of them. */
  const rowsOnce = (what: string, read: () => Promise<Record<string, unknown>[]>, count: number) =>
    until(what, async () => {
      const rows = await read();
      return rows.length >= count ? rows : undefined;
    });
  /** Waits until the queue holds no job that is waiting, delayed or running. */
  const drained = () =>
    until('the ledger queue to drain', async () => {
      const counts = await inspect.getJobCounts('wait', 'delayed', 'active', 'prioritized');
      return Object.values(counts).every((n) => n === 0) ? true : undefined;
    });

  it('records a deposit and the balance it made; a repeat adds nothing', async () => {
    const userId = 1;
    const first = await service.deposit({ userId, asset: 'USDT', amount: 2n ** 63n - 1n, depositId: 'd-1' });
    expect(first.duplicate).to.equal(false);
    expect(await rowsOnce('the deposit row', () => deposits(userId), 1)).to.deep.equal([
      { deposit_id: 'd-1', asset: 'USDT', amount: '9223372036854775807' },
    ]);
    const balance = await rowsOnce('the balance row', () => balances(userId), 1);
    expect(balance.map(({ updated_at: _, ...row }) => row)).to.deep.equal([
      { asset: 'USDT', available: '9223372036854775807', locked: '0', fees_paid: '0', version: '1' },
    ]);
    await drained();

    // A repeat (even one asking for another amount) enqueues the recorded deposit again: nothing new.
    const repeat = await service.deposit({ userId, asset: 'BTC', amount: 5n, depositId: 'd-1' });
    expect(repeat).to.deep.equal({ duplicate: true, asset: 'USDT', amount: 2n ** 63n - 1n });
    await drained();
    expect(await deposits(userId)).to.have.length(1);
    expect(await balances(userId)).to.deep.equal(balance);
  });

  it('re-drives a job lost after the script: the client retry (DUPLICATE) enqueues it', async () => {
    const userId = 2;
    // The script ran, then the API died before enqueueing: Redis has the deposit, MySQL does not.
    await store.deposit(userId, 'BTC', 700n, 'lost');
    await drained();
    expect(await deposits(userId)).to.deep.equal([]);
    expect(
      (await service.deposit({ userId, asset: 'BTC', amount: 700n, depositId: 'lost' })).duplicate,
    ).to.equal(true);
    expect(await rowsOnce('the re-driven deposit', () => deposits(userId), 1)).to.deep.equal([
      { deposit_id: 'lost', asset: 'BTC', amount: '700' },
    ]);
    expect((await rowsOnce('its balance', () => balances(userId), 1))[0]).to.include({
      available: '700',
      version: '1',
    });
  });

  it('records a refused withdrawal with its status and changes no balance row', async () => {
    const userId = 3;
    await service.deposit({ userId, asset: 'USDT', amount: 100n, depositId: 'd' });
    const before = await rowsOnce('the deposit balance', () => balances(userId), 1);
    const refused = await service.withdraw({ userId, asset: 'USDT', amount: 101n, withdrawalId: 'w-1' });
    expect(refused.status).to.equal('insufficient_funds');
    expect(await rowsOnce('the refused withdrawal', () => withdrawals(userId), 1)).to.deep.equal([
      { withdrawal_id: 'w-1', asset: 'USDT', amount: '101', status: 'insufficient_funds' },
    ]);
    await drained();
    expect(await balances(userId)).to.deep.equal(before);

    // An accepted one debits, and the balance row follows with the next version.
    await service.withdraw({ userId, asset: 'USDT', amount: 40n, withdrawalId: 'w-2' });
    const rows = await rowsOnce('the accepted withdrawal', () => withdrawals(userId), 2);
    expect(rows[1]).to.deep.equal({ withdrawal_id: 'w-2', asset: 'USDT', amount: '40', status: 'ok' });
    await drained();
    expect((await balances(userId))[0]).to.include({ available: '60', version: '2' });
  });

  it('keeps the same operation id of two users apart (keys per user, migration 0009)', async () => {
    await service.deposit({ userId: 4, asset: 'ETH', amount: 4n, depositId: 'same' });
    await service.deposit({ userId: 5, asset: 'ETH', amount: 5n, depositId: 'same' });
    expect(await rowsOnce('user 4', () => deposits(4), 1)).to.deep.equal([
      { deposit_id: 'same', asset: 'ETH', amount: '4' },
    ]);
    expect(await rowsOnce('user 5', () => deposits(5), 1)).to.deep.equal([
      { deposit_id: 'same', asset: 'ETH', amount: '5' },
    ]);
  });

  it('retries a job while MySQL is down and writes it once it is back', async () => {
    const userId = 6;
    outage = 3;
    await service.deposit({ userId, asset: 'USDT', amount: 42n, depositId: 'during-outage' });
    expect(await rowsOnce('the deposit after the outage', () => deposits(userId), 1)).to.deep.equal([
      { deposit_id: 'during-outage', asset: 'USDT', amount: '42' },
    ]);
    expect(outage).to.equal(0);
    expect(await inspect.getJobCounts('failed')).to.deep.equal({ failed: 0 });
  });

  it('fails a malformed job for good (no retry can fix it) and refuses to enqueue one', async () => {
    const job = await inspect.add('deposit', {
      kind: 'deposit',
      userId: -1,
      depositId: 'x',
      asset: 'USDT',
      amount: '1',
    });
    const state = await until('the malformed job to fail', async () => {
      const s = await inspect.getJobState(job.id!);
      return s === 'failed' ? s : undefined;
    });
    expect(state).to.equal('failed');
    expect((await inspect.getJob(job.id!))!.attemptsMade).to.equal(1);
    let refused: unknown;
    await ledger
      .enqueue({ kind: 'deposit', userId: 7, depositId: 'has:colon', asset: 'USDT', amount: '1' })
      .catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(LedgerJobError);
  });

  it('keeps every key of the queue under the deployment prefix (cleaned up with it)', async () => {
    const keys = await scanKeys(t.redis, `${t.keys.prefix}:${LEDGER_QUEUE_NAME}:*`);
    expect(keys).to.include(`${t.keys.prefix}:${LEDGER_QUEUE_NAME}:meta`);
    expect(await scanKeys(t.redis, `bull:${LEDGER_QUEUE_NAME}:*`)).to.deep.equal([]);
  });
});

describe('ledger: job ids and retry delays', () => {
  it('names a job by kind, user and id', () => {
    expect(
      ledgerJobId({ kind: 'deposit', userId: 12, depositId: '3-x', asset: 'BTC', amount: '1' }),
    ).to.equal('deposit-12-3-x');
    expect(
      ledgerJobId({
        kind: 'withdrawal',
        userId: 1,
        withdrawalId: '23-x',
        asset: 'BTC',
        amount: '1',
        status: 'ok',
      }),
    ).to.equal('withdrawal-1-23-x');
  });

  it('doubles the delay per attempt up to the cap, jittered in its upper half', () => {
    const top = () => 1 - Number.EPSILON;
    const bottom = () => 0;
    expect([1, 2, 3, 4].map((n) => ledgerBackoffMs(n, 100, 1_000, top))).to.deep.equal([100, 200, 400, 800]);
    expect(ledgerBackoffMs(5, 100, 1_000, top)).to.equal(1_000);
    expect(ledgerBackoffMs(1e9, 100, 1_000, top)).to.equal(1_000); // never Infinity
    expect(ledgerBackoffMs(3, 100, 1_000, bottom)).to.equal(200);
  });
});
