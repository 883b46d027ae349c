/**
 * The matcher keeps the record of every open order it wrote (ReadModelObserver): a later batch that
 * fills or cancels a resting order builds on that record without reading Redis, and a symbol that
 * left this owner is read from Redis again. Observed through the record the next batch writes: with
 * the stored record gone, only the one kept in memory can still say what the order was.
 */
import { expect } from 'chai';
import type { OrderRecord } from '../../../src/api/ports.ts';
import { OutcomePublisher } from '../../../src/adapters/api/outcome-waiter.ts';
import type { RawEntry } from '../../../src/matcher/command-stream.ts';
import { ReadModelObserver } from '../../../src/matcher/read-model-observer.ts';
import { ReadModelWriter } from '../../../src/read-model/read-model-writer.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import { encodeCommand } from '../../../src/streams/command-codec.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';
import {
  ASKER,
  batchEntries,
  BUYERS,
  fund,
  newProcessor,
  orderIdOf,
  place,
  warningLog,
} from '../redis/matcher-batch-fixture.ts';

const ASK_PRICE = 3_100_000;

describe('matcher read model: records of resting orders kept in memory', function () {
  this.timeout(20_000);
  let t: TestRedis;

  beforeEach(async () => {
    t = await openTestRedis({ enableAutoPipelining: true });
  });
  afterEach(async () => {
    await t.close();
  });

  /** A buy of `lots` at ASKER's price by the i-th buyer, as stream entry number `n`. */
  const takeAsk = (n: number, buyer: number, lots: number): RawEntry => [
    `${1_800_000_000_000 + n}-0`,
    encodeCommand({ ...place(buyer, 'buy', ASK_PRICE, lots), orderId: `take-${n}` }, null, null),
  ];

  const readRecord = async (orderId: string): Promise<OrderRecord> =>
    JSON.parse((await t.redis.get(t.keys.order(orderId)))!) as OrderRecord;

  it('fills a resting order from the record it wrote, and reads Redis again once the symbol was forgotten', async () => {
    const { redis, keys } = t;
    const balances = new BalanceStore(redis, keys);
    await fund(balances);
    const log = warningLog();
    const observer = new ReadModelObserver(
      redis,
      keys,
      new ReadModelWriter(keys),
      new OutcomePublisher(redis, keys),
    );
    const processor = newProcessor(redis, keys, balances, observer, log);
    await processor.process(batchEntries(null));
    const asker = orderIdOf(ASKER);
    const rested = await readRecord(asker);
    expect([rested.status, rested.quantity, rested.filledQuantity]).to.deep.equal([
      'partially_filled',
      20,
      15,
    ]);

    // The stored record vanishes; the next fill must still know the order's size and first fills.
    await redis.del(keys.order(asker));
    await processor.process([takeAsk(1, BUYERS[0]!, 2)]);
    const kept = await readRecord(asker);
    expect(log.warnings, 'no order rebuilt from events alone').to.deep.equal([]);
    expect([kept.status, kept.quantity, kept.filledQuantity, kept.createdAt]).to.deep.equal([
      'partially_filled',
      20,
      17,
      rested.createdAt,
    ]);
    expect(kept.fills.map((f) => f.tradeId)).to.deep.equal([
      ...rested.fills.map((f) => f.tradeId),
      kept.fills.at(-1)!.tradeId,
    ]);

    // Once the symbol left this owner, its records are read from Redis: gone, the order is rebuilt
    // from the events alone (its size unknown), which is what the memory spared above.
    observer.forget(processor.symbol);
    await redis.del(keys.order(asker));
    await processor.process([takeAsk(2, BUYERS[1]!, 1)]);
    const rebuilt = await readRecord(asker);
    expect(rebuilt.quantity, 'size unknown without a record').to.equal(null);
    expect(rebuilt.fills).to.have.length(1);
  });
});
