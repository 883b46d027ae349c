import { expect } from 'chai';
import {
  acceptedEvent,
  buy,
  forEachBook,
  marketBuy,
  marketBuyQuote,
  marketSell,
  sell,
  XYZ_EUR,
} from '../../support/engine-fixtures.ts';

// BTC-USDT: 1000 base units per lot, 1 quote unit per tick-lot, maker 1000 ppm, taker 2000 ppm.
// A buyer receives lots × 1000 base units, a seller lots × price quote units.

forEachBook('matching: limit orders', (newHarness) => {
  it('sweeps levels best price first and, within a level, oldest first, at the makers’ prices', () => {
    const h = newHarness();
    h.run(
      sell('s1', 1, 300_000, 5), // seq 1, 2
      sell('s2', 2, 300_010, 3), // seq 3, 4
      sell('s3', 3, 300_000, 4), // seq 5, 6: same level as s1, behind it
      sell('s4', 1, 300_020, 2), // seq 7, 8
    );
    expect(h.book.depth(10)).to.deep.equal({
      sequence: 8,
      bids: [],
      asks: [
        [300_000, 9],
        [300_010, 3],
        [300_020, 2],
      ],
    });

    const b1 = buy('b1', 9, 300_010, 10);
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(9, b1),
      {
        seq: 10,
        type: 'trade',
        price: 300_000,
        quantity: 5,
        quoteQuantity: 1_500_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 1,
        takerOrderId: 'b1',
        takerUserId: 9,
        makerFee: 1500, // 0.1 % of 1 500 000 quote units
        takerFee: 10, // 0.2 % of 5000 base units
      },
      {
        seq: 11,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 5,
        filledQuote: 1_500_000,
      },
      {
        seq: 12,
        type: 'trade',
        price: 300_000,
        quantity: 4,
        quoteQuantity: 1_200_000,
        takerSide: 'buy',
        makerOrderId: 's3',
        makerUserId: 3,
        takerOrderId: 'b1',
        takerUserId: 9,
        makerFee: 1200,
        takerFee: 8,
      },
      {
        seq: 13,
        type: 'done',
        orderId: 's3',
        userId: 3,
        side: 'sell',
        status: 'filled',
        filledQuantity: 4,
        filledQuote: 1_200_000,
      },
      {
        seq: 14,
        type: 'trade',
        price: 300_010,
        quantity: 1,
        quoteQuantity: 300_010,
        takerSide: 'buy',
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'b1',
        takerUserId: 9,
        makerFee: 300, // floor(300.01)
        takerFee: 2,
      },
      {
        seq: 15,
        type: 'done',
        orderId: 'b1',
        userId: 9,
        side: 'buy',
        status: 'filled',
        filledQuantity: 10,
        filledQuote: 3_000_010,
      },
    ]);
    expect(h.book.depth(10)).to.deep.equal({
      sequence: 15,
      bids: [],
      asks: [
        [300_010, 2],
        [300_020, 2],
      ],
    });
    expect(h.book.getOrder('s2')).to.include({
      quantity: 3,
      filledQuantity: 1,
      remainingQuantity: 2,
      filledQuote: 300_010,
      entrySeq: 4,
    });
  });

  it('a sell sweeps bids highest first, and the fees round down', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 299_990, 3), buy('b2', 2, 300_000, 2), buy('b3', 3, 300_000, 2));
    const s1 = sell('s1', 9, 299_990, 6);
    expect(h.apply(s1)).to.deep.equal([
      acceptedEvent(7, s1),
      {
        seq: 8,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'sell',
        makerOrderId: 'b2',
        makerUserId: 2,
        takerOrderId: 's1',
        takerUserId: 9,
        makerFee: 2, // 0.1 % of 2000 base units
        takerFee: 1200, // 0.2 % of 600 000 quote units
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'b2',
        userId: 2,
        side: 'buy',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 10,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'sell',
        makerOrderId: 'b3',
        makerUserId: 3,
        takerOrderId: 's1',
        takerUserId: 9,
        makerFee: 2,
        takerFee: 1200,
      },
      {
        seq: 11,
        type: 'done',
        orderId: 'b3',
        userId: 3,
        side: 'buy',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 12,
        type: 'trade',
        price: 299_990,
        quantity: 2,
        quoteQuantity: 599_980,
        takerSide: 'sell',
        makerOrderId: 'b1',
        makerUserId: 1,
        takerOrderId: 's1',
        takerUserId: 9,
        makerFee: 2,
        takerFee: 1199, // floor(1199.96)
      },
      {
        seq: 13,
        type: 'done',
        orderId: 's1',
        userId: 9,
        side: 'sell',
        status: 'filled',
        filledQuantity: 6,
        filledQuote: 1_799_980,
      },
    ]);
    expect(h.book.depth(10)).to.deep.equal({ sequence: 13, bids: [[299_990, 1]], asks: [] });
  });

  it('a GTC limit that fills in part rests the rest at its own price', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2));
    const b1 = buy('b1', 9, 300_005, 5);
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(3, b1),
      {
        seq: 4,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 1,
        takerOrderId: 'b1',
        takerUserId: 9,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 5,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 6,
        type: 'rested',
        orderId: 'b1',
        userId: 9,
        side: 'buy',
        price: 300_005,
        remainingQuantity: 3,
        filledQuantity: 2,
      },
    ]);
    expect(h.book.getOrder('b1')).to.deep.equal({
      orderId: 'b1',
      userId: 9,
      side: 'buy',
      price: 300_005,
      quantity: 5,
      remainingQuantity: 3,
      filledQuantity: 2,
      filledQuote: 600_000,
      quoteLimit: 0,
      timeInForce: 'GTC',
      postOnly: false,
      selfTradePrevention: 'expire_taker',
      timestamp: h.nextTimestamp - 1,
      entrySeq: 6,
    });
  });

  it('trades at an equal price, not across a worse one', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 1));
    expect(h.apply(sell('s1', 2, 300_001, 1)).map((e) => e.type)).to.deep.equal(['accepted', 'rested']);
    expect(h.apply(sell('s2', 2, 300_000, 1)).map((e) => e.type)).to.deep.equal([
      'accepted',
      'trade',
      'done',
      'done',
    ]);
    expect(h.apply(buy('b2', 1, 300_000, 1)).map((e) => e.type)).to.deep.equal(['accepted', 'rested']);
    expect(h.book.depth(5)).to.deep.equal({ sequence: 10, bids: [[300_000, 1]], asks: [[300_001, 1]] });
  });

  it('quote amounts are lots × price × quoteUnitsPerTickLot (25 here), fees on each side', () => {
    const h = newHarness(XYZ_EUR); // 100 base units per lot, 25 quote units per tick-lot, 500 / 1500 ppm
    h.run(sell('s1', 1, 40, 10), sell('s2', 2, 41, 10));
    const b1 = buy('b1', 9, 41, 15);
    expect(h.apply(b1)).to.deep.equal([
      acceptedEvent(5, b1),
      {
        seq: 6,
        type: 'trade',
        price: 40,
        quantity: 10,
        quoteQuantity: 10_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 1,
        takerOrderId: 'b1',
        takerUserId: 9,
        makerFee: 5, // 0.05 % of 10 000
        takerFee: 1, // floor(0.15 % of 1000 base units)
      },
      {
        seq: 7,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 10,
        filledQuote: 10_000,
      },
      {
        seq: 8,
        type: 'trade',
        price: 41,
        quantity: 5,
        quoteQuantity: 5125,
        takerSide: 'buy',
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'b1',
        takerUserId: 9,
        makerFee: 2, // floor(2.5625)
        takerFee: 0, // floor(0.75)
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'b1',
        userId: 9,
        side: 'buy',
        status: 'filled',
        filledQuantity: 15,
        filledQuote: 15_125,
      },
    ]);
  });
});

