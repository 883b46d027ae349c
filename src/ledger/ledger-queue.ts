import { Queue, type JobsOptions } from 'bullmq';
import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import { createRedisClient, type RedisClient } from '../redis/connection.ts';
import { checkLedgerJob, LEDGER_QUEUE_NAME, ledgerJobId, type LedgerJob } from './ledger-job.ts';

/**
 * The enqueue side of the ledger (docs/mysql.md, "Deposits and withdrawals"): after the deposit or
 * withdrawal script has run in Redis, the API puts a job on a BullMQ queue, and a ledger worker
 * (ledger-worker.ts) writes the MySQL rows. MySQL is slow and may be down; the API answers without
 * waiting for it, and the job is retried until it succeeds.
 *
 * The job's id names the operation (ledger-job.ts): enqueueing it again while it is still queued
 * adds nothing, and once it is done (and removed) a new one only rewrites what is there, since the
 * worker's writes are idempotent. That is what lets a client's retry re-drive a job that was lost
 * between the Redis script and the enqueue: the script answers DUPLICATE and the API enqueues again.
 */

/** What the balance service needs: resolves once the job is durably in Redis. */
export interface LedgerSink {
  enqueue(job: LedgerJob): Promise<void>;
}

/** The custom backoff the ledger worker implements (capped exponential, ledger-worker.ts). */
export const LEDGER_BACKOFF = 'ledger-capped-exponential';

/**
 * Every attempt BullMQ would ever count (effectively unlimited, so an outage of MySQL of any length
 * drops nothing; the backoff is capped, so recovery is prompt), completed jobs removed (MySQL has
 * them), and the rare job that fails for good (malformed data) kept for an operator.
 */
export const LEDGER_JOB_OPTIONS = Object.freeze({
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: LEDGER_BACKOFF },
  removeOnComplete: true,
  removeOnFail: false,
} satisfies JobsOptions);

export class LedgerQueue implements LedgerSink {
  private constructor(
    private readonly queue: Queue,
    private readonly connection: RedisClient,
  ) {}

  /**
   * Opens the queue on its own connection, to one Redis or a Redis Cluster as configured (the
   * queue's keys share the `{ledger}` slot; ledger-job.ts). createRedisClient defaults: a command
   * fails after a few reconnections, so an outage surfaces to the caller in seconds instead of
   * hanging a request. Connection errors are logged; each failed enqueue also rejects.
   */
  static async open(config: Pick<Config, 'redis'>, options: { log?: Logger } = {}): Promise<LedgerQueue> {
    const connection = createRedisClient(config, { connectionName: 'ledger-queue' });
    const queue = new Queue(LEDGER_QUEUE_NAME, { connection, prefix: config.redis.keyPrefix });
    // BullMQ re-emits connection errors; an 'error' event without a listener would crash the process.
    queue.on('error', (error) => options.log?.warn({ err: error }, 'ledger queue: Redis error'));
    try {
      await queue.waitUntilReady();
    } catch (error) {
      await queue.close().catch(() => undefined);
      connection.disconnect();
      throw error;
    }
    return new LedgerQueue(queue, connection);
  }

  /** Adds the job (checked first: a LedgerJobError for malformed data), once per operation. */
  async enqueue(job: LedgerJob): Promise<void> {
    const checked = checkLedgerJob(job);
    await this.queue.add(checked.kind, checked, { ...LEDGER_JOB_OPTIONS, jobId: ledgerJobId(checked) });
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.connection.quit();
  }
}
