import type { ChainableCommander } from 'ioredis';
import { distinctUserIds, type AccountSnapshot } from './balance-accounts.ts';
import type { BalanceOps, Op, Release, Settlement } from './balance-ops.ts';
import {
  toBalanceError,
  type DepositResult,
  type HoldResult,
  type ReleaseResult,
  type SettleResult,
  type WithdrawResult,
} from './balance-replies.ts';

/**
 * The balance operations appended to a batch (batch.ts), so that a matcher sends a whole batch of
 * holds and settlements in one round trip (one per master on a Cluster). Each append returns a
 * handle that knows its place in the batch; after `exec()`, `handle.read(replies)` (or `readAll`)
 * gives the typed result.
 *
 *   const batch = store.pipelined(createBatch(redis));
 *   const held = batch.hold(7, 'o-1', 'USDT', 500n);
 *   const settled = batch.settle({ ... });
 *   const replies = await batch.pipeline.exec();
 *   const [h, s] = readAll([held, settled], replies); // [HoldResult, SettleResult]
 *
 * Other commands may share the batch. It must be `createBatch(client)` or a plain pipeline, not
 * MULTI, whose replies are shifted by the MULTI itself. On a Cluster the batch keeps order per
 * master only: every operation touches one user's keys (one slot), so each user's operations still
 * run in the order appended.
 */

/** The replies of `pipeline.exec()`. */
export type PipelineReplies = ReadonlyArray<readonly [error: Error | null, reply: unknown]> | null;

/** An operation appended to a pipeline: its place there, and its typed result once executed. */
export interface Queued<T> {
  readonly index: number;
  /** Decodes this operation's reply; throws its error (a BalanceScriptError for a script's refusal). */
  read(replies: PipelineReplies): T;
}

export type ResultsOf<Q extends readonly Queued<unknown>[]> = {
  -readonly [K in keyof Q]: Q[K] extends Queued<infer T> ? T : never;
};

/** Reads several queued operations at once, typed in order: `readAll([a, b], replies)`. */
export function readAll<const Q extends readonly Queued<unknown>[]>(
  queued: Q,
  replies: PipelineReplies,
): ResultsOf<Q> {
  return queued.map((q) => q.read(replies)) as ResultsOf<Q>;
}

export interface BalancePipelineOptions {
  /**
   * One Redis only (the keys span users): holds, settlements and releases appended in a row go as
   * one `balanceBatch` call (balance-batch-0.lua) instead of one script call each, with the same
   * effects and replies, an error being that operation's alone as in a pipeline. A script call costs
   * the client several µs and the server a few whatever it carries; a matcher batch makes about
   * three per order. The owner must `seal()` before `exec()`. Default false.
   */
  readonly combine?: boolean;
}

/** The combined operations not sealed yet, or sealed at `index` of the pipeline. */
interface Group {
  readonly operands: string[];
  count: number;
  index: number;
}

/** The balance operations, appended to a pipeline. Its owner runs `exec()` and reads the handles. */
export class BalancePipeline {
  readonly #combine: boolean;
  #open: Group | undefined;

  constructor(
    private readonly ops: BalanceOps,
    readonly pipeline: ChainableCommander,
    options: BalancePipelineOptions = {},
  ) {
    if (typeof pipeline.balanceSettle !== 'function') {
      throw new TypeError('create the pipeline after a BalanceStore was constructed on its client');
    }
    this.#combine = options.combine ?? false;
  }

  /**
   * Appends the combined operations queued since the last seal as one call. Needed before `exec()`
   * in `combine` mode (a handle read before it throws); does nothing otherwise.
   */
  seal(): void {
    const group = this.#open;
    if (group === undefined) return;
    this.#open = undefined;
    group.index = this.pipeline.length;
    this.pipeline.balanceBatch(...group.operands);
  }

  deposit(userId: number, asset: string, amount: bigint, depositId: string): Queued<DepositResult> {
    return this.queue(this.ops.deposit(userId, asset, amount, depositId));
  }

  withdraw(userId: number, asset: string, amount: bigint, withdrawalId: string): Queued<WithdrawResult> {
    return this.queue(this.ops.withdraw(userId, asset, amount, withdrawalId));
  }

  hold(userId: number, orderId: string, asset: string, amount: bigint | 'all'): Queued<HoldResult> {
    return this.queue(this.ops.hold(userId, orderId, asset, amount));
  }

  holdMore(userId: number, orderId: string, entryId: string, amount: bigint): Queued<HoldResult> {
    return this.queue(this.ops.holdMore(userId, orderId, entryId, amount));
  }

  settle(settlement: Settlement): Queued<SettleResult> {
    return this.queue(this.ops.settle(settlement));
  }

  release(release: Release): Queued<ReleaseResult> {
    return this.queue(this.ops.release(release));
  }

  /**
   * HGETALL of each user's balances hash (once per distinct user): every (user, asset) present,
   * sorted by user then asset, each with its hash's version. `index` is the first of its replies.
   * With `assets`, only those assets' rows (HMGET), for a caller that knows which ones moved.
   */
  readAccounts(userIds: readonly number[], assets?: readonly string[]): Queued<AccountSnapshot[]> {
    this.seal();
    const index = this.pipeline.length;
    const queued = distinctUserIds(userIds).map((userId) =>
      this.queue(assets === undefined ? this.ops.accounts(userId) : this.ops.assetAccounts(userId, assets)),
    );
    return { index, read: (replies) => queued.flatMap((q) => q.read(replies)) };
  }

  private queue<T>(op: Op<T>): Queued<T> {
    if (this.#combine && op.batched !== undefined) return this.combined(op, op.batched);
    // Anything else goes after the combined operations queued before it: order is kept.
    this.seal();
    const index = this.pipeline.length;
    op.send(this.pipeline);
    return {
      index,
      read(replies) {
        const entry = replies?.[index];
        if (!entry) throw new RangeError(`no reply at pipeline index ${index}: was the pipeline executed?`);
        if (entry[0]) throw toBalanceError(entry[0]);
        return op.decode(entry[1]);
      },
    };
  }

  private combined<T>(op: Op<T>, operands: readonly string[]): Queued<T> {
    const group = (this.#open ??= { operands: [], count: 0, index: -1 });
    const position = group.count++;
    group.operands.push(...operands);
    return {
      get index() {
        return group.index;
      },
      read(replies) {
        if (group.index < 0) throw new RangeError('read before seal(): the operation was never sent');
        const entry = replies?.[group.index];
        if (!entry)
          throw new RangeError(`no reply at pipeline index ${group.index}: was the pipeline executed?`);
        if (entry[0]) throw toBalanceError(entry[0]);
        const reply = Array.isArray(entry[1]) ? (entry[1] as unknown[])[position] : undefined;
        if (Array.isArray(reply) && reply[0] === 'ERROR') throw toBalanceError(new Error(String(reply[1])));
        return op.decode(reply);
      },
    };
  }
}