forEachBook('matching: market orders by base quantity', (newHarness) => {
  it('a market buy walks the asks and is done when filled', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2), sell('s2', 2, 300_100, 5));
    const m1 = marketBuy('m1', 9, 4);
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(5, m1),
      {
        seq: 6,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 1,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 7,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 8,
        type: 'trade',
        price: 300_100,
        quantity: 2,
        quoteQuantity: 600_200,
        takerSide: 'buy',
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'filled',
        filledQuantity: 4,
        filledQuote: 1_200_200,
      },
    ]);
    expect(h.book.depth(5).asks).to.deep.equal([[300_100, 3]]);
  });

  it('a market buy larger than the book expires the rest (NO_LIQUIDITY)', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2), sell('s2', 2, 300_100, 5));
    const m1 = marketBuy('m1', 9, 10);
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(5, m1),
      {
        seq: 6,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 1,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 7,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 8,
        type: 'trade',
        price: 300_100,
        quantity: 5,
        quoteQuantity: 1_500_500,
        takerSide: 'buy',
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 1500,
        takerFee: 10,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 's2',
        userId: 2,
        side: 'sell',
        status: 'filled',
        filledQuantity: 5,
        filledQuote: 1_500_500,
      },
      { seq: 10, type: 'expired', orderId: 'm1', userId: 9, remainingQuantity: 3, reason: 'NO_LIQUIDITY' },
      {
        seq: 11,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'expired',
        filledQuantity: 7,
        filledQuote: 2_100_500,
      },
    ]);
    expect(h.book.size).to.equal(0);
  });

  it('a market sell walks the bids', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 3), buy('b2', 2, 299_000, 3));
    const m1 = marketSell('m1', 9, 4);
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(5, m1),
      {
        seq: 6,
        type: 'trade',
        price: 300_000,
        quantity: 3,
        quoteQuantity: 900_000,
        takerSide: 'sell',
        makerOrderId: 'b1',
        makerUserId: 1,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 3,
        takerFee: 1800,
      },
      {
        seq: 7,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'filled',
        filledQuantity: 3,
        filledQuote: 900_000,
      },
      {
        seq: 8,
        type: 'trade',
        price: 299_000,
        quantity: 1,
        quoteQuantity: 299_000,
        takerSide: 'sell',
        makerOrderId: 'b2',
        makerUserId: 2,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 1,
        takerFee: 598,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'sell',
        status: 'filled',
        filledQuantity: 4,
        filledQuote: 1_199_000,
      },
    ]);
  });

  it('a market order on an empty side expires whole', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2));
    const m1 = marketSell('m1', 9, 4);
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(3, m1),
      { seq: 4, type: 'expired', orderId: 'm1', userId: 9, remainingQuantity: 4, reason: 'NO_LIQUIDITY' },
      {
        seq: 5,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'sell',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
  });

  it('a market buy with a quoteLimit stops when it cannot afford the next lot (FUNDS_EXHAUSTED)', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2), sell('s2', 2, 300_100, 5));
    const m1 = marketBuy('m1', 9, 4, { quoteLimit: 1_000_000 });
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(5, m1),
      {
        seq: 6,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 1,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 7,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      // 400 000 left: one lot at 300 100.
      {
        seq: 8,
        type: 'trade',
        price: 300_100,
        quantity: 1,
        quoteQuantity: 300_100,
        takerSide: 'buy',
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 300,
        takerFee: 2,
      },
      // 99 900 left: not one more lot.
      { seq: 9, type: 'expired', orderId: 'm1', userId: 9, remainingQuantity: 1, reason: 'FUNDS_EXHAUSTED' },
      {
        seq: 10,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'expired',
        filledQuantity: 3,
        filledQuote: 900_100,
      },
    ]);
    expect(h.book.depth(5).asks).to.deep.equal([[300_100, 4]]);
  });

  it('a market buy with an ample quoteLimit fills', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2));
    const m1 = marketBuy('m1', 9, 2, { quoteLimit: 600_000 });
    expect(h.apply(m1).slice(-1)).to.deep.equal([
      {
        seq: 6,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
    ]);
  });

  it('a market buy whose quoteLimit buys no lot at all expires (FUNDS_EXHAUSTED)', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2));
    const m1 = marketBuy('m1', 9, 2, { quoteLimit: 299_999 });
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(3, m1),
      { seq: 4, type: 'expired', orderId: 'm1', userId: 9, remainingQuantity: 2, reason: 'FUNDS_EXHAUSTED' },
      {
        seq: 5,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
  });
});

