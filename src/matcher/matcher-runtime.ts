import type { Redis } from 'ioredis';
import { OrderBook } from '../engine/order-book.ts';
import type { CompiledMarket } from '../markets/market-rules.ts';
import type { BalanceStore } from '../redis/balance-store.ts';
import type { Keys } from '../redis/keys.ts';
import { compareIds, ensureGroup, lastDeliveredId, readNew, readRange } from './command-stream.ts';
import { shardOf } from './shard-map.ts';
import type { ShardOwnership } from './shard-ownership.ts';
import type { SnapshotStore } from './snapshot-store.ts';
import { SettlementError, SymbolProcessor, type BatchObserver } from './symbol-processor.ts';

export interface RuntimeLog {
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
  /** A symbol that processed entries gets a snapshot at most this often (and at every handover). */
  readonly snapshotIntervalMs: number;
}

export interface MatcherRuntimeDeps {
  /** Commands and pipelines. */
  readonly redis: Redis;
  /** A connection of its own for the blocking XREADGROUP. */
  readonly reader: Redis;
  readonly keys: Keys;
  readonly balances: BalanceStore;
  readonly snapshots: SnapshotStore;
  readonly ownership: ShardOwnership;
  readonly listMarkets: () => Promise<readonly CompiledMarket[]>;
  readonly observer: BatchObserver;
  readonly log: RuntimeLog;
}

interface Owned {
  readonly processor: SymbolProcessor;
  readonly shard: number;
  /** Entry id covered by the last snapshot written. */
  snapshotEntryId: string;
  lastSnapshotMs: number;
}

/**
 * One matcher thread: keeps its membership and leases, takes over the symbols of the shards it wins
 * (snapshot, then replay of the stream up to what the group handed out, then new entries), matches
 * batches, snapshots and trims, and hands symbols over cleanly when it stops or the shards move.
 * A symbol whose processing fails is dropped and its lease released: it is taken over again from its
 * last snapshot, and the idempotent effects make the replay harmless. A refused settlement is
 * different (balances and engine disagree): the symbol halts, its shard stays leased, and it logs.
 */
export class MatcherRuntime {
  private readonly owned = new Map<string, Owned>();
  /** Symbols stopped by a broken invariant: never taken over again by this member (see guard). */
  private readonly halted = new Set<string>();
  private stopping = false;
  private nextRebalanceMs = 0;

