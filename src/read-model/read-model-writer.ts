/**
 * A batch's projection (order-projection.ts) into the Redis read model and market data of
 * docs/pipeline.md. Every method appends commands to a batch its caller owns and executes
 * (`createBatch`: a pipeline on one Redis): the matcher sends one per batch, with its outcomes on
 * one Redis (after it, on a Cluster: read-model-observer.ts).
 *
 * Per changed order, in this order (so that a reader who sees an id in a set finds its record; on a
 * Cluster the order holds per master only, and a listing may miss an order for the instant between
 * two masters' writes, which RedisOrderQueries takes for a record not there yet and skips):
 *   SET ex:order:<id> <json> [EX 604800 once final]
 *   ZADD ex:user-orders:{u:ID}:<SYMBOL> <createdAt> <id>         when the batch created the record
 *   ZADD ex:user-open:{u:ID}:<SYMBOL>   <createdAt> <id>         while it is open
 *   ZREM ex:user-open:{u:ID}:<SYMBOL>   <id>                     once final, if it was ever open
 * then per user with new fills `LPUSH ex:user-fills:... <json...>` (oldest first, so newest at the
 * head) + `LTRIM 0 999`, and the public trades likewise on `ex:trades:{SYMBOL}`.
 *
 * The depth snapshot is throttled per symbol: written when forced, or when it changed and the last
 * write is at least `depthIntervalMs` old. A change inside the interval stays pending until a later
 * call (the owner calls `writeDepth` after each batch and on idle ticks while `depthPending`).
 *
 * Records whose id or user cannot name a key (a malformed command the engine rejected) are skipped.
 *
 * `scripted` (one Redis, not a Cluster): a batch's order, fill and trade writes go as one
 * `readModelApply` script call (read-model-apply-0.lua) instead of one command each, the same writes
 * in the same order. Each command costs the client a few µs whatever it carries (about 5 in
 * ioredis, measured), and a batch has some five per order.
 */
import type { ChainableCommander } from 'ioredis';
import type { DepthRecord, PublicTradeRecord } from '../api/ports.ts';
import { KeyError, type Keys } from '../redis/keys.ts';
import '../redis/read-model-scripts.ts';
import { isOpenStatus, type ProjectedBatch, type ProjectedOrder } from './order-projection.ts';

export interface ReadModelWriterOptions {
  /** Seconds a final order's record lives. Default 7 days. */
  readonly finishedTtlSeconds?: number;
  /** Fills kept per user and symbol. Default 1 000. */
  readonly userFillsCap?: number;
  /** Public trades kept per symbol. Default 1 000. */
  readonly recentTradesCap?: number;
  /** Least milliseconds between two depth writes of a symbol, unless forced. Default 100. */
  readonly depthIntervalMs?: number;
  /**
   * One script call per batch (`readModelApply`, which createRedis defines on every client, and
   * defineReadModelScripts on any other) instead of one command per write. One Redis only. Default
   * false.
   */
  readonly scripted?: boolean;
}

export interface DepthWriteOptions {
  /** The book changed since the last call (ProjectedBatch.depthChanged). Default true. */
  readonly changed?: boolean;
  /** Write now, whatever the throttle says (a new owner's first snapshot, a shutdown). */
  readonly force?: boolean;
}

export const FINISHED_ORDER_TTL_SECONDS = 7 * 24 * 60 * 60;
export const USER_FILLS_CAP = 1000;
export const RECENT_TRADES_CAP = 1000;
export const DEPTH_INTERVAL_MS = 100;

interface DepthState {
  lastWrite: number;
  dirty: boolean;
}

/** Where a batch's writes go: commands appended to the caller's batch, or one script's operations. */
interface WriteTarget {
  set(key: string, value: string): void;
  setExpiring(key: string, value: string, seconds: number): void;
  zadd(key: string, score: number, member: string): void;
  zrem(key: string, member: string): void;
  /** LPUSH values (at least one), then LTRIM to the newest `cap`. */
  pushCapped(key: string, values: readonly string[], cap: number): void;
}

function commandTarget(pipeline: ChainableCommander): WriteTarget {
  return {
    set: (key, value) => void pipeline.set(key, value),
    setExpiring: (key, value, seconds) => void pipeline.set(key, value, 'EX', seconds),
    zadd: (key, score, member) => void pipeline.zadd(key, score, member),
    zrem: (key, member) => void pipeline.zrem(key, member),
    pushCapped: (key, values, cap) => {
      pipeline.lpush(key, ...values);
      pipeline.ltrim(key, 0, cap - 1);
    },
  };
}

/** The operands of read-model-apply-0.lua, in call order. */
class ScriptOperations implements WriteTarget {
  readonly args: Array<string | number> = [];

  set(key: string, value: string): void {
    this.args.push('S', key, value);
  }

  setExpiring(key: string, value: string, seconds: number): void {
    this.args.push('E', key, value, seconds);
  }

  zadd(key: string, score: number, member: string): void {
    this.args.push('Z', key, score, member);
  }

  zrem(key: string, member: string): void {
    this.args.push('R', key, member);
  }

  pushCapped(key: string, values: readonly string[], cap: number): void {
    this.args.push('L', key, cap, values.length, ...values);
  }
}

export class ReadModelWriter {
  private readonly ttl: number;
  private readonly fillsCap: number;
  private readonly tradesCap: number;
  private readonly interval: number;
  private readonly scripted: boolean;
  private readonly depthStates = new Map<string, DepthState>();

