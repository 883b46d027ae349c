/**
 * What the read-model integration tests share: a real Redis under a random prefix (deleted after
 * the file), the writer and both readers on it, and a matcher stand-in that runs batches through a
 * real OrderBook and the projection (previous records loaded back from Redis) and writes each batch
 * in one pipeline, as the matcher does.
 */
import { expect } from 'chai';
import type { MarketRules } from '../../../src/engine/types.ts';
import { RedisMarketData } from '../../../src/read-model/market-data-reader.ts';
import type { FinishOptions, ProjectedBatch } from '../../../src/read-model/order-projection.ts';
import { RedisOrderQueries } from '../../../src/read-model/order-queries.ts';
import { ReadModelWriter, type ReadModelWriterOptions } from '../../../src/read-model/read-model-writer.ts';
import { BTC_USDT } from '../../support/engine-fixtures.ts';
import { deleteKeys, openTestRedis, type TestRedis } from '../../support/redis.ts';
import { ProjectionHarness, type BatchItem } from '../../unit/read-model/projection-harness.ts';

export const SYMBOL = 'BTC-USDT';

export interface ReadModelFixture {
  readonly t: TestRedis;
  readonly queries: RedisOrderQueries;
  readonly marketData: RedisMarketData;
  /** A matcher stand-in with its own book, writer and clock (ms, for the depth throttle). */
  newMatcher(options?: ReadModelWriterOptions, rules?: MarketRules): Matcher;
}

export class Matcher {
  readonly harness: ProjectionHarness;
  /** The wall clock the writer's throttle sees. */
  nowMs = 0;

  constructor(
    private readonly t: TestRedis,
    readonly writer: ReadModelWriter,
    queries: RedisOrderQueries,
    rules: MarketRules,
  ) {
    this.harness = new ProjectionHarness(rules, (ids) => queries.getOrders(ids));
  }

  /** One batch: engine, projection, then one pipeline with the read model and the depth. */
  async batch(items: readonly BatchItem[], options: FinishOptions = {}): Promise<ProjectedBatch> {
    const batch = await this.harness.batch(items, options);
    const pipeline = this.t.redis.pipeline();
    this.writer.writeBatch(pipeline, batch);
    this.writer.writeDepth(pipeline, SYMBOL, this.nowMs, () => this.harness.book.depth(100), {
      changed: batch.depthChanged,
    });
    const replies = await pipeline.exec();
    for (const [error] of replies ?? []) expect(error).to.equal(null);
    return batch;
  }
}

export function useReadModelFixture(): ReadModelFixture {
  let t: TestRedis | undefined;
  before(async () => {
    t = await openTestRedis();
  });
  // Each test starts from an empty read model (only this file's prefix, never anything else).
  beforeEach(async () => {
    await deleteKeys(t!.redis, t!.keys.pattern);
  });
  after(async () => {
    await t?.close();
  });
  return {
    get t() {
      return t!;
    },
    get queries() {
      return new RedisOrderQueries(t!.redis, t!.keys);
    },
    get marketData() {
      return new RedisMarketData(t!.redis, t!.keys);
    },
    newMatcher(options = {}, rules = BTC_USDT) {
      return new Matcher(t!, new ReadModelWriter(t!.keys, options), this.queries, rules);
    },
  };
}
