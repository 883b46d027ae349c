import { expect } from 'chai';
import { OrderBook } from '../../../src/engine/order-book.ts';
import { FINISHED_ORDER_TTL_SECONDS } from '../../../src/read-model/read-model-writer.ts';
import { amend, buy, cancel, cancelAll, marketBuyQuote, sell } from '../../support/engine-fixtures.ts';
import { fill, limitRecord, noFunds, T0, withCoid } from '../../unit/read-model/projection-harness.ts';
import { SYMBOL, useReadModelFixture, type Matcher } from './read-model-fixture.ts';

describe('read-model on Redis: orders and fills', () => {
  const f = useReadModelFixture();

  async function openIds(userId: number): Promise<string[]> {
    return f.t.redis.zrange(f.t.keys.userOpenOrders(userId, SYMBOL), 0, -1);
  }

  async function allIds(userId: number): Promise<string[]> {
    return f.t.redis.zrange(f.t.keys.userOrders(userId, SYMBOL), 0, -1);
  }

  async function ttl(orderId: string): Promise<number> {
    return f.t.redis.ttl(f.t.keys.order(orderId));
  }

  /** The book's resting orders of a user, oldest first. */
  function restingIds(m: Matcher, userId: number): string[] {
    const snapshot = m.harness.book.snapshot();
    return [...snapshot.bids, ...snapshot.asks]
      .filter((o) => o.userId === userId)
      .sort((a, b) => a.timestamp - b.timestamp)
      .map((o) => o.orderId);
  }

  it('a partial fill and a cancel read back through OrderQueries exactly as projected', async () => {
    const m = f.newMatcher();
    const first = await m.batch([withCoid(buy('b1', 1, 300_000, 5), 'mine')]);
    expect(await f.queries.getOrder('b1')).to.deep.equal(first.orders[0]!.record);

    const second = await m.batch([sell('s1', 2, 300_000, 2)]); // seq 3-5, loads b1 from Redis
    expect(m.harness.loads).to.deep.equal([['b1']]);
    const maker = limitRecord('b1', 1, 'buy', 300_000, 5, {
      clientOrderId: 'mine',
      status: 'partially_filled',
      filledQuantity: 2,
      filledQuote: 600_000,
      fills: [fill(4, 300_000, 2, 2, 'buy', 'maker')],
      updatedAt: T0 + 1,
    });
    expect(await f.queries.getOrder('b1')).to.deep.equal(maker);
    expect(await f.queries.getOrder('s1')).to.deep.equal(second.orders[0]!.record);
    expect(
      await f.queries.listOrders({ userId: 1, symbol: SYMBOL, statuses: undefined, limit: 10 }),
    ).to.deep.equal([maker]);
    expect(
      await f.queries.listOrders({
        userId: 1,
        symbol: SYMBOL,
        statuses: ['new', 'partially_filled'],
        limit: 10,
      }),
    ).to.deep.equal([maker]);
    expect(await f.queries.listTrades({ userId: 1, symbol: SYMBOL, limit: 10 })).to.deep.equal(
      second.userTrades.filter((t) => t.userId === 1).map((t) => t.trade),
    );
    expect(await f.queries.listTrades({ userId: 2, symbol: SYMBOL, limit: 10 })).to.deep.equal([
      {
        ...fill(4, 300_000, 2, 1200, 'sell', 'taker'),
        orderId: 's1',
        symbol: SYMBOL,
        side: 'sell',
        quoteQuantity: 600_000,
        time: T0 + 1,
      },
    ]);

    await m.batch([cancel('b1', 1)]);
    const canceled = { ...maker, status: 'canceled', updatedAt: T0 + 2 };
    expect(await f.queries.getOrder('b1')).to.deep.equal(canceled);
    expect(
      await f.queries.listOrders({
        userId: 1,
        symbol: SYMBOL,
        statuses: ['new', 'partially_filled'],
        limit: 10,
      }),
    ).to.deep.equal([]);
    expect(
      await f.queries.listOrders({ userId: 1, symbol: SYMBOL, statuses: ['canceled'], limit: 10 }),
    ).to.deep.equal([canceled]);
  });

  it('finished orders expire after 7 days; open ones do not', async () => {
    const m = f.newMatcher();
    await m.batch([buy('b1', 1, 300_000, 5), buy('b2', 1, 300_000, 1), sell('s1', 2, 300_000, 2)]);
    expect(await ttl('b1')).to.equal(-1); // partially filled, open
    expect(await ttl('b2')).to.equal(-1);
    for (const finished of ['s1']) {
      expect(await ttl(finished)).to.be.within(FINISHED_ORDER_TTL_SECONDS - 5, FINISHED_ORDER_TTL_SECONDS);
    }
    await m.batch([cancel('b2', 1), withCoid(buy('p', 3, 290_000, 1, { postOnly: true }), null)]);
    expect(await ttl('b2')).to.be.within(FINISHED_ORDER_TTL_SECONDS - 5, FINISHED_ORDER_TTL_SECONDS);
    expect(await ttl('p')).to.equal(-1); // rests
    expect(FINISHED_ORDER_TTL_SECONDS).to.equal(604_800);
  });

  it('a custom TTL is honoured, and a rejected order is listed, never open, and expires', async () => {
    const m = f.newMatcher({ finishedTtlSeconds: 60 });
    await m.batch([sell('a1', 2, 300_000, 1)]);
    await m.batch([
      noFunds(marketBuyQuote('q', 1, 10), 'no-money'),
      withCoid(buy('p', 1, 300_000, 1, { postOnly: true }), 'would-take'),
    ]);
    expect(await ttl('q')).to.be.within(55, 60);
    expect(await ttl('p')).to.be.within(55, 60);
    expect(await openIds(1)).to.deep.equal([]);
    const listed = await f.queries.listOrders({ userId: 1, symbol: SYMBOL, statuses: undefined, limit: 10 });
    expect(listed.map((o) => [o.orderId, o.status, o.rejectReason, o.clientOrderId])).to.have.deep.members([
      ['q', 'rejected', 'INSUFFICIENT_FUNDS', 'no-money'],
      ['p', 'rejected', 'POST_ONLY_WOULD_TAKE', 'would-take'],
    ]);
    expect(listed.map((o) => o.orderId)).to.deep.equal(['p', 'q']); // newest first
  });

  it('the open set follows the book through rests, fills, amends, cancels and cancelAll', async () => {
    const m = f.newMatcher();
    const check = async () => {
      for (const user of [1, 2, 3])
        expect(await openIds(user), `user ${user}`).to.deep.equal(restingIds(m, user));
    };
    await m.batch([buy('b1', 1, 300_000, 5), buy('b2', 1, 299_990, 2), sell('a1', 2, 300_050, 3)]);
    await check();
    await m.batch([sell('s1', 3, 300_000, 5)]); // fills b1
    await check();
    await m.batch([amend('b2', 1, 300_050, 0)]); // crosses a1: b2 fills, a1 partly
    await check();
    await m.batch([buy('b3', 1, 300_000, 1), buy('b4', 1, 300_010, 1), sell('a2', 1, 301_000, 1)]);
    await check();
    await m.batch([cancel('b3', 1), amend('b4', 1, 0, 1), cancelAll(2)]);
    await check();
    await m.batch([cancelAll(1)]);
    await check();
    expect(await openIds(1)).to.deep.equal([]);
    // Every order stays in the user's full list.
    expect((await allIds(1)).sort()).to.deep.equal(['a2', 'b1', 'b2', 'b3', 'b4']);
    expect(
      await f.queries.listOrders({ userId: 1, symbol: SYMBOL, statuses: ['filled'], limit: 10 }),
    ).to.have.length(2);
  });

  it('lists newest first with a limit, skips expired records, pages through a status filter', async () => {
    const m = f.newMatcher();
    // Two old filled orders, then 250 canceled ones (more than a page), then one open.
    await m.batch([sell('f1', 1, 300_000, 1), sell('f2', 1, 300_000, 1), buy('t', 2, 300_000, 2)]);
    const places = Array.from({ length: 250 }, (_, i) => buy(`c${i}`, 1, 290_000, 1));
    await m.batch(places);
    await m.batch([cancelAll(1)]);
    await m.batch([buy('open', 1, 290_000, 1)]);
    const list = (statuses: Parameters<typeof f.queries.listOrders>[0]['statuses'], limit: number) =>
      f.queries.listOrders({ userId: 1, symbol: SYMBOL, statuses, limit });

    expect((await list(undefined, 3)).map((o) => o.orderId)).to.deep.equal(['open', 'c249', 'c248']);
    expect((await list(['filled'], 5)).map((o) => o.orderId)).to.deep.equal(['f2', 'f1']);
    expect((await list(['filled'], 1)).map((o) => o.orderId)).to.deep.equal(['f2']);
    expect((await list(['canceled', 'filled'], 300)).length).to.equal(252);
    expect((await list(['new'], 10)).map((o) => o.orderId)).to.deep.equal(['open']);
    expect(await list([], 10)).to.deep.equal([]);
    expect(await list(undefined, 0)).to.deep.equal([]);

    // A finished record past its TTL is gone: the list skips it and still fills the limit.
    await f.t.redis.del(f.t.keys.order('c249'), f.t.keys.order('c248'));
    expect((await list(undefined, 3)).map((o) => o.orderId)).to.deep.equal(['open', 'c247', 'c246']);
    expect(
      await f.queries.listOrders({ userId: 99, symbol: SYMBOL, statuses: undefined, limit: 3 }),
    ).to.deep.equal([]);
  });

  it('getOrder and getOrders: unknown and unkeyable ids are undefined, aligned with the ids', async () => {
    const m = f.newMatcher();
    await m.batch([buy('b1', 1, 300_000, 5), buy('b2', 2, 300_000, 5)]);
    expect(await f.queries.getOrder('nope')).to.equal(undefined);
    expect(await f.queries.getOrder('{bad}')).to.equal(undefined);
    const got = await f.queries.getOrders(['b2', 'nope', '{bad}', 'b1']);
    expect(got.map((o) => o?.orderId)).to.deep.equal(['b2', undefined, undefined, 'b1']);
    expect(await f.queries.getOrders([])).to.deep.equal([]);
    expect(await f.queries.listTrades({ userId: 0, symbol: SYMBOL, limit: 5 })).to.deep.equal([]);
  });

  it('a place the engine rejects as malformed is not written, and the rest of the batch is', async () => {
    const m = f.newMatcher();
    const batch = await m.batch([buy('b0', 0, 300_000, 1), buy('ok', 1, 300_000, 1)]);
    expect(batch.orders.map((o) => [o.record.orderId, o.record.status])).to.deep.equal([
      ['b0', 'rejected'],
      ['ok', 'new'],
    ]);
    expect(await f.queries.getOrder('b0')).to.equal(undefined);
    expect(await f.queries.getOrder('ok')).to.include({ status: 'new' });
  });

  it('user fills are capped at 1 000, newest first', async () => {
    const m = f.newMatcher();
    await m.batch([sell('big', 1, 300_000, 1300)]);
    for (let start = 0; start < 1200; start += 400) {
      await m.batch(Array.from({ length: 400 }, (_, i) => buy(`t${start + i}`, 2, 300_000, 1)));
    }
    const fillsKey = f.t.keys.userFills(1, SYMBOL);
    expect(await f.t.redis.llen(fillsKey)).to.equal(1000);
    const trades = await f.queries.listTrades({ userId: 1, symbol: SYMBOL, limit: 1000 });
    expect(trades).to.have.length(1000);
    expect(trades[0]!.orderId).to.equal('big');
    // Newest first: trade ids descend; the newest is the last taker's trade.
    const seqs = trades.map((t) => Number(t.tradeId.split(':')[1]));
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => b - a));
    expect(seqs[0]).to.equal(
      Math.max(...m.harness.events.filter((e) => e.type === 'trade').map((e) => e.seq)),
    );
    expect(await f.t.redis.llen(f.t.keys.userFills(2, SYMBOL))).to.equal(1000);
    expect(
      (await f.queries.listTrades({ userId: 2, symbol: SYMBOL, limit: 3 })).map((t) => t.orderId),
    ).to.deep.equal(['t1199', 't1198', 't1197']);
    // The maker's record keeps every fill.
    expect((await f.queries.getOrder('big'))!.fills).to.have.length(1200);
  });

  it('a smaller cap in one batch keeps the newest only', async () => {
    const m = f.newMatcher({ userFillsCap: 3, recentTradesCap: 2 });
    await m.batch([
      sell('big', 1, 300_000, 10),
      ...Array.from({ length: 5 }, (_, i) => buy(`t${i}`, 2, 300_000, 1)),
    ]);
    expect(
      (await f.queries.listTrades({ userId: 2, symbol: SYMBOL, limit: 10 })).map((t) => t.orderId),
    ).to.deep.equal(['t4', 't3', 't2']);
    expect((await f.marketData.recentTrades(SYMBOL, 10)).map((t) => t.tradeId)).to.have.length(2);
  });

  it('a replayed batch after a restore writes no fill twice', async () => {
    const m = f.newMatcher();
    await m.batch([buy('b1', 1, 300_000, 5)]);
    const snapshot = m.harness.book.snapshot();
    const start = m.harness.now;
    const batch = [sell('s1', 2, 300_000, 2), sell('s2', 3, 300_000, 1)];
    await m.batch(batch);
    const before = {
      b1: await f.queries.getOrder('b1'),
      fills1: await f.queries.listTrades({ userId: 1, symbol: SYMBOL, limit: 10 }),
      fills2: await f.queries.listTrades({ userId: 2, symbol: SYMBOL, limit: 10 }),
      trades: await f.marketData.recentTrades(SYMBOL, 10),
    };
    m.harness.book = OrderBook.restore(snapshot);
    m.harness.now = start;
    await m.batch(batch, { replay: true });
    expect({
      b1: await f.queries.getOrder('b1'),
      fills1: await f.queries.listTrades({ userId: 1, symbol: SYMBOL, limit: 10 }),
      fills2: await f.queries.listTrades({ userId: 2, symbol: SYMBOL, limit: 10 }),
      trades: await f.marketData.recentTrades(SYMBOL, 10),
    }).to.deep.equal(before);
  });
});