forEachBook('matching: market buy by quote amount', (newHarness) => {
  it('buys as many whole lots as the amount allows, level by level, and is done (filled)', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2), sell('s2', 2, 300_100, 5));
    const m1 = marketBuyQuote('m1', 9, 1_000_000);
    expect(h.apply(m1)).to.deep.equal([
      {
        seq: 5,
        type: 'accepted',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        orderType: 'market',
        price: 0,
        quantity: 0,
        quoteLimit: 1_000_000,
        timeInForce: 'IOC',
      },
      {
        seq: 6,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 1,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 7,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 8,
        type: 'trade',
        price: 300_100,
        quantity: 1,
        quoteQuantity: 300_100,
        takerSide: 'buy',
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'm1',
        takerUserId: 9,
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
        filledQuote: 900_100,
      },
    ]);
    expect(h.book.depth(5).asks).to.deep.equal([[300_100, 4]]);
  });

  it('with 25 quote units per tick-lot', () => {
    const h = newHarness(XYZ_EUR);
    h.run(sell('s1', 1, 40, 10), sell('s2', 2, 41, 10));
    const m1 = marketBuyQuote('m1', 9, 12_345);
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(5, m1),
      // 1000 per lot at 40: 10 lots (all there is) for 10 000.
      {
        seq: 6,
        type: 'trade',
        price: 40,
        quantity: 10,
        quoteQuantity: 10_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 1,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 5,
        takerFee: 1,
      },
      {
        seq: 7,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 10,
        filledQuote: 10_000,
      },
      // 2345 left, 1025 per lot at 41: 2 lots.
      {
        seq: 8,
        type: 'trade',
        price: 41,
        quantity: 2,
        quoteQuantity: 2050,
        takerSide: 'buy',
        makerOrderId: 's2',
        makerUserId: 2,
        takerOrderId: 'm1',
        takerUserId: 9,
        makerFee: 1,
        takerFee: 0,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'filled',
        filledQuantity: 12,
        filledQuote: 12_050,
      },
    ]);
  });

  it('an amount below one lot at the best price expires (FUNDS_EXHAUSTED, remaining 0)', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2));
    const m1 = marketBuyQuote('m1', 9, 299_999);
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(3, m1),
      { seq: 4, type: 'expired', orderId: 'm1', userId: 9, remainingQuantity: 0, reason: 'FUNDS_EXHAUSTED' },
      {
        seq: 5,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
    expect(h.book.depth(5).asks).to.deep.equal([[300_000, 2]]);
  });

  it('an empty book expires it (NO_LIQUIDITY, remaining 0)', () => {
    const h = newHarness();
    const m1 = marketBuyQuote('m1', 9, 1_000_000);
    expect(h.apply(m1)).to.deep.equal([
      acceptedEvent(1, m1),
      { seq: 2, type: 'expired', orderId: 'm1', userId: 9, remainingQuantity: 0, reason: 'NO_LIQUIDITY' },
      {
        seq: 3,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'expired',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
  });

  it('a book that runs out before the amount does expires the order (NO_LIQUIDITY)', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_000, 2));
    const m1 = marketBuyQuote('m1', 9, 1_000_000);
    expect(h.apply(m1).slice(2)).to.deep.equal([
      {
        seq: 5,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      { seq: 6, type: 'expired', orderId: 'm1', userId: 9, remainingQuantity: 0, reason: 'NO_LIQUIDITY' },
      {
        seq: 7,
        type: 'done',
        orderId: 'm1',
        userId: 9,
        side: 'buy',
        status: 'expired',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
    ]);
  });

  it('an amount spent to the unit is done (filled), with or without more asks behind', () => {
    for (const more of [false, true]) {
      const h = newHarness();
      h.run(sell('s1', 1, 300_000, 2));
      if (more) h.run(sell('s2', 2, 300_000, 1));
      const m1 = marketBuyQuote('m1', 9, 600_000);
      const s = h.book.sequence;
      expect(h.apply(m1).slice(2), more ? 'with more asks' : 'emptying the book').to.deep.equal([
        {
          seq: s + 3,
          type: 'done',
          orderId: 's1',
          userId: 1,
          side: 'sell',
          status: 'filled',
          filledQuantity: 2,
          filledQuote: 600_000,
        },
        {
          seq: s + 4,
          type: 'done',
          orderId: 'm1',
          userId: 9,
          side: 'buy',
          status: 'filled',
          filledQuantity: 2,
          filledQuote: 600_000,
        },
      ]);
    }
  });
});

