import { UnrecoverableError, Worker } from 'bullmq';
import { WriteBuffer, type FlushResult, type WriteConnectionSource } from '../mysql/write-buffer.ts';
import type { Logger } from '../observability/logger.ts';
import { balanceRows } from '../persistence/balance-rows.ts';
import { BALANCES, DEPOSITS, DURABLE_TABLES, WITHDRAWALS } from '../persistence/tables.ts';
import type { BalanceStore } from '../redis/balance-store.ts';
import type { Config } from '../config/config.ts';
import { createRedisClient } from '../redis/connection.ts';
import {
  checkLedgerJob,
  depositRow,
  LEDGER_QUEUE_NAME,
  LedgerJobError,
  withdrawalRow,
  type LedgerJob,
} from './ledger-job.ts';

/**
 * The ledger worker (docs/mysql.md, "Deposits and withdrawals"): takes the jobs the API enqueued
 * (ledger-queue.ts) and, per job, writes in one MySQL transaction the deposit or withdrawal row
 * (insert-once) and the user's balance rows as Redis holds them now (version-guarded, so a copy
 * older than what a matcher already wrote changes nothing). A job that fails is retried with a
 * capped exponential backoff, without limit: nothing is dropped while MySQL is down.
 */

export interface LedgerWorkerDeps {
  /**
   * The Redis of the queue (REDIS_URL, and REDIS_CLUSTER_NODES for a Cluster); the worker opens
   * its own connections to it. The queue lives under its KEY_PREFIX (ledger-job.ts).
   */
  readonly redis: Config['redis'];
  /** Where the rows go; a mysql2/promise Pool fits. */
  readonly pool: WriteConnectionSource;
  /** Reads the user's balances to write them with the operation. */
  readonly balances: Pick<BalanceStore, 'readAccounts'>;
  readonly log: Logger;
  /** Jobs written at once. Default 4. */
  readonly concurrency?: number;
  /** Delay before the first retry of a failed job, doubled for each next one. Default 500. */
  readonly retryBaseDelayMs?: number;
  /** Longest delay between two attempts of a job. Default 60 000. */
  readonly maxRetryDelayMs?: number;
}

export interface LedgerWorker {
  /** Stops taking jobs, waits for those in progress, closes the worker's connections. */
  close(): Promise<void>;
}

/** What one job writes, in the order every flush of the matchers writes the same tables. */
const LEDGER_TABLES = DURABLE_TABLES.filter(
  (table) => table === BALANCES || table === DEPOSITS || table === WITHDRAWALS,
);

/**
 * Writes one job's rows in one transaction (a WriteBuffer of its own, flushed once: rows sorted by
 * key, deadlocks retried); rejects with the flush's error when it fails, for BullMQ to retry.
 */
export async function recordLedgerJob(
  job: LedgerJob,
  deps: Pick<LedgerWorkerDeps, 'pool' | 'balances'>,
): Promise<FlushResult> {
  const buffer = new WriteBuffer({ connections: deps.pool, tables: LEDGER_TABLES, autoFlush: false });
  if (job.kind === 'deposit') buffer.add(DEPOSITS, depositRow(job));
  else buffer.add(WITHDRAWALS, withdrawalRow(job));
  // A refused withdrawal moved no funds: it has no balance to record.
  if (job.kind === 'deposit' || job.status === 'ok') {
    for (const row of balanceRows(await deps.balances.readAccounts([job.userId]))) buffer.add(BALANCES, row);
  }
  const result = await buffer.flush();
  if (!result.ok) throw result.error;
  return result;
}

/**
 * The delay before the next attempt after `attemptsMade` failed ones: base × 2^(attempts − 1),
 * capped at `maxMs`, the upper half of it jittered so that jobs failed by one outage spread out.
 */
export function ledgerBackoffMs(
  attemptsMade: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
  const delay = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(delay / 2 + (random() * delay) / 2);
}

export async function startLedgerWorker(deps: LedgerWorkerDeps): Promise<LedgerWorker> {
  const { log } = deps;
  const { keyPrefix } = deps.redis;
  const baseMs = deps.retryBaseDelayMs ?? 500;
  const maxMs = deps.maxRetryDelayMs ?? 60_000;
  // A worker blocks on Redis: its connection must wait through any outage (BullMQ requires null).
  const connection = createRedisClient(
    { redis: deps.redis },
    { connectionName: 'ledger-worker', maxRetriesPerRequest: null },
  );
  const worker = new Worker<LedgerJob>(
    LEDGER_QUEUE_NAME,
    async (job) => {
      let data: LedgerJob;
      try {
        data = checkLedgerJob(job.data);
      } catch (error) {
        // No retry can fix malformed data: the job fails for good and stays for an operator.
        if (error instanceof LedgerJobError) throw new UnrecoverableError(error.message);
        throw error;
      }
      await recordLedgerJob(data, deps);
    },
    {
      connection,
      prefix: keyPrefix,
      concurrency: deps.concurrency ?? 4,
      // A job whose worker died is taken up again, however often: writing it twice is harmless.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      settings: { backoffStrategy: (attemptsMade) => ledgerBackoffMs(attemptsMade, baseMs, maxMs) },
    },
  );
  worker.on('failed', (job, error) => {
    log.warn({ err: error, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'ledger job failed');
  });
  worker.on('error', (error) => log.error({ err: error }, 'ledger worker error'));
  try {
    await worker.waitUntilReady();
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    connection.disconnect();
    throw error;
  }
  log.info({ queue: LEDGER_QUEUE_NAME, prefix: keyPrefix }, 'ledger worker started');
  return {
    async close() {
      await worker.close();
      await connection.quit();
    },
  };
}
