import { Cluster, type ChainableCommander } from 'ioredis';
import { isSafeNonNegativeInteger, isSafePositiveInteger, MAX_SAFE } from '../engine/integer-math.ts';
import type { OrderBook } from '../engine/order-book.ts';
import type { AmendCommand, Command, EngineEvent, PlaceCommand } from '../engine/types.ts';
import type { CompiledMarket } from '../markets/market-rules.ts';
import type { MatcherMetrics } from '../observability/matcher-metrics.ts';
import type { PipelineReplies } from '../redis/balance-pipeline.ts';
import { BalanceScriptError, type BalanceStore } from '../redis/balance-store.ts';
import { createBatch } from '../redis/batch.ts';
import type { RedisClient } from '../redis/connection.ts';
import { decodeEntry, isUndecodable, type StreamCommand } from '../streams/command-codec.ts';
import { compareIds, type RawEntry } from './command-stream.ts';
import { effectsOf, extraHoldForAmend, holdForPlace } from './funds.ts';

/** One command of a batch as the matcher handled it. */
export interface ProcessedCommand {
  readonly entry: StreamCommand;
  /** The command as the engine saw it (a market buy by base carries its held budget), or null. */
  readonly applied: Command | null;
  /** The engine's events for this command (empty when it never reached the engine). */
  readonly events: EngineEvent[];
  /**
   * Why the command never reached the engine: the balance scripts refused the funds
   * (INSUFFICIENT_FUNDS), or a place was too malformed to compute a hold for (INVALID_ORDER).
   */
  readonly refusal: 'INSUFFICIENT_FUNDS' | 'INVALID_ORDER' | null;
  /** A place whose funds were held, so that a rejection by the engine must release them. */
  readonly held: boolean;
}

/** Everything downstream of the engine (read model, market data, outcomes) sees of a batch. */
export interface ProcessedBatch {
  readonly symbol: string;
  readonly market: CompiledMarket;
  readonly commands: readonly ProcessedCommand[];
  readonly book: OrderBook;
  readonly lastEntryId: string;
  /** The entries were handled before, by this or a previous owner: a takeover's replay. */
  readonly replaying: boolean;
}

/**
 * Appends the batch's downstream writes to the batch's last Redis batch (`createBatch`: in call order
 * on one Redis, per-master order only on a Cluster), and may return what to do once it succeeded (owe
 * the batch to MySQL; on a Cluster, publish the outcomes).
 */
export interface BatchObserver {
  record(batch: ProcessedBatch, pipeline: ChainableCommander): Promise<AfterCommit | void>;
  /** The symbol left this owner: drop any state kept for it. */
  forget?(symbol: string): void;
  /** A symbol was just taken over (after its replay): publish what the restored book shows. */
  takenOver?(symbol: string, book: OrderBook): Promise<void>;
  /** Called for each owned symbol after every read round, to write what a throttle held back. */
  idle?(symbol: string, book: OrderBook): Promise<void>;
}

/** Runs after the batch's last Redis batch (read model, outcomes on one Redis) succeeded, with its replies. */
export type AfterCommit = (replies: PipelineReplies) => Promise<void>;

export interface ProcessorLog {
  warn(details: object, message: string): void;
}

/**
 * The single writer of one symbol: runs a batch of stream entries through holds, the engine,
 * settlements, the read model and MySQL (DESIGN.md §1). Every effect outside the
 * engine is idempotent (docs/balances.md), so replaying entries after a crash or a handover changes
 * nothing twice: holds return their recorded outcome, settlements and releases skip positions
 * already applied.
 *
 * On one Redis the holds of a batch, and its settlements and releases, are one `balanceBatch` script
 * call each (BalancePipeline `combine`: a fraction of the client's CPU of one call per operation).
 *
 * Round trips per batch: one batch (`createBatch`) of holds, one of settlements and releases, one for
 * the read model, the outcomes and the balance reads MySQL gets (on a Cluster the outcomes follow it,
 * unawaited). Resting orders' records come from the observer's memory, not a read. An amend settles
 * what comes before it and reads its order's hold first (it must see the book and the funds as they
 * are at that point), and one that needs more funds holds it. On a Cluster each of these batches is
 * one round trip per master, concurrently, and keeps order per master only: enough, since every
 * balance operation touches one user's slot.
 */
export class SymbolProcessor {
  private entryId: string;
  /** One Redis: a batch's holds, and its settlements and releases, go as one script call each. */
  private readonly combine: boolean;