forEachBook('depth and sequence', (newHarness) => {
  it('aggregates levels best first, up to the limit, with the book sequence', () => {
    const h = newHarness();
    expect(h.book.depth(10)).to.deep.equal({ sequence: 0, bids: [], asks: [] });
    expect(h.book.sequence).to.equal(0);
    h.run(
      buy('b1', 1, 299_990, 3),
      buy('b2', 2, 300_000, 2),
      buy('b3', 3, 299_990, 4),
      buy('b4', 1, 299_000, 1),
      sell('s1', 4, 300_010, 5),
      sell('s2', 5, 300_020, 1),
      sell('s3', 4, 300_010, 2),
    );
    expect(h.book.sequence).to.equal(14);
    expect(h.book.size).to.equal(7);
    expect(h.book.depth(10)).to.deep.equal({
      sequence: 14,
      bids: [
        [300_000, 2],
        [299_990, 7],
        [299_000, 1],
      ],
      asks: [
        [300_010, 7],
        [300_020, 1],
      ],
    });
    expect(h.book.depth(2)).to.deep.equal({
      sequence: 14,
      bids: [
        [300_000, 2],
        [299_990, 7],
      ],
      asks: [
        [300_010, 7],
        [300_020, 1],
      ],
    });
    expect(h.book.depth(1)).to.deep.equal({ sequence: 14, bids: [[300_000, 2]], asks: [[300_010, 7]] });
  });

  it('numbers every event 1, 2, 3... whatever the command, rejections included; a trade’s seq is its id', () => {
    const h = newHarness();
    const events = h.run(
      sell('s1', 1, 300_000, 1), // 1 accepted, 2 rested
      buy('bad', 2, 0, 1), // 3 rejected
      buy('b1', 2, 300_000, 1), // 4 accepted, 5 trade, 6 done s1, 7 done b1
    );
    expect(events.map((e) => [e.seq, e.type])).to.deep.equal([
      [1, 'accepted'],
      [2, 'rested'],
      [3, 'rejected'],
      [4, 'accepted'],
      [5, 'trade'],
      [6, 'done'],
      [7, 'done'],
    ]);
    expect(h.book.sequence).to.equal(7);
  });
});
