import type { CompiledMarket } from '../markets/market-rules.ts';
import type { FlushResult } from '../mysql/write-buffer-options.ts';
import type { MatcherMetrics } from '../observability/matcher-metrics.ts';
import type { BalanceStore } from '../redis/balance-store.ts';
import type { RedisClient } from '../redis/connection.ts';
import type { Keys } from '../redis/keys.ts';
import {
  compareIds,
  ensureGroup,
  lastDeliveredId,
  markDelivered,
  readAfter,
  readRange,
} from './command-stream.ts';
import type { DurableRecorder } from './durable-recorder.ts';
import { shardOf } from './shard-map.ts';
import type { ShardOwnership } from './shard-ownership.ts';
import { measureStreamLag } from './stream-lag.ts';
import { SettlementError, SymbolProcessor, type BatchObserver } from './symbol-processor.ts';

export interface RuntimeLog {
  debug(details: object, message: string): void;
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface MatcherRuntimeOptions {
  readonly shardCount: number;
  readonly leaseTtlMs: number;
  readonly batchSize: number;
  /** How long one read waits for new entries; bounds how late a stop or a rebalance is noticed. */
  readonly blockMs: number;
  /** Trim each stream by MINID at its durable checkpoint after every successful flush. */
  readonly trimStreams: boolean;
}

export interface MatcherRuntimeDeps {
  /** Commands and batches. */
  readonly redis: RedisClient;
  /** A connection of its own for the blocking XREAD (polled reads on a Cluster: command-stream.ts). */
  readonly reader: RedisClient;
  readonly keys: Keys;
  readonly balances: BalanceStore;
  /** MySQL: claims, book loads and the thread's WriteBuffer. */
  readonly durable: DurableRecorder;
  readonly ownership: ShardOwnership;
  readonly listMarkets: () => Promise<readonly CompiledMarket[]>;
  readonly observer: BatchObserver;
  readonly log: RuntimeLog;
  /** The thread's Prometheus metrics; none in tests of the runtime alone. */
  readonly metrics?: MatcherMetrics;
}

interface Owned {
  readonly processor: SymbolProcessor;
  readonly shard: number;
}

/**
 * One matcher thread: keeps its membership and leases, takes over the symbols of the shards it wins
 * (DESIGN.md §2: lease, epoch bump in MySQL, the book as of the durable checkpoint, replay of the
 * stream after it up to what the group handed out, then new entries), matches batches, owes them to
 * MySQL, trims the streams at the durable checkpoints, and hands symbols over cleanly when it stops or
 * the shards move.
 *
 * A symbol whose processing fails is dropped and its lease released: it is taken over again from its
 * durable checkpoint, and the idempotent effects make the replay harmless. A refused settlement is
 * different (balances and engine disagree): the symbol halts, its shard stays leased, and it logs.
 * So does a stream trimmed past the durable checkpoint (Redis lost entries MySQL never saw).
 *
 * While the writer owes too many rows (MySQL slow or down) the thread stops reading new entries but
 * keeps its leases; the stream grows and the API refuses new orders past MAX_SYMBOL_BACKLOG.
 * A fenced writer (a newer owner took one of its symbols while it was paused) drops every symbol.
 */
export class MatcherRuntime {
  private readonly owned = new Map<string, Owned>();
  /** Symbols stopped by a broken invariant: never taken over again by this member (see guard). */
  private readonly halted = new Set<string>();
  private stopping = false;
  private nextRebalanceMs = 0;
  /** When the last renewal of the leases started: reading past half a lease needs a new one first. */
  private renewedAtMs = 0;
  private writerFailing = false;

  constructor(
    private readonly deps: MatcherRuntimeDeps,
    private readonly options: MatcherRuntimeOptions,
  ) {
    deps.durable.onFlushed = (result) => this.flushed(result);
    deps.metrics?.watch({
      shardsOwned: () => deps.ownership.owned().length,
      ownedSymbols: () => this.owned.keys(),
      haltedSymbols: () => this.halted,
      writerBacklog: () => deps.durable.backlog,
      writerBackpressured: () => deps.durable.isBackpressured,
    });
  }

  get memberId(): string {
    return this.deps.ownership.memberId;
  }

  ownedSymbols(): string[] {
    return [...this.owned.keys()].sort();
  }

  /** Asks the loop to stop; `run()` then hands every symbol over and resolves. */
  stop(): void {
    this.stopping = true;
  }

