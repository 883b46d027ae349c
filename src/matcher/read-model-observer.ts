import { Cluster, type ChainableCommander } from 'ioredis';
import type { OutcomePublisher } from '../adapters/api/outcome-waiter.ts';
import type { CommandOutcome, OrderRecord } from '../api/ports.ts';
import type { OrderBook } from '../engine/order-book.ts';
import { createBatch } from '../redis/batch.ts';
import type { RedisClient } from '../redis/connection.ts';
import { getMany } from '../redis/get-many.ts';
import type { Keys } from '../redis/keys.ts';
import { isOpenStatus, OrderProjection, type ProjectedBatch } from '../read-model/order-projection.ts';
import type { ReadModelWriter } from '../read-model/read-model-writer.ts';
import type { DurableRecorder } from './durable-recorder.ts';
import type { AfterCommit, BatchObserver, ProcessedBatch, ProcessorLog } from './symbol-processor.ts';

const DEPTH_LEVELS = 100;

interface PendingOutcome {
  readonly replyTo: string;
  readonly orderId: string;
  readonly outcome: CommandOutcome;
}

/**
 * What a batch means downstream of the engine: the read model of orders and fills, market data, and
 * the outcome for the API instance that took each command. The writes go into the batch that ends
 * the matcher's batch, so a crash before it is simply replayed (the writes are idempotent: whole
 * records, set members, and fills recognized by their trade id on a replay).
 *
 * An outcome must never be seen before the record it refers to (an API answering `?wait` may read
 * the order next). On one Redis the publishes follow the records in the same batch, on the same
 * connection, which the server runs in order: no extra round trip. On a Cluster the batch spans
 * masters and keeps order per master only, so the outcomes are published once the batch succeeded
 * (the AfterCommit).
 * `redis` must be the client the processor creates its batches on.
 */
