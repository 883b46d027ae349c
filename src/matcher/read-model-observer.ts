import type { ChainableCommander, Redis } from 'ioredis';
import type { OutcomePublisher } from '../adapters/api/outcome-waiter.ts';
import type { OrderRecord } from '../api/ports.ts';
import type { OrderBook } from '../engine/order-book.ts';
import type { Keys } from '../redis/keys.ts';
import { OrderProjection } from '../read-model/order-projection.ts';
import type { ReadModelWriter } from '../read-model/read-model-writer.ts';
import type { DurableRecorder } from './durable-recorder.ts';
import type { AfterCommit, BatchObserver, ProcessedBatch } from './symbol-processor.ts';

const DEPTH_LEVELS = 100;

/**
 * What a batch means downstream of the engine: the read model of orders and fills, market data, and
 * the outcome for the API instance that took each command. Everything goes into the pipeline that
 * ends the batch, so a crash before it is simply replayed (the writes are idempotent: whole
 * records, set members, and fills recognized by their trade id on a replay).
 */
export class ReadModelObserver implements BatchObserver {
  private readonly projections = new Map<string, OrderProjection>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly writer: ReadModelWriter,
    private readonly publisher: OutcomePublisher,
    /** Owes each batch to MySQL once its Redis pipeline succeeded; none in tests of Redis alone. */
    private readonly durable?: DurableRecorder,
  ) {}

  async record(batch: ProcessedBatch, pipeline: ChainableCommander): Promise<AfterCommit | void> {
    const projection = this.projectionFor(batch);
    const replies: Array<string | null> = [];
    for (const { entry, applied, events, refusal } of batch.commands) {
      const c = entry.command;
      if (refusal !== null) {
        if (c.type === 'place')
          projection.rejectForFunds({ ...c, clientOrderId: entry.clientOrderId }, refusal);
        else projection.refuse('orderId' in c ? String(c.orderId) : '', refusal);
      } else if (applied !== null) {
        projection.applied(
          applied.type === 'place' ? { ...applied, clientOrderId: entry.clientOrderId } : applied,
          events,
        );
      }
      replies.push(entry.replyTo);
    }
    const projected = await projection.finish({ replay: batch.replaying });
    this.writer.writeBatch(pipeline, projected);
    this.writer.writeDepth(pipeline, batch.symbol, Date.now(), () => batch.book.depth(DEPTH_LEVELS), {
      changed: projected.depthChanged,
    });
    const publish = this.publisher.pipelined(pipeline);
    projected.outcomes.forEach((message, i) => {
      const replyTo = replies[i];
      if (message !== null && replyTo !== null && replyTo !== undefined) {
        publish.publish(replyTo, message.orderId, message.outcome);
      }
    });
    const { durable } = this;
    if (durable !== undefined) return () => durable.record(batch, projected);
  }

  /**
   * A new owner writes the depth of the book it restored at once: the previous owner may have stopped
   * (or crashed) with a throttled write still pending, and a quiet market would keep it stale.
   */
  async takenOver(symbol: string, book: OrderBook): Promise<void> {
    const pipeline = this.redis.pipeline();
    this.writer.writeDepth(pipeline, symbol, Date.now(), () => book.depth(DEPTH_LEVELS), { force: true });
    await pipeline.exec();
  }

  /** Writes a depth change the throttle held back, once it is due. */
  async idle(symbol: string, book: OrderBook): Promise<void> {
    if (!this.writer.depthPending(symbol)) return;
    const pipeline = this.redis.pipeline();
    if (
      this.writer.writeDepth(pipeline, symbol, Date.now(), () => book.depth(DEPTH_LEVELS), { changed: false })
    ) {
      await pipeline.exec();
    }
  }

  /** A symbol moved to another owner: forget its state here. */
  forget(symbol: string): void {
    this.projections.delete(symbol);
    this.writer.forget(symbol);
  }

  private projectionFor(batch: ProcessedBatch): OrderProjection {
    let projection = this.projections.get(batch.symbol);
    if (projection === undefined) {
      projection = new OrderProjection(batch.market, (orderIds) => this.loadOrders(orderIds));
      this.projections.set(batch.symbol, projection);
    }
    return projection;
  }

  private async loadOrders(orderIds: readonly string[]): Promise<Array<OrderRecord | undefined>> {
    const texts = await this.redis.mget(...orderIds.map((id) => this.keys.order(id)));
    return texts.map((text) => (text === null ? undefined : (JSON.parse(text) as OrderRecord)));
  }
}