  async run(): Promise<void> {
    try {
      while (!this.stopping) {
        try {
          await this.step();
        } catch (error) {
          // Redis or MySQL unreachable outside a symbol's guard (membership, leases, markets): keep
          // the loop alive and try again; a lease that lapses meanwhile is found lost and retaken.
          this.deps.log.error({ err: error }, 'matcher step failed; retrying');
          await sleep(500);
        }
      }
    } finally {
      await this.handOverAll();
    }
  }

  /** One turn of the loop: rebalance when due, then read and process one round of entries. */
  async step(): Promise<void> {
    const fenced = this.deps.durable.fenced;
    if (fenced !== undefined) await this.recoverFromFence(fenced);
    const now = Date.now();
    if (now >= this.nextRebalanceMs) {
      await this.rebalance(now);
      this.nextRebalanceMs = now + Math.max(100, Math.floor(this.options.leaseTtlMs / 3));
    }
    if (this.owned.size === 0) {
      await sleep(Math.min(100, Math.max(1, this.nextRebalanceMs - Date.now())));
      return;
    }
    if (this.deps.durable.isBackpressured) {
      // MySQL is behind: read nothing new (the stream keeps it), let the writer catch up.
      await sleep(Math.min(this.options.blockMs, 50));
      return;
    }
    // A pause (GC, SIGSTOP) since the renewal may have cost the leases: reading now could take
    // entries of a symbol that has a new owner, so renew first.
    if (Date.now() - this.renewedAtMs > this.options.leaseTtlMs / 2) {
      this.nextRebalanceMs = 0;
      return;
    }
    const bySymbolStream = new Map([...this.owned.values()].map((o) => [this.stream(o.processor.symbol), o]));
    const results = await readAfter(
      this.deps.reader,
      [...bySymbolStream].map(([stream, o]) => [stream, o.processor.lastEntryId] as const),
      this.options.batchSize,
      this.options.blockMs,
    );
    if (results.length > 0) {
      // Record how far the owners have read before any effect, as a group delivery would: a takeover
      // replays (with the read model's duplicate checks) everything up to this mark.
      // It throws when a mark did not move (a later takeover would treat entries read here as new):
      // the step fails before any effect and the same entries are read again.
      await markDelivered(
        this.deps.redis,
        results.map(([stream, entries]) => [stream, entries[entries.length - 1]![0]] as const),
      );
    }
    // The symbols of a round run concurrently: each is its own single writer (its stream, its book),
    // and the balance scripts they share are atomic per user, as between threads. One after the
    // other, a round cost every symbol's round trips in turn (about five each), and under load the
    // entries waited behind them (accept->matched in the seconds at 2,000 orders/s, bench:e2e).
    await Promise.all(
      results.map(async ([stream, entries]) => {
        const owned = bySymbolStream.get(stream);
        if (owned === undefined || !this.owned.has(owned.processor.symbol)) return;
        await this.guard({ symbol: owned.processor.symbol, shard: owned.shard }, () =>
          owned.processor.process(entries),
        );
      }),
    );
    const { observer } = this.deps;
    const idle = observer.idle?.bind(observer);
    if (idle !== undefined) {
      // Concurrent, not one await per symbol: each is a pipeline that is usually empty.
      await Promise.all([...this.owned.values()].map((o) => idle(o.processor.symbol, o.processor.book)));
    }
  }

  /**
   * Every flush: a durable checkpoint lets its stream be trimmed below it (MINID, never MAXLEN: no
   * entry MySQL has not made durable is ever dropped). Failures are logged once per outage.
   */
  private flushed(result: FlushResult): void {
    const { log } = this.deps;
    this.deps.metrics?.flushed(result);
    if (!result.ok) {
      if (!this.writerFailing) {
        log.error(
          { err: result.error, backlog: result.backlogRows, attempts: result.attempts },
          'MySQL flush failed; retrying (nothing is dropped)',
        );
      }
      this.writerFailing = true;
      return;
    }
    if (this.writerFailing) log.info({ backlog: result.backlogRows }, 'MySQL flushes succeed again');
    this.writerFailing = false;
    log.debug(
      {
        checkpoints: result.checkpoints.map((c) => [c.symbol, c.epoch]),
        rows: result.rows,
        durationMs: result.durationMs,
      },
      'flushed',
    );
    if (!this.options.trimStreams) return;
    for (const checkpoint of result.checkpoints) {
      if (checkpoint.lastStreamId === '0-0') continue;
      this.deps.redis
        .xtrim(this.stream(checkpoint.symbol), 'MINID', checkpoint.lastStreamId)
        .catch((error: unknown) => log.warn({ symbol: checkpoint.symbol, err: error }, 'stream trim failed'));
    }
  }

