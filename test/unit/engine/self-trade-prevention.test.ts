import { expect } from 'chai';
import type { SelfTradePrevention } from '../../../src/engine/types.ts';
import {
  acceptedEvent,
  buy,
  forEachBook,
  marketBuy,
  sell,
  type Harness,
} from '../../support/engine-fixtures.ts';

/**
 * Asks: s1 (user 1) 2 @ 300 000, s2 (user 2) 2 @ 300 000 behind it, s3 (user 1) 2 @ 300 010.
 * Then user 1 buys 3 @ 300 010 with the given mode.
 */
function setup(newHarness: () => Harness, makerMode: SelfTradePrevention = 'expire_taker'): Harness {
  const h = newHarness();
  h.run(
    sell('s1', 1, 300_000, 2, { selfTradePrevention: makerMode }), // seq 1, 2
    sell('s2', 2, 300_000, 2), // seq 3, 4
    sell('s3', 1, 300_010, 2, { selfTradePrevention: makerMode }), // seq 5, 6
  );
  return h;
}

const TRADE_S2_2 = {
  type: 'trade',
  price: 300_000,
  quantity: 2,
  quoteQuantity: 600_000,
  takerSide: 'buy',
  makerOrderId: 's2',
  makerUserId: 2,
  takerOrderId: 'b1',
  takerUserId: 1,
  makerFee: 600,
  takerFee: 4,
} as const;

