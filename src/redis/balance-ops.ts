import type { ClientContext, RedisCommander, Result } from 'ioredis';
import { accountsOf, assetAccountFields, assetAccountsOf, type AccountSnapshot } from './balance-accounts.ts';
import {
  BalanceScriptError,
  decodeDeposit,
  decodeHold,
  decodeRelease,
  decodeSettle,
  decodeWithdraw,
  type DepositResult,
  type HoldResult,
  type ReleaseResult,
  type SettleResult,
  type WithdrawResult,
} from './balance-replies.ts';
import type { Keys } from './keys.ts';

/**
 * The balance script calls, built once for both ways of sending them: awaited on a client
 * (BalanceStore) or appended to a pipeline (BalancePipeline). Amounts are bigints in the asset's
 * smallest unit and travel as decimal strings, exact at any size.
 */

/** Which side of an engine event a balance effect is: role 0 (maker, release) or 1 (taker). */
export type EffectRole = 'maker' | 'taker' | 'release';

/** The position of a balance effect: `seq × 2 + role` (docs/balances.md). Past 2^53, hence bigint. */
export function positionOf(seq: number, role: EffectRole): bigint {
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new RangeError(`seq must be a safe integer >= 0, got ${seq}`);
  return BigInt(seq) * 2n + (role === 'taker' ? 1n : 0n);
}

/** One user's side of one trade. */
export interface Settlement {
  readonly userId: number;
  readonly symbol: string;
  readonly position: bigint;
  readonly orderId: string;
  /** What the order gives, taken from its hold. */
  readonly spentAsset: string;
  readonly spent: bigint;
  /** What the order gets; `fee` (in the same asset) is kept out of available and added to fees paid. */
  readonly receivedAsset: string;
  readonly received: bigint;
  readonly fee: bigint;
}

export interface Release {
  readonly userId: number;
  readonly symbol: string;
  readonly position: bigint;
  readonly orderId: string;
  /** 'all': the order is done, release what it holds and close its hold; otherwise at most its held amount. */
  readonly amount: bigint | 'all';
}

/** One script call (or read): how to send it on a client or pipeline, and how to decode its reply. */
export interface Op<T> {
  send<C extends ClientContext>(client: RedisCommander<C>): Result<unknown, C>;
  decode(reply: unknown): T;
  /** The operation in a `balanceBatch` call (balance-batch-0.lua): its opcode, keys and arguments. */
  readonly batched?: readonly string[];
}

const encode = (amount: bigint | 'all'): string => (amount === 'all' ? amount : amount.toString());

/** Builds the script calls; shared by the direct and the pipelined API. */
export class BalanceOps {
  constructor(private readonly keys: Keys) {}

  deposit(userId: number, asset: string, amount: bigint, depositId: string): Op<DepositResult> {
    const balances = this.keys.balances(userId);
    const deposits = this.keys.deposits(userId);
    return {
      send: (client) => client.balanceDeposit(balances, deposits, depositId, asset, encode(amount)),
      decode: decodeDeposit,
    };
  }

  withdraw(userId: number, asset: string, amount: bigint, withdrawalId: string): Op<WithdrawResult> {
    const balances = this.keys.balances(userId);
    const withdrawals = this.keys.withdrawals(userId);
    return {
      send: (client) => client.balanceWithdraw(balances, withdrawals, withdrawalId, asset, encode(amount)),
      decode: decodeWithdraw,
    };
  }

  hold(userId: number, orderId: string, asset: string, amount: bigint | 'all'): Op<HoldResult> {
    const balances = this.keys.balances(userId);
    const holds = this.keys.holds(userId);
    const args = [balances, holds, orderId, asset, encode(amount)] as const;
    return {
      send: (client) => client.balanceHold(...args),
      decode: decodeHold,
      batched: ['H', ...args],
    };
  }

  holdMore(userId: number, orderId: string, entryId: string, amount: bigint): Op<HoldResult> {
    const balances = this.keys.balances(userId);
    const holds = this.keys.holds(userId);
    return {
      send: (client) => client.balanceHoldMore(balances, holds, orderId, entryId, encode(amount)),
      decode: decodeHold,
    };
  }

  settle(s: Settlement): Op<SettleResult> {
    const args = [
      ...this.positionedKeys(s.userId),
      s.symbol,
      encode(s.position),
      s.orderId,
      s.spentAsset,
      encode(s.spent),
      s.receivedAsset,
      encode(s.received),
      encode(s.fee),
    ] as const;
    return {
      send: (client) => client.balanceSettle(...args),
      decode: decodeSettle,
      batched: ['S', ...args],
    };
  }

  /** HGETALL of the user's balances hash: its assets with the hash's version (balance-accounts.ts). */
  accounts(userId: number): Op<AccountSnapshot[]> {
    const balances = this.keys.balances(userId);
    return {
      send: (client) => client.hgetall(balances),
      decode: (reply) => {
        if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) {
          throw new BalanceScriptError(
            'UNEXPECTED_REPLY',
            `unexpected HGETALL reply for ${balances}: ${JSON.stringify(reply)}`,
          );
        }
        return accountsOf(userId, balances, reply as Record<string, string>);
      },
    };
  }

  /**
   * HMGET of the given assets' fields and the version: `accounts` limited to those assets (an asset
   * with none of its fields is left out, as HGETALL would). What a matcher batch moved is only its
   * market's base and quote, so it copies those rows, not the user's whole hash.
   */
  assetAccounts(userId: number, assets: readonly string[]): Op<AccountSnapshot[]> {
    const balances = this.keys.balances(userId);
    const fields = assetAccountFields(assets);
    return {
      send: (client) => client.hmget(balances, ...fields),
      decode: (reply) => {
        if (!Array.isArray(reply)) {
          throw new BalanceScriptError(
            'UNEXPECTED_REPLY',
            `unexpected HMGET reply for ${balances}: ${JSON.stringify(reply)}`,
          );
        }
        return assetAccountsOf(userId, balances, assets, reply);
      },
    };
  }

  release(r: Release): Op<ReleaseResult> {
    const args = [
      ...this.positionedKeys(r.userId),
      r.symbol,
      encode(r.position),
      r.orderId,
      encode(r.amount),
    ] as const;
    return {
      send: (client) => client.balanceRelease(...args),
      decode: decodeRelease,
      batched: ['R', ...args],
    };
  }

  /** The keys of an operation applied by position (settle, release): balances, holds, cursor. */
  private positionedKeys(userId: number): readonly [string, string, string] {
    return [this.keys.balances(userId), this.keys.holds(userId), this.keys.cursor(userId)];
  }
}