  /**
   * The writer found one of its symbols claimed by a newer owner (this thread was paused past its
   * lease): its transaction rolled back, and every row it still owes may belong to a symbol it no
   * longer owns. Drop everything, free the leases still held, start a new writer; the symbols are
   * claimed again from their durable checkpoints by whoever wins them.
   */
  private async recoverFromFence(fenced: Error): Promise<void> {
    const { log, ownership, durable } = this.deps;
    log.error(
      { err: fenced, symbols: this.ownedSymbols() },
      'writer fenced by a newer owner; dropping every symbol',
    );
    for (const symbol of [...this.owned.keys()]) this.drop(symbol);
    for (const shard of ownership.owned()) await ownership.release(shard).catch(() => undefined);
    await durable.reset();
    this.nextRebalanceMs = 0;
  }

  private stream(symbol: string): string {
    return this.deps.keys.orderStream(symbol);
  }

  private async rebalance(now: number): Promise<void> {
    const { ownership } = this.deps;
    const live = await ownership.heartbeat(now);
    this.renewedAtMs = now;
    for (const shard of await ownership.renewAll()) {
      // Someone else may own it now: drop its symbols without writing anything.
      for (const [symbol, owned] of this.owned) if (owned.shard === shard) this.drop(symbol);
      this.deps.log.warn({ shard, member: this.memberId }, 'lease lost; symbols dropped');
    }
    const desired = ownership.desiredShards(live);
    this.deps.log.debug({ live: live.length, owned: ownership.owned(), desired: [...desired] }, 'rebalance');
    for (const shard of ownership.owned()) if (!desired.has(shard)) await this.handOverShard(shard);
    for (const shard of desired) if (!ownership.owns(shard)) await ownership.acquire(shard);
    for (const market of await this.deps.listMarkets()) {
      const symbol = market.definition.symbol;
      const shard = shardOf(symbol, this.options.shardCount);
      const owned = this.owned.get(symbol);
      if (owned !== undefined) {
        // The owner keeps the `markets` row in MySQL in step with the operator's definition.
        if (owned.processor.updateMarket(market)) await this.deps.durable.recordMarket(market);
      } else if (ownership.owns(shard) && !this.halted.has(symbol)) await this.takeOver(market, shard);
    }
    await this.measureLag();
  }

  /** Once per rebalance: how far each owned stream runs ahead of its owner (a gauge; never fails the loop). */
  private async measureLag(): Promise<void> {
    const { metrics } = this.deps;
    if (metrics === undefined || this.owned.size === 0) return;
    const owned = [...this.owned.values()].map((o) => o.processor);
    try {
      const lags = await measureStreamLag(
        this.deps.redis,
        owned.map((p) => [this.stream(p.symbol), p.lastEntryId] as const),
      );
      owned.forEach((p, i) => {
        if (this.owned.get(p.symbol)?.processor === p) metrics.lag(p.symbol, lags[i]!);
      });
    } catch (error) {
      this.deps.log.debug({ err: error }, 'stream lag not measured');
    }
  }

  private async takeOver(market: CompiledMarket, shard: number): Promise<void> {
    const symbol = market.definition.symbol;
    const { redis, balances, observer, log, durable } = this.deps;
    const stream = this.stream(symbol);
    let owned: Owned | undefined;
    let replayed = 0;
    let from = '0-0';
    let epoch = 0;
    // A takeover that fails leaves nothing behind: the symbol is dropped as by any failure.
    const ok = await this.guard({ symbol, shard }, async () => {
      log.debug({ symbol, shard }, 'takeover: claiming');
      await ensureGroup(redis, stream);
      // The fence first: from this commit on, a previous owner's flushes fail.
      const { claim, book } = await durable.claim(market);
      log.debug({ symbol, epoch: claim.epoch }, 'takeover: claimed');
      from = claim.lastStreamId;
      epoch = claim.epoch;
      await assertStreamCovers(redis, stream, symbol, from);
      const processor = new SymbolProcessor(symbol, market, book, from, {
        redis,
        stream,
        balances,
        observer,
        log,
        metrics: this.deps.metrics,
      });
      owned = { processor, shard };
      // Entries a previous owner read (the group's mark) are replayed from the durable checkpoint on;
      // the ones after are new.
      const upTo = await lastDeliveredId(redis, stream);
      while (compareIds(processor.lastEntryId, upTo) < 0) {
        const entries = await readRange(redis, stream, processor.lastEntryId, upTo, this.options.batchSize);
        if (entries.length === 0) break;
        await processor.process(entries, { replaying: true });
        replayed += entries.length;
      }
      await observer.takenOver?.(symbol, book);
    });
    if (!ok || owned === undefined) return;
    this.owned.set(symbol, owned);
    this.deps.metrics?.symbolTakenOver(symbol);
    log.info({ symbol, shard, member: this.memberId, epoch, from, replayed }, 'symbol taken over');
  }

