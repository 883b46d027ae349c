import { compareIds } from '../matcher/command-stream.ts';

/** One batch a matcher thread owes MySQL: its last stream id, its size, its entries' append times. */
interface OwedBatch {
  readonly lastStreamId: string;
  count: number;
  /** Epoch ms of each entry (the API's append time); null for a takeover's replay (not timed). */
  timestamps: readonly number[] | null;
}

interface SymbolQueue {
  readonly batches: OwedBatch[];
  /** Entries in `batches`: handled by the owner, not durable yet. */
  pending: number;
  /** Timestamps held in `batches`. */
  held: number;
}

export interface OwedEntriesLimits {
  /** Most timestamps held per symbol; past it the oldest batch's are dropped (counted). Default 100 000. */
  readonly maxTimestamps?: number;
  /** Most batches queued per symbol; past it the two oldest are merged. Default 10 000. */
  readonly maxBatches?: number;
}

/**
 * What each symbol's owner has handled but MySQL has not made durable yet, in stream order: the
 * source of accept→persisted latency and of the pending-entries gauge (DESIGN.md §6).
 *
 * The DurableRecorder owes a batch together with its checkpoint, and a flush commits checkpoints;
 * so when a flush commits a symbol's checkpoint at stream id X, every batch whose last id is ≤ X is
 * durable. Each batch is queued here when owed and taken out by `durable()` for the committed
 * checkpoint that covers it.
 *
 * Memory is bounded: while MySQL is down nothing drains, so past the limits the oldest batch is merged
 * into the next one (its entries still count as pending; its timestamps are dropped, and counted in
 * `dropped`, so the latency histogram misses them rather than the process growing without end).
 */
export class OwedEntries {
  private readonly symbols = new Map<string, SymbolQueue>();
  private readonly maxTimestamps: number;
  private readonly maxBatches: number;
  /** Timestamps dropped by the limits since the start. */
  dropped = 0;

  constructor(limits: OwedEntriesLimits = {}) {
    this.maxTimestamps = limits.maxTimestamps ?? 100_000;
    this.maxBatches = Math.max(1, limits.maxBatches ?? 10_000);
  }

  /** A batch of `count` entries up to `lastStreamId` is owed; `timestamps` null for a replay. */
  owe(symbol: string, lastStreamId: string, count: number, timestamps: readonly number[] | null): void {
    let queue = this.symbols.get(symbol);
    if (queue === undefined) {
      queue = { batches: [], pending: 0, held: 0 };
      this.symbols.set(symbol, queue);
    }
    queue.batches.push({ lastStreamId, count, timestamps });
    queue.pending += count;
    queue.held += timestamps?.length ?? 0;
    while (queue.batches.length > this.maxBatches || queue.held > this.maxTimestamps) {
      const oldest = queue.batches[0]!;
      const next = queue.batches[1];
      this.dropTimestamps(queue, oldest);
      if (next === undefined) break;
      next.count += oldest.count;
      queue.batches.shift();
    }
  }

  /**
   * A flush committed `symbol`'s checkpoint at `checkpointId`: removes every batch it covers and
   * returns their entries' timestamps, oldest first.
   */
  durable(symbol: string, checkpointId: string): number[] {
    const queue = this.symbols.get(symbol);
    const timestamps: number[] = [];
    if (queue === undefined) return timestamps;
    let covered = 0;
    while (
      covered < queue.batches.length &&
      compareIds(queue.batches[covered]!.lastStreamId, checkpointId) <= 0
    ) {
      const batch = queue.batches[covered]!;
      if (batch.timestamps !== null) for (const t of batch.timestamps) timestamps.push(t);
      queue.pending -= batch.count;
      covered++;
    }
    if (covered > 0) queue.batches.splice(0, covered);
    queue.held -= timestamps.length;
    return timestamps;
  }

  /** Entries handled by the owner of `symbol` and not durable yet. */
  pending(symbol: string): number {
    return this.symbols.get(symbol)?.pending ?? 0;
  }

  has(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  /** The symbol left this owner: what it still owed is the next owner's (replayed from the checkpoint). */
  forget(symbol: string): void {
    this.symbols.delete(symbol);
  }

  private dropTimestamps(queue: SymbolQueue, batch: OwedBatch): void {
    const n = batch.timestamps?.length ?? 0;
    this.dropped += n;
    queue.held -= n;
    batch.timestamps = null;
  }
}
