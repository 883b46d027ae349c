import type { ChainableCommander } from 'ioredis';
import { distinctUserIds, parseBalanceHash, type AccountSnapshot } from './balance-accounts.ts';
import { BalanceOps, type Op, type Release, type Settlement } from './balance-ops.ts';
import { BalancePipeline, type BalancePipelineOptions } from './balance-pipeline.ts';
import {
  toBalanceError,
  type DepositResult,
  type HoldResult,
  type ReleaseResult,
  type SettleResult,
  type WithdrawResult,
} from './balance-replies.ts';
import { defineBalanceScripts } from './balance-scripts.ts';
import { createBatch } from './batch.ts';
import type { RedisClient } from './connection.ts';
import type { Keys } from './keys.ts';

// The store is the entry point of the balance API: what its callers need is re-exported here.
export { VERSION_FIELD, type AccountSnapshot } from './balance-accounts.ts';
export { positionOf, type EffectRole, type Release, type Settlement } from './balance-ops.ts';
export {
  BalancePipeline,
  readAll,
  type PipelineReplies,
  type Queued,
  type ResultsOf,
} from './balance-pipeline.ts';
export {
  BalanceScriptError,
  type BalanceErrorCode,
  type DepositResult,
  type HoldResult,
  type ReleaseResult,
  type SettleResult,
  type WithdrawResult,
} from './balance-replies.ts';

/**
 * Users' balances in Redis (docs/balances.md), changed only by the balance scripts (src/redis/lua).
 * Amounts are bigints in the asset's smallest unit and travel as decimal strings, exact at any size.
 *
 * Each operation exists twice: awaited on its own (`store.hold(...)`), or appended to a batch
 * (`store.pipelined(createBatch(redis)).hold(...)`, see balance-pipeline.ts) so that a matcher sends
 * a whole batch in one round trip (per master on a Cluster) and reads each result, typed, by the
 * handle it got when appending.
 * A script's refusal of its arguments or of the state it finds rejects with a BalanceScriptError
 * (nothing changed); refusals that are outcomes (INSUFFICIENT_FUNDS, SKIPPED) are results.
 */

export interface Balance {
  readonly asset: string;
  readonly available: bigint;
  readonly locked: bigint;
}

/** A hold record (docs/balances.md): `amount` is what the hold decided, `held` what it still holds. */
export type HoldRecord =
  | { readonly state: 'active'; readonly asset: string; readonly held: bigint; readonly amount: bigint }
  | { readonly state: 'released'; readonly asset: string; readonly amount: bigint }
  | { readonly state: 'refused' };

export class BalanceStore {
  private readonly ops: BalanceOps;

  /** Registers the balance scripts on `redis`; create batches for `pipelined` after this. */
  constructor(
    readonly redis: RedisClient,
    readonly keys: Keys,
  ) {
    defineBalanceScripts(redis);
    this.ops = new BalanceOps(keys);
  }

  /** Credits available funds once per depositId. */
  deposit(userId: number, asset: string, amount: bigint, depositId: string): Promise<DepositResult> {
    return this.run(this.ops.deposit(userId, asset, amount, depositId));
  }

  /** Debits available funds (never locked ones) once per withdrawalId; a refusal is recorded. */
  withdraw(userId: number, asset: string, amount: bigint, withdrawalId: string): Promise<WithdrawResult> {
    return this.run(this.ops.withdraw(userId, asset, amount, withdrawalId));
  }

  /** Holds funds for an order, once per orderId; 'all' holds the whole available balance. */
  hold(userId: number, orderId: string, asset: string, amount: bigint | 'all'): Promise<HoldResult> {
    return this.run(this.ops.hold(userId, orderId, asset, amount));
  }

  /** Holds `amount` more for an amended order, once per (orderId, entryId). */
  holdMore(userId: number, orderId: string, entryId: string, amount: bigint): Promise<HoldResult> {
    return this.run(this.ops.holdMore(userId, orderId, entryId, amount));
  }

  /** Applies one user's side of one trade, unless its position was applied already. */
  settle(settlement: Settlement): Promise<SettleResult> {
    return this.run(this.ops.settle(settlement));
  }

  /** Releases held funds back to available, unless its position was applied already. */
  release(release: Release): Promise<ReleaseResult> {
    return this.run(this.ops.release(release));
  }

  /**
   * Appends operations to `pipeline`: `createBatch` of this store's client (a plain pipeline, not
   * MULTI). `combine` (one Redis only): holds, settlements and releases go as one `balanceBatch` call
   * per run of them; `seal()` the BalancePipeline before `exec()`.
   */
  pipelined(pipeline: ChainableCommander, options: BalancePipelineOptions = {}): BalancePipeline {
    return new BalancePipeline(this.ops, pipeline, options);
  }

  /**
   * The balances of several users in one round trip (one batch of HGETALL: per master on a
   * Cluster): one snapshot per (user, asset) present in a user's hash, sorted by user then asset,
   * each with the version `v` of the hash it was read from. Each user's rows are one atomic read;
   * users are read one after the other.
   */
  async readAccounts(userIds: readonly number[]): Promise<AccountSnapshot[]> {
    const ids = distinctUserIds(userIds);
    if (ids.length === 0) return [];
    const batch = this.pipelined(createBatch(this.redis));
    const accounts = batch.readAccounts(ids);
    return accounts.read(await batch.pipeline.exec());
  }

  /** Every asset the user has an available or locked field for (even at 0), sorted by asset. */
  async getBalances(userId: number): Promise<Balance[]> {
    return (await this.balanceSheet(userId))
      .filter((row) => row.listed)
      .map(({ asset, available, locked }) => ({ asset, available, locked }));
  }

  /** Fees the user has paid, cumulative, per asset: the user's share of the fee account. */
  async getFeesPaid(userId: number): Promise<Map<string, bigint>> {
    const sheet = await this.balanceSheet(userId);
    return new Map(sheet.filter((row) => row.feesPaid > 0n).map((row) => [row.asset, row.feesPaid]));
  }

  async getHold(userId: number, orderId: string): Promise<HoldRecord | undefined> {
    const record = await this.redis.hget(this.keys.holds(userId), orderId);
    return record === null ? undefined : parseHoldRecord(record);
  }

  private async run<T>(op: Op<T>): Promise<T> {
    let reply: unknown;
    try {
      reply = await op.send(this.redis);
    } catch (error) {
      throw toBalanceError(error);
    }
    return op.decode(reply);
  }

  /** The balances hash as rows per asset, sorted by asset (its version `v` aside). */
  private async balanceSheet(userId: number) {
    const key = this.keys.balances(userId);
    return parseBalanceHash(key, await this.redis.hgetall(key)).rows;
  }
}

export function parseHoldRecord(record: string): HoldRecord {
  if (record === 'R') return { state: 'refused' };
  const words = record.split(' ');
  if (words.length === 3 && words[0] === 'X') {
    return { state: 'released', asset: words[1]!, amount: BigInt(words[2]!) };
  }
  if (words.length === 3) {
    return { state: 'active', asset: words[0]!, held: BigInt(words[1]!), amount: BigInt(words[2]!) };
  }
  throw new RangeError(`not a hold record: ${JSON.stringify(record)}`);
}