  constructor(
    private readonly deps: MatcherRuntimeDeps,
    private readonly options: MatcherRuntimeOptions,
  ) {}

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
      while (!this.stopping) await this.step();
    } finally {
      await this.handOverAll();
    }
  }

  /** One turn of the loop: rebalance when due, then read and process one round of entries. */
  async step(): Promise<void> {
    const now = Date.now();
    if (now >= this.nextRebalanceMs) {
      await this.rebalance(now);
      this.nextRebalanceMs = now + Math.max(100, Math.floor(this.options.leaseTtlMs / 3));
    }
    if (this.owned.size === 0) {
      await sleep(Math.min(100, Math.max(1, this.nextRebalanceMs - Date.now())));
      return;
    }
    const bySymbolStream = new Map([...this.owned.values()].map((o) => [this.stream(o.processor.symbol), o]));
    const results = await readNew(
      this.deps.reader,
      [...bySymbolStream.keys()],
      this.memberId,
      this.options.batchSize,
      this.options.blockMs,
    );
    for (const [stream, entries] of results) {
      const owned = bySymbolStream.get(stream);
      if (owned === undefined || !this.owned.has(owned.processor.symbol)) continue;
      await this.guard(owned, () => owned.processor.process(entries));
    }
    const { observer } = this.deps;
    const idle = observer.idle?.bind(observer);
    if (idle !== undefined) {
      // Concurrent, not one await per symbol: each is a pipeline that is usually empty.
      await Promise.all([...this.owned.values()].map((o) => idle(o.processor.symbol, o.processor.book)));
    }
    await this.snapshotDue(Date.now());
  }

  private stream(symbol: string): string {
    return this.deps.keys.orderStream(symbol);
  }

  private async rebalance(now: number): Promise<void> {
    const { ownership } = this.deps;
    const live = await ownership.heartbeat(now);
    for (const shard of await ownership.renewAll()) {
      // Someone else may own it now: drop its symbols without writing anything.
      for (const [symbol, owned] of this.owned) if (owned.shard === shard) this.drop(symbol);
      this.deps.log.warn({ shard, member: this.memberId }, 'lease lost; symbols dropped');
    }
    const desired = ownership.desiredShards(live);
    for (const shard of ownership.owned()) if (!desired.has(shard)) await this.handOverShard(shard);
    for (const shard of desired) if (!ownership.owns(shard)) await ownership.acquire(shard);
    for (const market of await this.deps.listMarkets()) {
      const symbol = market.definition.symbol;
      const shard = shardOf(symbol, this.options.shardCount);
      const owned = this.owned.get(symbol);
      if (owned !== undefined) owned.processor.updateMarket(market);
      else if (ownership.owns(shard) && !this.halted.has(symbol)) await this.takeOver(market, shard);
    }
  }

  private async takeOver(market: CompiledMarket, shard: number): Promise<void> {
    const symbol = market.definition.symbol;
    const { redis, snapshots, balances, observer, log } = this.deps;
    const stream = this.stream(symbol);
    await ensureGroup(redis, stream);
    const snapshot = await snapshots.load(symbol);
    const book = snapshot ? OrderBook.restore(snapshot.book) : new OrderBook(market.rules);
    const startId = snapshot?.entryId ?? '0-0';
    const processor = new SymbolProcessor(symbol, market, book, startId, {
      redis,
      stream,
      balances,
      observer,
      log,
    });
    const owned: Owned = { processor, shard, snapshotEntryId: startId, lastSnapshotMs: Date.now() };
    // Entries the group already handed out (to a previous owner) are replayed from the snapshot on;
    // the ones after are read through the group as new.
    const upTo = await lastDeliveredId(redis, stream);
    let replayed = 0;
    const ok = await this.guard(owned, async () => {
      while (compareIds(processor.lastEntryId, upTo) < 0) {
        const entries = await readRange(redis, stream, processor.lastEntryId, upTo, this.options.batchSize);
        if (entries.length === 0) break;
        await processor.process(entries, { replaying: true });
        replayed += entries.length;
      }
    });
    if (!ok) return;
    if (!(await this.guard(owned, async () => observer.takenOver?.(symbol, book)))) return;
    this.owned.set(symbol, owned);
    log.info({ symbol, shard, member: this.memberId, from: startId, replayed }, 'symbol taken over');
  }

  /** Runs `work` for a symbol; on failure drops the symbol and frees its shard for a clean retake. */
  private async guard(owned: Owned, work: () => Promise<void>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (error) {
      const symbol = owned.processor.symbol;
      this.drop(symbol);
      if (error instanceof SettlementError) {
        // Keep the lease, so no other member retakes it either: a replay could skip the refused step.
        this.halted.add(symbol);
        this.deps.log.error(
          { symbol, err: error },
          'symbol halted: balances and engine disagree; run the audit',
        );
        return false;
      }
      this.deps.log.error({ symbol, err: error }, 'symbol processing failed; releasing it for a retake');
      await this.deps.ownership.release(owned.shard).catch(() => undefined);
      return false;
    }
  }

  private drop(symbol: string): void {
    this.owned.delete(symbol);
    this.deps.observer.forget?.(symbol);
  }

  private async snapshotDue(now: number): Promise<void> {
    for (const owned of this.owned.values()) {
      const changed = owned.processor.lastEntryId !== owned.snapshotEntryId;
      if (changed && now - owned.lastSnapshotMs >= this.options.snapshotIntervalMs)
        await this.snapshot(owned);
    }
  }

  /**
   * Saves the book as of the last processed entry, then trims the stream below it: MINID, never
   * MAXLEN, so no entry that a snapshot does not cover is ever dropped.
   */
  private async snapshot(owned: Owned): Promise<void> {
    const { processor } = owned;
    const entryId = processor.lastEntryId;
    await this.deps.snapshots.save(processor.symbol, { entryId, book: processor.book.snapshot() });
    if (entryId !== '0-0') await this.deps.redis.xtrim(this.stream(processor.symbol), 'MINID', entryId);
    owned.snapshotEntryId = entryId;
    owned.lastSnapshotMs = Date.now();
  }

  private async handOverShard(shard: number): Promise<void> {
    for (const [symbol, owned] of this.owned) {
      if (owned.shard !== shard) continue;
      await this.snapshot(owned).catch((error) =>
        this.deps.log.error({ symbol, err: error }, 'snapshot failed'),
      );
      this.owned.delete(symbol);
    }
    await this.deps.ownership.release(shard);
  }

  private async handOverAll(): Promise<void> {
    const shards = new Set([...this.owned.values()].map((o) => o.shard));
    for (const shard of shards) await this.handOverShard(shard).catch(() => undefined);
    await this.deps.ownership.leave().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