export class ReadModelObserver implements BatchObserver {
  private readonly projections = new Map<string, OrderProjection>();
  /**
   * Per symbol, the record of every open order as this owner last wrote it (committed batches only).
   * The owner is the only writer of its symbol's orders, so the next batch that touches a resting
   * order (a maker, a cancel) reads it here instead of a round trip and a JSON.parse; an order not
   * here (final, or written by a previous owner) is read from Redis. Dropped with the symbol.
   */
  private readonly openRecords = new Map<string, Map<string, OrderRecord>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly writer: ReadModelWriter,
    private readonly publisher: OutcomePublisher,
    /** Owes each batch to MySQL once its Redis batch succeeded; none in tests of Redis alone. */
    private readonly durable?: DurableRecorder,
    /** Told when outcomes could not be published after a Cluster batch (they are hints); none: ignored. */
    private readonly log?: ProcessorLog,
  ) {}

  async record(batch: ProcessedBatch, pipeline: ChainableCommander): Promise<AfterCommit | void> {
    const projection = this.projectionFor(batch);
    const replies: Array<string | null> = [];
    for (const { entry, applied, events, refusal } of batch.commands) {
      const c = entry.command;
      // Only an API instance waiting for the outcome gets one: no copy of the record for the others.
      const step = { answer: entry.replyTo !== null };
      if (refusal !== null) {
        if (c.type === 'place')
          projection.rejectForFunds({ ...c, clientOrderId: entry.clientOrderId }, refusal, step);
        else projection.refuse('orderId' in c ? String(c.orderId) : '', refusal, step);
      } else if (applied !== null) {
        projection.applied(
          applied.type === 'place' ? { ...applied, clientOrderId: entry.clientOrderId } : applied,
          events,
          step,
        );
      }
      replies.push(entry.replyTo);
    }
    const projected = await projection.finish({ replay: batch.replaying });
    this.writer.writeBatch(pipeline, projected);
    this.writer.writeDepth(pipeline, batch.symbol, Date.now(), () => batch.book.depth(DEPTH_LEVELS), {
      changed: projected.depthChanged,
    });
    const outcomes: PendingOutcome[] = [];
    projected.outcomes.forEach((message, i) => {
      const replyTo = replies[i];
      if (message !== null && replyTo !== null && replyTo !== undefined)
        outcomes.push({ replyTo, ...message });
    });
    // Queued last: the balance rows MySQL gets are read after the batch's settlements.
    const owe = this.durable?.queue(batch, projected, pipeline);
    const clustered = this.redis instanceof Cluster;
    if (!clustered) {
      const publish = this.publisher.pipelined(pipeline);
      for (const { replyTo, orderId, outcome } of outcomes) publish.publish(replyTo, orderId, outcome);
    }
    return async (replies) => {
      this.remember(batch.symbol, projected);
      if (clustered) this.publishCommitted(batch.symbol, outcomes);
      await owe?.(replies);
    };
  }

  /**
   * A new owner writes the depth of the book it restored at once: the previous owner may have stopped
   * (or crashed) with a throttled write still pending, and a quiet market would keep it stale.
   */
  async takenOver(symbol: string, book: OrderBook): Promise<void> {
    const batch = createBatch(this.redis);
    this.writer.writeDepth(batch, symbol, Date.now(), () => book.depth(DEPTH_LEVELS), { force: true });
    await batch.exec();
  }

  /** Writes a depth change the throttle held back, once it is due. */
  async idle(symbol: string, book: OrderBook): Promise<void> {
    if (!this.writer.depthPending(symbol)) return;
    const batch = createBatch(this.redis);
    if (
      this.writer.writeDepth(batch, symbol, Date.now(), () => book.depth(DEPTH_LEVELS), { changed: false })
    ) {
      await batch.exec();
    }
  }

  /** A symbol moved to another owner: forget its state here. */
  forget(symbol: string): void {
    this.projections.delete(symbol);
    this.openRecords.delete(symbol);
    this.writer.forget(symbol);
  }

  /**
   * Publishes the outcomes of a batch whose records every master has acknowledged (on a Cluster).
   * Not awaited: their replies are only subscriber counts, and waiting for them would add a round
   * trip to every batch on the matcher's path. A failure loses hints only (`?wait` answers its 202 at
   * the timeout): logged once per batch.
   */
  private publishCommitted(symbol: string, outcomes: readonly PendingOutcome[]): void {
    if (outcomes.length === 0) return;
    const sent = outcomes.map(({ replyTo, orderId, outcome }) =>
      this.publisher.publish(replyTo, orderId, outcome),
    );
    void Promise.allSettled(sent).then((results) => {
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length === 0) return;
      this.log?.warn(
        { symbol, err: failed[0]!.reason, failed: failed.length, of: outcomes.length },
        'outcomes not published',
      );
    });
  }

  private projectionFor(batch: ProcessedBatch): OrderProjection {
    let projection = this.projections.get(batch.symbol);
    if (projection === undefined) {
      const symbol = batch.symbol;
      projection = new OrderProjection(batch.market, (orderIds) => this.loadOrders(symbol, orderIds));
      this.projections.set(batch.symbol, projection);
    }
    return projection;
  }

  /** The batch's records are in Redis: keep the open ones, forget the ones that became final. */
  private remember(symbol: string, projected: ProjectedBatch): void {
    let open = this.openRecords.get(symbol);
    if (open === undefined) {
      open = new Map();
      this.openRecords.set(symbol, open);
    }
    for (const { record } of projected.orders) {
      if (isOpenStatus(record.status)) open.set(record.orderId, record);
      else open.delete(record.orderId);
    }
  }

  private async loadOrders(
    symbol: string,
    orderIds: readonly string[],
  ): Promise<Array<OrderRecord | undefined>> {
    const open = this.openRecords.get(symbol);
    const found: Array<OrderRecord | undefined> = orderIds.map((id) => open?.get(id));
    const missing = orderIds.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found;
    const texts = await getMany(
      this.redis,
      missing.map((id) => this.keys.order(id)),
    );
    let next = 0;
    return found.map((record) => {
      if (record !== undefined) return record;
      const text = texts[next++];
      return text === null || text === undefined ? undefined : (JSON.parse(text) as OrderRecord);
    });
  }
}