  constructor(
    readonly symbol: string,
    private market: CompiledMarket,
    readonly book: OrderBook,
    lastEntryId: string,
    private readonly deps: {
      /** The BalanceStore's client: its batches carry the balance scripts defined on it. */
      readonly redis: RedisClient;
      readonly stream: string;
      readonly balances: BalanceStore;
      readonly observer: BatchObserver;
      readonly log: ProcessorLog;
      /** Latency, batch and outcome metrics of live batches; none in tests of the processor alone. */
      readonly metrics?: MatcherMetrics;
    },
  ) {
    this.entryId = lastEntryId;
    this.combine = !(deps.redis instanceof Cluster);
  }

  /** Id of the last entry whose effects are all applied. */
  get lastEntryId(): string {
    return this.entryId;
  }

  /** Takes the directory's latest definition; true when it differs from the one held. */
  updateMarket(market: CompiledMarket): boolean {
    const changed = JSON.stringify(market.definition) !== JSON.stringify(this.market.definition);
    this.market = market;
    return changed;
  }

  async process(all: readonly RawEntry[], options: { replaying?: boolean } = {}): Promise<void> {
    // Entries at or before the last one applied are already in the book: never apply them twice.
    const entries = all.filter(([id]) => compareIds(id, this.entryId) > 0);
    if (entries.length === 0) return;
    const startedMs = performance.now();
    const decoded: StreamCommand[] = [];
    for (const [id, fields] of entries) {
      const entry = decodeEntry(id, fields);
      if (isUndecodable(entry))
        this.deps.log.warn({ symbol: this.symbol, ...entry }, 'skipping undecodable entry');
      else decoded.push(entry);
    }
    const processed: ProcessedCommand[] = [];
    let settled = 0;
    let start = 0;
    while (start < decoded.length) {
      if (decoded[start]!.command.type === 'amend') {
        // An amend reads what is held for its order: everything before it must be settled first, or
        // the fills of this very batch would still count as held.
        await this.settle(processed.slice(settled));
        settled = processed.length;
        processed.push(await this.amend(decoded[start]!));
        start++;
        continue;
      }
      let end = start;
      while (end < decoded.length && decoded[end]!.command.type !== 'amend') end++;
      processed.push(...(await this.run(decoded.slice(start, end))));
      start = end;
    }
    await this.settle(processed.slice(settled));
    const lastEntryId = entries[entries.length - 1]![0];
    const records = createBatch(this.deps.redis);
    const afterCommit = await this.deps.observer.record(
      {
        symbol: this.symbol,
        market: this.market,
        commands: processed,
        book: this.book,
        lastEntryId,
        replaying: options.replaying === true,
      },
      records,
    );
    const replies = await records.exec();
    failOnError(replies);
    if (options.replaying !== true)
      this.deps.metrics?.matched(this.symbol, processed, (performance.now() - startedMs) / 1000);
    if (afterCommit) await afterCommit(replies);
    this.entryId = lastEntryId;
  }

  /** Holds the funds of every place in one batch, then applies the commands in order. */
  private async run(entries: readonly StreamCommand[]): Promise<ProcessedCommand[]> {
    const batch = this.deps.balances.pipelined(createBatch(this.deps.redis), { combine: this.combine });
    const holds = entries.map((entry) => {
      const c = entry.command;
      if (c.type !== 'place' || !this.holdable(c)) return null;
      const hold = holdForPlace(c, this.market);
      return batch.hold(c.userId, c.orderId, hold.asset, hold.amount);
    });
    batch.seal();
    const replies = batch.pipeline.length > 0 ? await batch.pipeline.exec() : [];
    return entries.map((entry, i) => {
      const queued = holds[i];
      if (queued === null || queued === undefined) {
        if (entry.command.type === 'place') return refused(entry, 'INVALID_ORDER');
        return this.apply(entry, entry.command, false);
      }
      const hold = queued.read(replies);
      if (hold.status !== 'OK') return refused(entry, 'INSUFFICIENT_FUNDS');
      const c = entry.command as PlaceCommand;
      // A market buy by base quantity spends at most what was held for it (the whole balance, capped
      // to what the engine counts exactly).
      const budgeted =
        c.side === 'buy' && c.orderType === 'market' && c.quantity > 0
          ? { ...c, quoteLimit: hold.amount > BigInt(MAX_SAFE) ? MAX_SAFE : Number(hold.amount) }
          : c;
      return this.apply(entry, budgeted, true);
    });
  }