  /** Runs `work` for a symbol; on failure drops the symbol and frees its shard for a clean retake. */
  private async guard(owned: { symbol: string; shard: number }, work: () => Promise<void>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (error) {
      const symbol = owned.symbol;
      this.drop(symbol);
      if (error instanceof SettlementError || error instanceof StreamGapError) {
        // Keep the lease, so no other member retakes it either: a replay could skip the refused step.
        this.halted.add(symbol);
        this.deps.log.error({ symbol, err: error }, 'symbol halted; run the audit (README, Operations)');
        return false;
      }
      this.deps.log.error({ symbol, err: error }, 'symbol processing failed; releasing it for a retake');
      await this.deps.ownership.release(owned.shard).catch(() => undefined);
      return false;
    }
  }

  private drop(symbol: string): void {
    this.owned.delete(symbol);
    this.deps.durable.release(symbol);
    this.deps.observer.forget?.(symbol);
    this.deps.metrics?.symbolDropped(symbol);
  }

  /**
   * Makes the shard's symbols durable (one flush: their rows and checkpoints), then frees the lease,
   * so the next owner replays nothing. When MySQL is down the lease is freed anyway: the next owner
   * replays from the older checkpoint, and this writer keeps the symbols' fences, so its late flush
   * is fenced rather than written over the new owner's rows.
   */
  private async handOverShard(shard: number): Promise<void> {
    const symbols = [...this.owned.values()].filter((o) => o.shard === shard).map((o) => o.processor.symbol);
    for (const symbol of symbols) this.owned.delete(symbol);
    if (symbols.length > 0) {
      this.deps.log.debug({ shard, symbols }, 'handover: flushing');
      const result = await this.deps.durable.flush();
      for (const symbol of symbols) {
        if (result.ok) this.deps.durable.release(symbol);
        this.deps.observer.forget?.(symbol);
        this.deps.metrics?.symbolDropped(symbol);
      }
      if (!result.ok)
        this.deps.log.warn({ shard, symbols }, 'handover without a final flush; the next owner replays');
    }
    await this.deps.ownership.release(shard);
  }

  private async handOverAll(): Promise<void> {
    const shards = new Set([...this.owned.values()].map((o) => o.shard));
    for (const shard of shards) await this.handOverShard(shard).catch(() => undefined);
    await this.deps.durable.close().catch(() => undefined);
    await this.deps.ownership.leave().catch(() => undefined);
  }
}

/**
 * The stream must still hold the entry at the durable checkpoint (trims keep it: MINID keeps ids ≥ the
 * threshold). When its first entry is after it, or it is empty, Redis lost entries MySQL never saw
 * (a restart without AOF): replaying would skip them, so the symbol halts for an operator.
 */
async function assertStreamCovers(
  redis: RedisClient,
  stream: string,
  symbol: string,
  checkpoint: string,
): Promise<void> {
  if (checkpoint === '0-0') return;
  const first = (await redis.xrange(stream, '-', '+', 'COUNT', 1)) as Array<[string, string[]]>;
  const firstId = first[0]?.[0];
  if (firstId === undefined || compareIds(firstId, checkpoint) > 0) {
    throw new StreamGapError(symbol, checkpoint, firstId);
  }
}

/** The stream no longer holds what follows the durable checkpoint. */
export class StreamGapError extends Error {
  override readonly name = 'StreamGapError';
  constructor(
    readonly symbol: string,
    readonly checkpoint: string,
    readonly firstEntryId: string | undefined,
  ) {
    super(
      `${symbol}: the durable checkpoint is ${checkpoint} but the stream ${
        firstEntryId === undefined ? 'is empty' : `starts at ${firstEntryId}`
      }: entries after the checkpoint were lost from Redis`,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
