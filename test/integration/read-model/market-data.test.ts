import { expect } from 'chai';
import { EMPTY_DEPTH } from '../../../src/read-model/market-data-reader.ts';
import { ReadModelWriter } from '../../../src/read-model/read-model-writer.ts';
import { buy, cancel, sell } from '../../support/engine-fixtures.ts';
import { T0 } from '../../unit/read-model/projection-harness.ts';
import { SYMBOL, useReadModelFixture } from './read-model-fixture.ts';

describe('read-model on Redis: market data', () => {
  const f = useReadModelFixture();

  async function storedSequence(): Promise<number | undefined> {
    const value = await f.t.redis.get(f.t.keys.depth(SYMBOL));
    return value === null ? undefined : (JSON.parse(value) as { sequence: number }).sequence;
  }

  it('an unknown market or one without a snapshot has an empty book and no trades', async () => {
    expect(await f.marketData.depth(SYMBOL, 10)).to.deep.equal({ sequence: 0, bids: [], asks: [] });
    expect(await f.marketData.depth('ETH-USDT', 10)).to.deep.equal(EMPTY_DEPTH);
    expect(await f.marketData.recentTrades(SYMBOL, 10)).to.deep.equal([]);
  });

  it('depth is the book’s aggregated levels, cut to the limit asked', async () => {
    const m = f.newMatcher();
    await m.batch([
      buy('b1', 1, 300_000, 5),
      buy('b2', 2, 300_000, 1),
      buy('b3', 1, 299_990, 2),
      buy('b4', 1, 299_980, 3),
      sell('a1', 3, 300_010, 4),
      sell('a2', 3, 300_020, 1),
    ]);
    expect(await f.marketData.depth(SYMBOL, 100)).to.deep.equal({
      sequence: 12,
      bids: [
        [300_000, 6],
        [299_990, 2],
        [299_980, 3],
      ],
      asks: [
        [300_010, 4],
        [300_020, 1],
      ],
    });
    expect(await f.marketData.depth(SYMBOL, 1)).to.deep.equal({
      sequence: 12,
      bids: [[300_000, 6]],
      asks: [[300_010, 4]],
    });
    expect(await f.marketData.depth(SYMBOL, 0)).to.deep.equal({ sequence: 12, bids: [], asks: [] });
  });

  it('the stored depth holds at most 100 levels per side', async () => {
    const m = f.newMatcher();
    await m.batch(Array.from({ length: 120 }, (_, i) => buy(`b${i}`, 1, 200_000 + i, 1)));
    const depth = await f.marketData.depth(SYMBOL, 1000);
    expect(depth.bids).to.have.length(100);
    expect(depth.bids[0]).to.deep.equal([200_119, 1]);
  });

  it('recent trades: newest first, limited, capped at 1 000', async () => {
    const m = f.newMatcher();
    await m.batch([sell('a1', 1, 300_000, 2), buy('t1', 2, 300_000, 1), buy('t2', 3, 300_000, 1)]);
    expect(await f.marketData.recentTrades(SYMBOL, 10)).to.deep.equal([
      { tradeId: 'BTC-USDT:7', price: 300_000, quantity: 1, takerSide: 'buy', time: T0 + 2 },
      { tradeId: 'BTC-USDT:4', price: 300_000, quantity: 1, takerSide: 'buy', time: T0 + 1 },
    ]);
    expect(await f.marketData.recentTrades(SYMBOL, 1)).to.have.length(1);
    expect(await f.marketData.recentTrades(SYMBOL, 0)).to.deep.equal([]);

    await m.batch([buy('big', 4, 310_000, 1100)]);
    await m.batch(Array.from({ length: 1100 }, (_, i) => sell(`s${i}`, 5, 310_000, 1)));
    expect(await f.t.redis.llen(f.t.keys.recentTrades(SYMBOL))).to.equal(1000);
    const trades = await f.marketData.recentTrades(SYMBOL, 1000);
    expect(trades[0]).to.include({ takerSide: 'sell', price: 310_000 });
    const seqs = trades.map((t) => Number(t.tradeId.split(':')[1]));
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => b - a));
  });

  it('depth writes are throttled to one per 100 ms per symbol; a pending change is written later', async () => {
    const m = f.newMatcher();
    m.nowMs = 1_000;
    await m.batch([buy('b1', 1, 300_000, 1)]); // seq 2: written (first write)
    expect(await storedSequence()).to.equal(2);

    m.nowMs = 1_050;
    await m.batch([buy('b2', 1, 300_000, 1)]); // seq 4: too soon
    expect(await storedSequence()).to.equal(2);
    expect(m.writer.depthPending(SYMBOL)).to.equal(true);

    m.nowMs = 1_099;
    await m.batch([cancel('nope', 1)]); // nothing changed, still too soon
    expect(await storedSequence()).to.equal(2);

    m.nowMs = 1_100;
    await m.batch([cancel('nope', 1)]); // nothing changed, but the pending change is due
    expect(await storedSequence()).to.equal(6);
    expect((await f.marketData.depth(SYMBOL, 5)).bids).to.deep.equal([[300_000, 2]]);
    expect(m.writer.depthPending(SYMBOL)).to.equal(false);

    m.nowMs = 1_500;
    await m.batch([cancel('nope', 1)]); // nothing pending: no write
    expect(await storedSequence()).to.equal(6);

    // An idle tick flushes a change made inside the interval.
    m.nowMs = 1_550;
    await m.batch([cancel('b1', 1)]); // changed at seq 9, written at once (450 ms since the last)
    expect(await storedSequence()).to.equal(9);
    m.nowMs = 1_560;
    await m.batch([cancel('b2', 1)]); // seq 11, pending
    expect(await storedSequence()).to.equal(9);
    const pipeline = f.t.redis.pipeline();
    expect(
      m.writer.writeDepth(pipeline, SYMBOL, 1_600, () => m.harness.book.depth(100), { changed: false }),
    ).to.equal(false);
    expect(
      m.writer.writeDepth(pipeline, SYMBOL, 1_650, () => m.harness.book.depth(100), { changed: false }),
    ).to.equal(true);
    await pipeline.exec();
    expect(await f.marketData.depth(SYMBOL, 5)).to.deep.equal({ sequence: 11, bids: [], asks: [] });
  });

  it('force writes at once; symbols are throttled separately; forget resets a symbol', async () => {
    const writer = new ReadModelWriter(f.t.keys);
    const depthOf = (sequence: number) => ({ sequence, bids: [[1, 1]] as Array<[number, number]>, asks: [] });
    const pipeline = f.t.redis.pipeline();
    expect(writer.writeDepth(pipeline, 'BTC-USDT', 0, depthOf(1))).to.equal(true);
    expect(writer.writeDepth(pipeline, 'ETH-USDT', 10, depthOf(1))).to.equal(true);
    expect(writer.writeDepth(pipeline, 'BTC-USDT', 20, depthOf(2))).to.equal(false);
    expect(writer.writeDepth(pipeline, 'BTC-USDT', 30, depthOf(3), { force: true, changed: false })).to.equal(
      true,
    );
    expect(writer.writeDepth(pipeline, 'ETH-USDT', 40, depthOf(2))).to.equal(false);
    writer.forget('ETH-USDT');
    expect(writer.depthPending('ETH-USDT')).to.equal(false);
    expect(writer.writeDepth(pipeline, 'ETH-USDT', 50, depthOf(3))).to.equal(true);
    let made = 0;
    expect(
      writer.writeDepth(pipeline, 'BTC-USDT', 60, () => {
        made++;
        return depthOf(4);
      }),
    ).to.equal(false);
    expect(made).to.equal(0); // the snapshot is only made when it is written
    await pipeline.exec();
    expect((await f.marketData.depth('BTC-USDT', 10)).sequence).to.equal(3);
    expect((await f.marketData.depth('ETH-USDT', 10)).sequence).to.equal(3);
  });
});
