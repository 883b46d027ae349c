import type { RedisKey, Result } from 'ioredis';
import { defineScripts, loadLuaScript, type ScriptHost } from './scripts.ts';

/**
 * The balance scripts of docs/balances.md as ioredis commands. The files are read once, when this
 * module loads; `defineBalanceScripts` registers them on a client (EVALSHA, falling back to EVAL
 * once per connection). Each command takes its keys first, then its arguments, all as strings;
 * its reply is the raw array the script's header documents (BalanceStore decodes it).
 */

const LUA_DIR = new URL('./lua/', import.meta.url);

export const BALANCE_SCRIPTS = Object.freeze({
  balanceDeposit: loadLuaScript(LUA_DIR, 'deposit-2.lua'),
  balanceWithdraw: loadLuaScript(LUA_DIR, 'withdraw-2.lua'),
  balanceHold: loadLuaScript(LUA_DIR, 'hold-2.lua'),
  balanceHoldMore: loadLuaScript(LUA_DIR, 'hold-more-2.lua'),
  balanceSettle: loadLuaScript(LUA_DIR, 'settle-3.lua'),
  balanceRelease: loadLuaScript(LUA_DIR, 'release-3.lua'),
});

export type BalanceCommandName = keyof typeof BALANCE_SCRIPTS;

/**
 * `balanceBatch` (balance-batch-0.lua): the matcher's holds, settlements and releases of a batch in
 * one call, on one Redis (its keys span users: not for a Cluster). BalancePipeline's `combine` mode.
 */
export const BALANCE_BATCH_SCRIPTS = Object.freeze({
  balanceBatch: loadLuaScript(LUA_DIR, 'balance-batch-0.lua'),
});

/** Registers the balance commands on a Redis or Cluster client; calling it again does nothing. */
export function defineBalanceScripts(client: ScriptHost): void {
  defineScripts(client, BALANCE_SCRIPTS);
  defineScripts(client, BALANCE_BATCH_SCRIPTS);
}

/** A script's reply before decoding: a status word, then strings. */
export type RawBalanceReply = string[];

declare module 'ioredis' {
  // Merged into RedisCommander, so the commands exist, typed, on Redis, Cluster and pipelines.
  interface RedisCommander<Context> {
    /** deposit-2.lua */
    balanceDeposit(
      balances: RedisKey,
      deposits: RedisKey,
      depositId: string,
      asset: string,
      amount: string,
    ): Result<RawBalanceReply, Context>;
    /** withdraw-2.lua */
    balanceWithdraw(
      balances: RedisKey,
      withdrawals: RedisKey,
      withdrawalId: string,
      asset: string,
      amount: string,
    ): Result<RawBalanceReply, Context>;
    /** hold-2.lua; amount is a decimal integer or 'all'. */
    balanceHold(
      balances: RedisKey,
      holds: RedisKey,
      orderId: string,
      asset: string,
      amount: string,
    ): Result<RawBalanceReply, Context>;
    /** hold-more-2.lua */
    balanceHoldMore(
      balances: RedisKey,
      holds: RedisKey,
      orderId: string,
      entryId: string,
      amount: string,
    ): Result<RawBalanceReply, Context>;
    /** settle-3.lua */
    balanceSettle(
      balances: RedisKey,
      holds: RedisKey,
      cursor: RedisKey,
      symbol: string,
      position: string,
      orderId: string,
      spentAsset: string,
      spent: string,
      receivedAsset: string,
      received: string,
      fee: string,
    ): Result<RawBalanceReply, Context>;
    /** release-3.lua; amount is a decimal integer or 'all'. */
    balanceRelease(
      balances: RedisKey,
      holds: RedisKey,
      cursor: RedisKey,
      symbol: string,
      position: string,
      orderId: string,
      amount: string,
    ): Result<RawBalanceReply, Context>;
    /**
     * balance-batch-0.lua: opcodes (H, S, R) each followed by its script's keys and arguments;
     * one reply per operation, an error as `['ERROR', '<CODE> <message>']`.
     */
    balanceBatch(...operations: string[]): Result<Array<RawBalanceReply>, Context>;
  }
}