  constructor(
    private readonly keys: Keys,
    options: ReadModelWriterOptions = {},
  ) {
    this.ttl = positive('finishedTtlSeconds', options.finishedTtlSeconds ?? FINISHED_ORDER_TTL_SECONDS);
    this.fillsCap = positive('userFillsCap', options.userFillsCap ?? USER_FILLS_CAP);
    this.tradesCap = positive('recentTradesCap', options.recentTradesCap ?? RECENT_TRADES_CAP);
    this.interval = options.depthIntervalMs ?? DEPTH_INTERVAL_MS;
    this.scripted = options.scripted ?? false;
    if (!Number.isFinite(this.interval) || this.interval < 0) {
      throw new RangeError(`depthIntervalMs must be >= 0, got ${this.interval}`);
    }
  }

  /** Appends the orders, user fills and public trades of a batch. Returns how many commands it appended. */
  writeBatch(pipeline: ChainableCommander, batch: ProjectedBatch): number {
    const before = pipeline.length;
    if (!this.scripted) {
      this.writeTo(commandTarget(pipeline), batch);
    } else {
      const operations = new ScriptOperations();
      this.writeTo(operations, batch);
      if (operations.args.length > 0) pipeline.readModelApply(...operations.args);
    }
    return pipeline.length - before;
  }

  /** Appends public trades (oldest first) to the symbol's recent trades. */
  writeTrades(pipeline: ChainableCommander, symbol: string, trades: readonly PublicTradeRecord[]): void {
    this.tradesTo(commandTarget(pipeline), symbol, trades);
  }

  private writeTo(target: WriteTarget, batch: ProjectedBatch): void {
    for (const order of batch.orders) this.writeOrder(target, order);

    const fillsByKey = new Map<string, string[]>();
    for (const { userId, trade } of batch.userTrades) {
      const key = this.keyOrUndefined(() => this.keys.userFills(userId, trade.symbol));
      if (key === undefined) continue;
      let list = fillsByKey.get(key);
      if (list === undefined) fillsByKey.set(key, (list = []));
      list.push(JSON.stringify(trade));
    }
    for (const [key, values] of fillsByKey) this.pushCapped(target, key, values, this.fillsCap);

    this.tradesTo(target, batch.symbol, batch.publicTrades);
  }

  private tradesTo(target: WriteTarget, symbol: string, trades: readonly PublicTradeRecord[]): void {
    if (trades.length === 0) return;
    this.pushCapped(
      target,
      this.keys.recentTrades(symbol),
      trades.map((trade) => JSON.stringify(trade)),
      this.tradesCap,
    );
  }

  /**
   * Appends the symbol's depth snapshot when due; `depth` is the snapshot or a function that makes it
   * (only called when it is written: `() => book.depth(100)`). Returns whether it appended the write.
   */
  writeDepth(
    pipeline: ChainableCommander,
    symbol: string,
    nowMs: number,
    depth: DepthRecord | (() => DepthRecord),
    options: DepthWriteOptions = {},
  ): boolean {
    let state = this.depthStates.get(symbol);
    if (state === undefined) {
      state = { lastWrite: Number.NEGATIVE_INFINITY, dirty: false };
      this.depthStates.set(symbol, state);
    }
    if (options.changed ?? true) state.dirty = true;
    const due = state.dirty && nowMs - state.lastWrite >= this.interval;
    if (!options.force && !due) return false;
    const snapshot = typeof depth === 'function' ? depth() : depth;
    pipeline.set(
      this.keys.depth(symbol),
      JSON.stringify({ sequence: snapshot.sequence, bids: snapshot.bids, asks: snapshot.asks }),
    );
    state.lastWrite = nowMs;
    state.dirty = false;
    return true;
  }

  /** A change of the symbol's book is not written yet: call writeDepth again later. */
  depthPending(symbol: string): boolean {
    return this.depthStates.get(symbol)?.dirty ?? false;
  }

  /** Forgets a symbol's throttle state (its shard moved to another owner). */
  forget(symbol: string): void {
    this.depthStates.delete(symbol);
  }

  private writeOrder(target: WriteTarget, { record, created, wasOpen }: ProjectedOrder): void {
    const keys = this.keyOrUndefined(() => ({
      order: this.keys.order(record.orderId),
      all: this.keys.userOrders(record.userId, record.symbol),
      open: this.keys.userOpenOrders(record.userId, record.symbol),
    }));
    if (keys === undefined) return;
    const json = JSON.stringify(record);
    const open = isOpenStatus(record.status);
    if (open) target.set(keys.order, json);
    else target.setExpiring(keys.order, json, this.ttl);
    if (created) target.zadd(keys.all, record.createdAt, record.orderId);
    if (open) target.zadd(keys.open, record.createdAt, record.orderId);
    else if (wasOpen) target.zrem(keys.open, record.orderId);
  }

  private pushCapped(target: WriteTarget, key: string, values: string[], cap: number): void {
    // Only the newest `cap` can survive the trim: do not send the others.
    target.pushCapped(key, values.length > cap ? values.slice(values.length - cap) : values, cap);
  }

  private keyOrUndefined<T>(make: () => T): T | undefined {
    try {
      return make();
    } catch (error) {
      if (error instanceof KeyError) return undefined;
      throw error;
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
