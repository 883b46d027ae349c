import type { DepositRow, WithdrawalRow } from '../persistence/tables.ts';

/**
 * One deposit or withdrawal that Redis has applied (or refused) and MySQL must record
 * (docs/mysql.md, "Deposits and withdrawals"): the data of a job on the ledger queue. Pure: the
 * queue's name, each job's id, the checks a worker runs on what it dequeues, and the row it writes.
 *
 * The values are the ones Redis recorded for the id (for a repeat, the first call's), so every
 * enqueue of one operation carries the same job. Amounts travel as decimal strings: JSON has no
 * bigint, and a number would round past 2^53.
 */

export type LedgerJob =
  | {
      readonly kind: 'deposit';
      readonly userId: number;
      readonly depositId: string;
      readonly asset: string;
      /** Credited, smallest units of the asset, a decimal string. */
      readonly amount: string;
    }
  | {
      readonly kind: 'withdrawal';
      readonly userId: number;
      readonly withdrawalId: string;
      readonly asset: string;
      /** Asked for, smallest units of the asset; debited only when status is 'ok'. */
      readonly amount: string;
      readonly status: 'ok' | 'insufficient_funds';
    };

/**
 * The BullMQ queue of the ledger jobs, under the deployment's KEY_PREFIX as BullMQ's prefix:
 * its keys are `<KEY_PREFIX>:{ledger}:...`, so they share the deployment's namespace (and a test's
 * cleanup by prefix), and the hash tag keeps every key of the queue in one Redis Cluster slot, as
 * BullMQ's scripts need.
 */
export const LEDGER_QUEUE_NAME = '{ledger}';

export class LedgerJobError extends Error {
  override readonly name = 'LedgerJobError';
}

/** The ids the API accepts and the columns hold (VARCHAR(64)); also safe inside a BullMQ job id. */
const OPERATION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ASSET = /^[A-Z0-9]{2,12}$/;
const MAX_AMOUNT = 2n ** 63n - 1n;

/**
 * The job's id: one per (user, kind, operation id), so enqueueing the same operation again while its
 * job is still in the queue adds nothing. BullMQ refuses ':' and all-digit ids; the user id holds no
 * '-', so `<kind>-<userId>-<id>` is unambiguous.
 */
export function ledgerJobId(job: LedgerJob): string {
  const id = job.kind === 'deposit' ? job.depositId : job.withdrawalId;
  return `${job.kind}-${job.userId}-${id}`;
}

/** Checks a job's data, as enqueued or as dequeued; throws LedgerJobError naming the problem. */
export function checkLedgerJob(data: unknown): LedgerJob {
  const fail = (problem: string): never => {
    throw new LedgerJobError(`ledger job ${JSON.stringify(data)}: ${problem}`);
  };
  if (typeof data !== 'object' || data === null) return fail('not an object');
  const job = data as Record<string, unknown>;
  const { kind, userId, asset, amount } = job;
  if (kind !== 'deposit' && kind !== 'withdrawal') fail('kind must be deposit or withdrawal');
  if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || userId <= 0) {
    fail('userId must be a positive safe integer');
  }
  const id = kind === 'deposit' ? job.depositId : job.withdrawalId;
  if (typeof id !== 'string' || !OPERATION_ID.test(id)) fail(`${kind} id must match ${OPERATION_ID}`);
  if (typeof asset !== 'string' || !ASSET.test(asset)) fail('asset must be 2-12 characters of A-Z 0-9');
  if (typeof amount !== 'string' || !/^[1-9][0-9]{0,18}$/.test(amount) || BigInt(amount) > MAX_AMOUNT) {
    fail('amount must be a positive decimal integer of at most 2^63 - 1');
  }
  const base = { userId: userId as number, asset: asset as string, amount: amount as string };
  if (kind === 'deposit') return { kind, depositId: id as string, ...base };
  const { status } = job;
  if (status !== 'ok' && status !== 'insufficient_funds') fail('status must be ok or insufficient_funds');
  return {
    kind: 'withdrawal',
    withdrawalId: id as string,
    ...base,
    status: status as 'ok' | 'insufficient_funds',
  };
}

export function depositRow(job: Extract<LedgerJob, { kind: 'deposit' }>): DepositRow {
  return { deposit_id: job.depositId, user_id: String(job.userId), asset: job.asset, amount: job.amount };
}

export function withdrawalRow(job: Extract<LedgerJob, { kind: 'withdrawal' }>): WithdrawalRow {
  return {
    withdrawal_id: job.withdrawalId,
    user_id: String(job.userId),
    asset: job.asset,
    amount: job.amount,
    status: job.status,
  };
}
