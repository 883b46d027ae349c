/**
 * The API's BalanceService over the balance scripts (src/redis/balance-store.ts, docs/balances.md).
 * Deposits and withdrawals are idempotent by their id in the scripts themselves; this adapter only
 * turns the scripts' replies into the port's words: a DUPLICATE reply is `duplicate: true`, with
 * the first call's outcome.
 *
 * A repeated id reports the first call's outcome even when the repeat asked for another asset or
 * amount: the id names one operation, and it happened once.
 *
 * Once the script has answered, the operation is handed to the ledger (src/ledger/ledger-queue.ts),
 * which records it in MySQL; a DUPLICATE too, with the first call's values, so that a client's retry
 * re-drives a job lost between the script and the enqueue (the job's id makes a repeat harmless).
 * An enqueue that fails fails the request: the client retries, and the retry enqueues again.
 */
import type { BalanceRecord, BalanceService, LedgerResult } from '../../api/ports.ts';
import { ApiError } from '../../api/errors.ts';
import type { LedgerSink } from '../../ledger/ledger-queue.ts';
import { BalanceScriptError, type BalanceStore } from '../../redis/balance-store.ts';

export class RedisBalanceService implements BalanceService {
  /** Without a ledger nothing reaches MySQL: tests of the Redis side alone. */
  constructor(
    private readonly store: BalanceStore,
    private readonly ledger?: LedgerSink,
  ) {}

  async deposit(request: {
    userId: number;
    asset: string;
    amount: bigint;
    depositId: string;
  }): Promise<LedgerResult> {
    const { userId, asset, amount, depositId } = request;
    const result = await this.store
      .deposit(userId, asset, amount, depositId)
      .catch((error: unknown) => rethrow(error, asset));
    await this.ledger?.enqueue({
      kind: 'deposit',
      userId,
      depositId,
      asset: result.asset,
      amount: result.amount.toString(),
    });
    return { duplicate: result.replayed, asset: result.asset, amount: result.amount };
  }

  async withdraw(request: {
    userId: number;
    asset: string;
    amount: bigint;
    withdrawalId: string;
  }): Promise<LedgerResult & { readonly status: 'ok' | 'insufficient_funds' }> {
    const { userId, asset, amount, withdrawalId } = request;
    const result = await this.store
      .withdraw(userId, asset, amount, withdrawalId)
      .catch((error: unknown) => rethrow(error, asset));
    const status = result.status === 'OK' ? 'ok' : 'insufficient_funds';
    await this.ledger?.enqueue({
      kind: 'withdrawal',
      userId,
      withdrawalId,
      asset: result.asset,
      amount: result.amount.toString(),
      status,
    });
    return {
      status,
      duplicate: result.replayed,
      asset: result.asset,
      amount: result.amount,
    };
  }

  /** Every asset the user has held, sorted by asset. */
  async list(userId: number): Promise<readonly BalanceRecord[]> {
    return this.store.getBalances(userId);
  }
}

/**
 * A deposit that would take a balance past 2^63 − 1 units is refused by the script (OVERFLOW):
 * that is the request's amount being too large, a 400 the client can act on. Anything else is a bug
 * or an outage and stays what it is (500, logged).
 */
function rethrow(error: unknown, asset: string): never {
  if (error instanceof BalanceScriptError && error.code === 'OVERFLOW') {
    throw new ApiError('INVALID_QUANTITY', `the ${asset} balance would pass its largest amount`, {
      cause: error,
    });
  }
  throw error;
}
