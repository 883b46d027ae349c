/**
 * The API's BalanceService over the balance scripts (src/redis/balance-store.ts, docs/balances.md).
 * Deposits and withdrawals are idempotent by their id in the scripts themselves; this adapter only
 * turns the scripts' replies into the port's words: a DUPLICATE reply is `duplicate: true`, with
 * the first call's outcome.
 *
 * A repeated id reports the first call's outcome even when the repeat asked for another asset or
 * amount: the id names one operation, and it happened once.
 */
import type { BalanceRecord, BalanceService, LedgerResult } from '../../api/ports.ts';
import { ApiError } from '../../api/errors.ts';
import { BalanceScriptError, type BalanceStore } from '../../redis/balance-store.ts';

export class RedisBalanceService implements BalanceService {
  constructor(private readonly store: BalanceStore) {}

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
    return {
      status: result.status === 'OK' ? 'ok' : 'insufficient_funds',
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