forEachBook('self-trade prevention', (newHarness) => {
  it('expire_taker: the taker expires at its first own maker; the book is untouched', () => {
    const h = setup(newHarness);
    const before = h.book.snapshot();
    const b1 = buy('b1', 1, 300_010, 3, { selfTradePrevention: 'expire_taker' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(7, b1),
      {
        seq: 8,
        type: 'expired',
        orderId: 'b1',
        userId: 1,
        remainingQuantity: 3,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
    expect(h.book.snapshot().asks).to.deep.equal(before.asks);
  });

  it('expire_maker: own makers expire and matching goes on; the rest of a GTC order rests', () => {
    const h = setup(newHarness);
    const b1 = buy('b1', 1, 300_010, 3, { selfTradePrevention: 'expire_maker' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(7, b1),
      {
        seq: 8,
        type: 'expired',
        orderId: 's1',
        userId: 1,
        remainingQuantity: 2,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 9,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
      { seq: 10, ...TRADE_S2_2 },
      {
        seq: 11,
        type: 'done',
        orderId: 's2',
        userId: 2,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 12,
        type: 'expired',
        orderId: 's3',
        userId: 1,
        remainingQuantity: 2,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 13,
        type: 'done',
        orderId: 's3',
        userId: 1,
        side: 'sell',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
      {
        seq: 14,
        type: 'rested',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_010,
        remainingQuantity: 1,
        filledQuantity: 2,
      },
    ]);
    expect(h.book.depth(5)).to.deep.equal({ sequence: 14, bids: [[300_010, 1]], asks: [] });
  });

  it('expire_both: the own maker expires, then the taker', () => {
    const h = setup(newHarness);
    const b1 = buy('b1', 1, 300_010, 3, { selfTradePrevention: 'expire_both' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(7, b1),
      {
        seq: 8,
        type: 'expired',
        orderId: 's1',
        userId: 1,
        remainingQuantity: 2,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 9,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
      {
        seq: 10,
        type: 'expired',
        orderId: 'b1',
        userId: 1,
        remainingQuantity: 3,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 11,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
    expect(h.book.depth(5).asks).to.deep.equal([
      [300_000, 2],
      [300_010, 2],
    ]);
  });

  it('none: the user trades with itself like with anyone', () => {
    const h = setup(newHarness);
    const b1 = buy('b1', 1, 300_010, 3, { selfTradePrevention: 'none' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(7, b1),
      { seq: 8, ...TRADE_S2_2, makerOrderId: 's1', makerUserId: 1 },
      {
        seq: 9,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      { seq: 10, ...TRADE_S2_2, quantity: 1, quoteQuantity: 300_000, makerFee: 300, takerFee: 2 },
      {
        seq: 11,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'filled',
        filledQuantity: 3,
        filledQuote: 900_000,
      },
    ]);
  });

  it("the taker's mode decides: a maker's none does not stop the taker's expire_maker", () => {
    const h = setup(newHarness, 'none');
    const b1 = buy('b1', 1, 300_000, 1, { selfTradePrevention: 'expire_maker' });
    expect(h.apply(b1).slice(1, 3)).to.deep.equal([
      {
        seq: 8,
        type: 'expired',
        orderId: 's1',
        userId: 1,
        remainingQuantity: 2,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 9,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
  });

  it("the taker's mode decides: a taker's none trades with a maker whose own mode is expire_both", () => {
    const h = setup(newHarness, 'expire_both');
    const b1 = buy('b1', 1, 300_000, 1, { selfTradePrevention: 'none' });
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(7, b1),
      {
        seq: 8,
        ...TRADE_S2_2,
        makerOrderId: 's1',
        makerUserId: 1,
        quantity: 1,
        quoteQuantity: 300_000,
        makerFee: 300,
        takerFee: 2,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'filled',
        filledQuantity: 1,
        filledQuote: 300_000,
      },
    ]);
  });

  it('a taker that filled in part before its own maker expires with its fills; a GTC does not rest', () => {
    const h = newHarness();
    h.run(sell('s2', 2, 300_000, 2), sell('s1', 1, 300_000, 2));
    const b1 = buy('b1', 1, 300_000, 3);
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(5, b1),
      { seq: 6, ...TRADE_S2_2 },
      {
        seq: 7,
        type: 'done',
        orderId: 's2',
        userId: 2,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 8,
        type: 'expired',
        orderId: 'b1',
        userId: 1,
        remainingQuantity: 1,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'expired',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
    ]);
  });

  it('applies to market orders and to sell takers too', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 2), buy('b2', 2, 299_000, 2));
    const s1 = sell('s1', 1, 299_000, 3, { selfTradePrevention: 'expire_maker', timeInForce: 'IOC' });
    expect(h.apply(s1)).to.deep.equal([
      acceptedEvent(5, s1),
      {
        seq: 6,
        type: 'expired',
        orderId: 'b1',
        userId: 1,
        remainingQuantity: 2,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 7,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
      {
        seq: 8,
        type: 'trade',
        price: 299_000,
        quantity: 2,
        quoteQuantity: 598_000,
        takerSide: 'sell',
        makerOrderId: 'b2',
        makerUserId: 2,
        takerOrderId: 's1',
        takerUserId: 1,
        makerFee: 2,
        takerFee: 1196,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'b2',
        userId: 2,
        side: 'buy',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 598_000,
      },
      { seq: 10, type: 'expired', orderId: 's1', userId: 1, remainingQuantity: 1, reason: 'NO_LIQUIDITY' },
      {
        seq: 11,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'expired',
        filledQuantity: 2,
        filledQuote: 598_000,
      },
    ]);

    h.run(sell('s9', 1, 300_000, 1)); // seq 12, 13
    const m1 = marketBuy('m1', 1, 1);
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(14, m1),
      {
        seq: 15,
        type: 'expired',
        orderId: 'm1',
        userId: 1,
        remainingQuantity: 1,
        reason: 'SELF_TRADE_PREVENTION',
      },
      {
        seq: 16,
        type: 'done',
        orderId: 'm1',
        userId: 1,
        side: 'buy',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
  });

  it('does not look at orders the limit does not reach', () => {
    const h = setup(newHarness);
    // s1 (own) is at 300 000; a buy at 299 999 never meets it and rests.
    expect(h.apply(buy('b1', 1, 299_999, 3)).map((e) => e.type)).to.deep.equal(['accepted', 'rested']);
  });
});