  /**
   * Only a place well-formed enough to compute its hold gets one; the others are refused before the
   * engine (the API never writes them: this guards the stream against any other writer). The engine
   * repeats its own, complete checks on what gets through, and a refusal there releases the hold.
   */
  private holdable(c: PlaceCommand): boolean {
    const positive = isSafePositiveInteger;
    const nonNegative = isSafeNonNegativeInteger;
    if (!positive(c.userId) || typeof c.orderId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(c.orderId))
      return false;
    if (c.side !== 'buy' && c.side !== 'sell') return false;
    if (!nonNegative(c.quantity) || !nonNegative(c.quoteLimit)) return false;
    if (c.orderType === 'limit') return positive(c.price) && positive(c.quantity);
    if (c.orderType !== 'market') return false;
    return c.quantity > 0 || (c.side === 'buy' && c.quoteLimit > 0);
  }

  private apply(entry: StreamCommand, command: Command, held: boolean): ProcessedCommand {
    const events: EngineEvent[] = [];
    this.book.apply(command, events);
    return { entry, applied: command, events, refusal: null, held };
  }

  /**
   * An amend that raises what the order needs holds the difference first, or is refused. The
   * decision is recorded for every amend of a resting order, none needed included (hold-more
   * with 0): a replay computes the extra against a hold that later settlements may have lowered,
   * and must take the decision the first run took, not a new one.
   */
  private async amend(entry: StreamCommand): Promise<ProcessedCommand> {
    const c = entry.command as AmendCommand;
    const order = typeof c.orderId === 'string' ? this.book.getOrder(c.orderId) : undefined;
    if (order !== undefined && order.userId === c.userId && validAmendNumbers(c)) {
      const hold = await this.deps.balances.getHold(c.userId, c.orderId);
      const held = hold?.state === 'active' ? hold.held : 0n;
      const extra = extraHoldForAmend(order, c, held, this.market);
      const result = await this.deps.balances.holdMore(c.userId, c.orderId, entry.entryId, extra);
      if (result.status !== 'OK') return refused(entry, 'INSUFFICIENT_FUNDS');
    }
    return this.apply(entry, c, false);
  }

  /**
   * Settlements and releases of the whole batch, in event order, in one batch. On a Cluster the order
   * holds per master, hence per user (a user's keys share a slot): what each (user, symbol) cursor of
   * settle-3.lua and release-3.lua needs.
   */
  private async settle(processed: readonly ProcessedCommand[]): Promise<void> {
    const batch = this.deps.balances.pipelined(createBatch(this.deps.redis), { combine: this.combine });
    const queued = [];
    for (const command of processed) {
      for (const effect of effectsOf(command.events, this.market, command.held)) {
        queued.push(effect.kind === 'settle' ? batch.settle(effect) : batch.release(effect));
      }
    }
    if (queued.length === 0) return;
    batch.seal();
    const replies = await batch.pipeline.exec();
    for (const q of queued) {
      try {
        q.read(replies);
      } catch (error) {
        // A script refused a settlement (EXCEEDS_HOLD, NO_ACTIVE_HOLD...): the funds and the engine
        // disagree. Later effects of the batch may have moved a cursor past it, so a replay would
        // skip it: the symbol must stop, not be retaken. Anything else (a connection broke: the
        // commands that ran are a prefix of the batch, per master on a Cluster, hence per user) is
        // retried by a retake like any failure.
        if (error instanceof BalanceScriptError) throw new SettlementError(this.symbol, error);
        throw error;
      }
    }
  }
}

function refused(entry: StreamCommand, refusal: 'INSUFFICIENT_FUNDS' | 'INVALID_ORDER'): ProcessedCommand {
  return { entry, applied: null, events: [], refusal, held: false };
}

function validAmendNumbers(c: AmendCommand): boolean {
  return (
    isSafeNonNegativeInteger(c.price) &&
    isSafeNonNegativeInteger(c.quantity) &&
    (c.price > 0 || c.quantity > 0)
  );
}

function failOnError(replies: Array<[Error | null, unknown]> | null): void {
  for (const [error] of replies ?? []) if (error) throw error;
}

/** Balances and the engine disagree on a symbol: it halts until an operator has looked. */
export class SettlementError extends Error {
  override readonly name = 'SettlementError';
  constructor(
    readonly symbol: string,
    cause: unknown,
  ) {
    super(`settlement refused on ${symbol}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}
