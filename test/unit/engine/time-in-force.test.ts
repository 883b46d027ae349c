import { expect } from 'chai';
import type { PlaceCommand } from '../../../src/engine/types.ts';
import {
  acceptedEvent,
  buy,
  forEachBook,
  marketBuy,
  marketSell,
  sell,
  type Harness,
} from '../../support/engine-fixtures.ts';

/** Asks: s1 (user 1) 2 @ 300 000, s2 (user 2) 3 @ 300 010. */
function twoAsks(newHarness: () => Harness): Harness {
  const h = newHarness();
  h.run(sell('s1', 1, 300_000, 2), sell('s2', 2, 300_010, 3));
  return h;
}

const TRADE_S1 = {
  type: 'trade',
  price: 300_000,
  quantity: 2,
  quoteQuantity: 600_000,
  takerSide: 'buy',
  makerOrderId: 's1',
  makerUserId: 1,
  takerUserId: 9,
  makerFee: 600,
  takerFee: 4,
} as const;
const DONE_S1 = {
  type: 'done',
  orderId: 's1',
  userId: 1,
  side: 'sell',
  status: 'filled',
  filledQuantity: 2,
  filledQuote: 600_000,
} as const;

forEachBook('time in force: IOC', (newHarness) => {
  it('fills what it can at its limit and expires the rest (NO_LIQUIDITY)', () => {
    const h = twoAsks(newHarness);
    const b1 = buy('b1', 9, 300_000, 5, { timeInForce: 'IOC' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(5, b1),
      { seq: 6, ...TRADE_S1, takerOrderId: 'b1' },
      { seq: 7, ...DONE_S1 },
      { seq: 8, type: 'expired', orderId: 'b1', userId: 9, remainingQuantity: 3, reason: 'NO_LIQUIDITY' },
      {
        seq: 9,
        type: 'done',
        orderId: 'b1',
        userId: 9,
        side: 'buy',
        status: 'expired',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
    ]);
    expect(h.book.depth(5)).to.deep.equal({ sequence: 9, bids: [], asks: [[300_010, 3]] });
  });

  it('that does not cross expires whole and never rests', () => {
    const h = twoAsks(newHarness);
    const b1 = buy('b1', 9, 299_000, 5, { timeInForce: 'IOC' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(5, b1),
      { seq: 6, type: 'expired', orderId: 'b1', userId: 9, remainingQuantity: 5, reason: 'NO_LIQUIDITY' },
      {
        seq: 7,
        type: 'done',
        orderId: 'b1',
        userId: 9,
        side: 'buy',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
    expect(h.book.getOrder('b1')).to.equal(undefined);
  });
});

forEachBook('time in force: FOK', (newHarness) => {
  /** Applies an FOK the book cannot fill and checks the three events and the unchanged book. */
  function expectNotFillable(h: Harness, command: PlaceCommand): void {
    const before = h.book.snapshot();
    const s = before.sequence;
    expect(h.apply(command)).to.deep.equal([
      acceptedEvent(s + 1, command),
      {
        seq: s + 2,
        type: 'expired',
        orderId: command.orderId,
        userId: command.userId,
        remainingQuantity: command.quantity,
        reason: 'FOK_NOT_FILLABLE',
      },
      {
        seq: s + 3,
        type: 'done',
        orderId: command.orderId,
        userId: command.userId,
        side: command.side,
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
    const after = h.book.snapshot();
    expect([after.bids, after.asks], 'the book is unchanged').to.deep.equal([before.bids, before.asks]);
  }

  it('fills completely across levels when it can', () => {
    const h = twoAsks(newHarness);
    const b1 = buy('b1', 9, 300_010, 5, { timeInForce: 'FOK' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(5, b1),
      { seq: 6, ...TRADE_S1, takerOrderId: 'b1' },
      { seq: 7, ...DONE_S1 },
      {
        ...TRADE_S1,
        seq: 8,
        price: 300_010,
        quantity: 3,
        quoteQuantity: 900_030,
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'b1',
        makerFee: 900,
        takerFee: 6,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 's2',
        userId: 2,
        side: 'sell',
        status: 'filled',
        filledQuantity: 3,
        filledQuote: 900_030,
      },
      {
        seq: 10,
        type: 'done',
        orderId: 'b1',
        userId: 9,
        side: 'buy',
        status: 'filled',
        filledQuantity: 5,
        filledQuote: 1_500_030,
      },
    ]);
    expect(h.book.size).to.equal(0);
  });

  it('expires whole when its limit leaves too little', () => {
    expectNotFillable(twoAsks(newHarness), buy('b1', 9, 300_000, 5, { timeInForce: 'FOK' }));
  });

  it('expires whole when the book holds too little', () => {
    expectNotFillable(twoAsks(newHarness), buy('b1', 9, 300_010, 6, { timeInForce: 'FOK' }));
    expectNotFillable(twoAsks(newHarness), marketBuy('m1', 9, 6, { timeInForce: 'FOK' }));
  });

  it('a market sell FOK', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 2));
    expectNotFillable(h, marketSell('m1', 9, 3, { timeInForce: 'FOK' }));
    const m2 = marketSell('m2', 9, 2, { timeInForce: 'FOK' });
    expect(h.apply(m2).map((e) => e.type)).to.deep.equal(['accepted', 'trade', 'done', 'done']);
  });

  it('dry run with expire_maker: skipping an own maker can still fill; the real run expires it', () => {
    const h = newHarness();
    h.run(sell('s1', 9, 300_000, 2), sell('s2', 2, 300_010, 3)); // s1 is the taker's own
    const b1 = buy('b1', 9, 300_010, 3, { timeInForce: 'FOK', selfTradePrevention: 'expire_maker' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(5, b1),
      {
        seq: 6,
        type: 'expired',
        orderId: 's1',
        userId: 9,
        remainingQuantity: 2,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 7,
        type: 'done',
        orderId: 's1',
        userId: 9,
        side: 'sell',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
      {
        ...TRADE_S1,
        seq: 8,
        price: 300_010,
        quantity: 3,
        quoteQuantity: 900_030,
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'b1',
        makerFee: 900,
        takerFee: 6,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 's2',
        userId: 2,
        side: 'sell',
        status: 'filled',
        filledQuantity: 3,
        filledQuote: 900_030,
      },
      {
        seq: 10,
        type: 'done',
        orderId: 'b1',
        userId: 9,
        side: 'buy',
        status: 'filled',
        filledQuantity: 3,
        filledQuote: 900_030,
      },
    ]);
  });

  it('dry run with expire_maker: the skipped maker does not count, and stays when the FOK fails', () => {
    const h = newHarness();
    h.run(sell('s1', 9, 300_000, 2), sell('s2', 2, 300_010, 3));
    expectNotFillable(
      h,
      buy('b1', 9, 300_010, 4, { timeInForce: 'FOK', selfTradePrevention: 'expire_maker' }),
    );
    expect(h.book.getOrder('s1')?.remainingQuantity).to.equal(2);
  });

  it('dry run with expire_taker or expire_both: an own maker in the way makes it not fillable', () => {
    for (const selfTradePrevention of ['expire_taker', 'expire_both'] as const) {
      const h = newHarness();
      h.run(sell('s1', 9, 300_000, 2), sell('s2', 2, 300_010, 3));
      expectNotFillable(h, buy('b1', 9, 300_010, 3, { timeInForce: 'FOK', selfTradePrevention }));
    }
  });

  it('dry run with none: own makers count', () => {
    const h = newHarness();
    h.run(sell('s1', 9, 300_000, 2), sell('s2', 2, 300_010, 3));
    const b1 = buy('b1', 9, 300_010, 5, { timeInForce: 'FOK', selfTradePrevention: 'none' });
    expect(h.apply(b1).map((e) => e.type)).to.deep.equal([
      'accepted',
      'trade',
      'done',
      'trade',
      'done',
      'done',
    ]);
  });

  it('dry run with a quoteLimit: the budget must cover the whole quantity', () => {
    // 2 @ 300 000 + 1 @ 300 010 = 900 010.
    expectNotFillable(
      twoAsks(newHarness),
      marketBuy('m1', 9, 3, { timeInForce: 'FOK', quoteLimit: 900_009 }),
    );
    const h = twoAsks(newHarness);
    const m1 = marketBuy('m1', 9, 3, { timeInForce: 'FOK', quoteLimit: 900_010 });
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(5, m1),
      { seq: 6, ...TRADE_S1, takerOrderId: 'm1' },
      { seq: 7, ...DONE_S1 },
      {
        ...TRADE_S1,
        seq: 8,
        price: 300_010,
        quantity: 1,
        quoteQuantity: 300_010,
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'm1',
        makerFee: 300,
        takerFee: 2,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'filled',
        filledQuantity: 3,
        filledQuote: 900_010,
      },
    ]);
  });
});

forEachBook('post-only', (newHarness) => {
  it('a post-only order that rests later trades as a maker', () => {
    const h = newHarness();
    const p1 = buy('p1', 1, 300_000, 2, { postOnly: true });
    expect(h.apply(p1)).to.deep.equal([
      acceptedEvent(1, p1),
      {
        seq: 2,
        type: 'rested',
        orderId: 'p1',
        userId: 1,
        side: 'buy',
        price: 300_000,
        remainingQuantity: 2,
        filledQuantity: 0,
      },
    ]);
    expect(h.book.getOrder('p1')?.postOnly).to.equal(true);
    const s1 = sell('s1', 2, 300_000, 2);
    expect(h.apply(s1)[1]).to.include({
      type: 'trade',
      makerOrderId: 'p1',
      takerOrderId: 's1',
      makerFee: 2,
      takerFee: 1200,
    });
  });
});
