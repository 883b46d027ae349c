import { expect } from 'chai';
import type { AmendCommand, RejectReason } from '../../../src/engine/types.ts';
import {
  acceptedEvent,
  amend,
  buy,
  cancel,
  cancelAll,
  forEachBook,
  sell,
  type Expected,
} from '../../support/engine-fixtures.ts';

function rejected(
  seq: number,
  command: 'cancel' | 'amend',
  orderId: string,
  userId: number,
  reason: RejectReason,
): Expected {
  return { seq, type: 'rejected', command, orderId, userId, reason };
}

forEachBook('cancel', (newHarness) => {
  it('takes the own order out of the book', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5), buy('b2', 2, 300_000, 1));
    expect(h.apply(cancel('b1', 1))).to.deep.equal([
      { seq: 5, type: 'canceled', orderId: 'b1', userId: 1, remainingQuantity: 5, reason: 'USER' },
      {
        seq: 6,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'canceled',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
    expect(h.book.getOrder('b1')).to.equal(undefined);
    expect(h.book.depth(5).bids).to.deep.equal([[300_000, 1]]);
  });

  it('reports the fills of a partly filled order', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5), sell('s1', 2, 300_000, 2)); // seq 1-2, 3-5
    expect(h.apply(cancel('b1', 1))).to.deep.equal([
      { seq: 6, type: 'canceled', orderId: 'b1', userId: 1, remainingQuantity: 3, reason: 'USER' },
      {
        seq: 7,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'canceled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
    ]);
  });

  it("refuses another user's order as not found, and leaves it", () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5));
    expect(h.apply(cancel('b1', 2))).to.deep.equal([rejected(3, 'cancel', 'b1', 2, 'ORDER_NOT_FOUND')]);
    expect(h.book.getOrder('b1')?.remainingQuantity).to.equal(5);
  });

  it('a malformed userId is just another user: not found', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5));
    expect(h.apply(cancel('b1', 0))).to.deep.equal([rejected(3, 'cancel', 'b1', 0, 'ORDER_NOT_FOUND')]);
    expect(h.apply(amend('b1', -1, 0, 2))).to.deep.equal([rejected(4, 'amend', 'b1', -1, 'ORDER_NOT_FOUND')]);
  });

  it('refuses an unknown id and an order that is already done', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5), cancel('b1', 1)); // seq 1-4
    expect(h.apply(cancel('nope', 1))).to.deep.equal([rejected(5, 'cancel', 'nope', 1, 'ORDER_NOT_FOUND')]);
    expect(h.apply(cancel('b1', 1))).to.deep.equal([rejected(6, 'cancel', 'b1', 1, 'ORDER_NOT_FOUND')]);
  });
});

forEachBook('cancelAll', (newHarness) => {
  it("cancels the user's orders in ascending entrySeq, an order re-rested by amend last", () => {
    const h = newHarness();
    h.run(
      buy('b1', 1, 299_000, 1), // seq 1, 2 (entrySeq 2)
      sell('s1', 1, 301_000, 1), // seq 3, 4
      buy('b2', 1, 298_000, 1), // seq 5, 6
      buy('x1', 2, 299_500, 1), // seq 7, 8
    );
    expect(h.apply(amend('b1', 1, 0, 3))).to.deep.equal([
      {
        seq: 9,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 299_000,
        quantity: 3,
        remainingQuantity: 3,
        priorityKept: false,
      },
      {
        seq: 10,
        type: 'rested',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 299_000,
        remainingQuantity: 3,
        filledQuantity: 0,
      },
    ]);
    expect(h.book.getOrder('b1')?.entrySeq).to.equal(10);
    expect(h.apply(cancelAll(1))).to.deep.equal([
      { seq: 11, type: 'canceled', orderId: 's1', userId: 1, remainingQuantity: 1, reason: 'CANCEL_ALL' },
      {
        seq: 12,
        type: 'done',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        status: 'canceled',
        filledQuantity: 0,
        filledQuote: 0,
      },
      { seq: 13, type: 'canceled', orderId: 'b2', userId: 1, remainingQuantity: 1, reason: 'CANCEL_ALL' },
      {
        seq: 14,
        type: 'done',
        orderId: 'b2',
        userId: 1,
        side: 'buy',
        status: 'canceled',
        filledQuantity: 0,
        filledQuote: 0,
      },
      { seq: 15, type: 'canceled', orderId: 'b1', userId: 1, remainingQuantity: 3, reason: 'CANCEL_ALL' },
      {
        seq: 16,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'canceled',
        filledQuantity: 0,
        filledQuote: 0,
      },
    ]);
    expect(h.book.snapshot().bids.map((o) => o.orderId)).to.deep.equal(['x1']);
  });

  it('keeps the entrySeq of an order whose amend kept its place', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 299_000, 5), buy('b2', 1, 299_000, 5), amend('b1', 1, 0, 4));
    expect(
      h
        .apply(cancelAll(1))
        .filter((e) => e.type === 'canceled')
        .map((e) => (e as { orderId: string }).orderId),
    ).to.deep.equal(['b1', 'b2']);
  });

  it('a user with nothing in the book: no event, and the sequence stays', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 299_000, 1));
    expect(h.apply(cancelAll(2))).to.deep.equal([]);
    expect(h.book.sequence).to.equal(2);
  });

  it('refuses a userId that is not a positive safe integer', () => {
    const h = newHarness();
    expect(h.apply(cancelAll(0))).to.deep.equal([
      { seq: 1, type: 'rejected', command: 'cancelAll', orderId: '', userId: 0, reason: 'INVALID_ORDER' },
    ]);
    expect(h.apply(cancelAll(-4))).to.deep.equal([
      { seq: 2, type: 'rejected', command: 'cancelAll', orderId: '', userId: -4, reason: 'INVALID_ORDER' },
    ]);
    expect(h.apply(cancelAll(1.5))).to.deep.equal([
      { seq: 3, type: 'rejected', command: 'cancelAll', orderId: '', userId: 1.5, reason: 'INVALID_ORDER' },
    ]);
  });
});

forEachBook('amend: priority', (newHarness) => {
  it('a smaller quantity at the same price keeps the place', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5), buy('b2', 2, 300_000, 5));
    expect(h.apply(amend('b1', 1, 0, 3))).to.deep.equal([
      {
        seq: 5,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_000,
        quantity: 3,
        remainingQuantity: 3,
        priorityKept: true,
      },
    ]);
    expect(h.book.getOrder('b1')).to.include({ quantity: 3, remainingQuantity: 3, entrySeq: 2 });
    const s1 = sell('s1', 3, 300_000, 4);
    expect(h.apply(s1)).to.deep.equal([
      acceptedEvent(6, s1),
      {
        seq: 7,
        type: 'trade',
        price: 300_000,
        quantity: 3,
        quoteQuantity: 900_000,
        takerSide: 'sell',
        makerOrderId: 'b1',
        makerUserId: 1,
        takerOrderId: 's1',
        takerUserId: 3,
        makerFee: 3,
        takerFee: 1800,
      },
      {
        seq: 8,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'filled',
        filledQuantity: 3,
        filledQuote: 900_000,
      },
      {
        seq: 9,
        type: 'trade',
        price: 300_000,
        quantity: 1,
        quoteQuantity: 300_000,
        takerSide: 'sell',
        makerOrderId: 'b2',
        makerUserId: 2,
        takerOrderId: 's1',
        takerUserId: 3,
        makerFee: 1,
        takerFee: 600,
      },
      {
        seq: 10,
        type: 'done',
        orderId: 's1',
        userId: 3,
        side: 'sell',
        status: 'filled',
        filledQuantity: 4,
        filledQuote: 1_200_000,
      },
    ]);
  });

  it('the same price given explicitly, and an unchanged quantity, keep the place', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5), buy('b2', 2, 300_000, 5));
    expect(h.apply(amend('b1', 1, 300_000, 4))).to.deep.equal([
      {
        seq: 5,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_000,
        quantity: 4,
        remainingQuantity: 4,
        priorityKept: true,
      },
    ]);
    expect(h.apply(amend('b1', 1, 300_000, 0))).to.deep.equal([
      {
        seq: 6,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_000,
        quantity: 4,
        remainingQuantity: 4,
        priorityKept: true,
      },
    ]);
    expect(h.apply(amend('b1', 1, 0, 4))[0]).to.include({ priorityKept: true });
    expect(h.book.snapshot().bids.map((o) => [o.orderId, o.entrySeq])).to.deep.equal([
      ['b1', 2],
      ['b2', 4],
    ]);
  });

  it('a larger quantity loses the place: back of the level with a new entrySeq', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5), buy('b2', 2, 300_000, 5));
    expect(h.apply(amend('b1', 1, 0, 6))).to.deep.equal([
      {
        seq: 5,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_000,
        quantity: 6,
        remainingQuantity: 6,
        priorityKept: false,
      },
      {
        seq: 6,
        type: 'rested',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_000,
        remainingQuantity: 6,
        filledQuantity: 0,
      },
    ]);
    expect(h.book.snapshot().bids.map((o) => [o.orderId, o.entrySeq])).to.deep.equal([
      ['b2', 4],
      ['b1', 6],
    ]);
    expect(h.apply(sell('s1', 3, 300_000, 1))[1]).to.include({ makerOrderId: 'b2' });
  });

  it('a new price loses the place, even a smaller quantity with it', () => {
    const h = newHarness();
    h.run(sell('s1', 1, 300_010, 5), sell('s2', 2, 300_020, 5));
    expect(h.apply(amend('s1', 1, 300_020, 2))).to.deep.equal([
      {
        seq: 5,
        type: 'amended',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        price: 300_020,
        quantity: 2,
        remainingQuantity: 2,
        priorityKept: false,
      },
      {
        seq: 6,
        type: 'rested',
        orderId: 's1',
        userId: 1,
        side: 'sell',
        price: 300_020,
        remainingQuantity: 2,
        filledQuantity: 0,
      },
    ]);
    expect(h.book.depth(5).asks).to.deep.equal([[300_020, 7]]);
    expect(h.book.snapshot().asks.map((o) => o.orderId)).to.deep.equal(['s2', 's1']);
  });

  it('the total includes the filled part: remaining = new quantity − filled', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 5), sell('s1', 2, 300_000, 2)); // b1: 2 filled, 3 left; seq 1-5
    expect(h.apply(amend('b1', 1, 0, 4))).to.deep.equal([
      {
        seq: 6,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_000,
        quantity: 4,
        remainingQuantity: 2,
        priorityKept: true,
      },
    ]);
    expect(h.book.getOrder('b1')).to.include({
      quantity: 4,
      filledQuantity: 2,
      remainingQuantity: 2,
      filledQuote: 600_000,
    });
    expect(h.apply(amend('b1', 1, 0, 3))[0]).to.include({ remainingQuantity: 1, priorityKept: true });
    expect(h.apply(amend('b1', 1, 0, 2))).to.deep.equal([rejected(8, 'amend', 'b1', 1, 'INVALID_QUANTITY')]);
    expect(h.apply(amend('b1', 1, 0, 1))).to.deep.equal([rejected(9, 'amend', 'b1', 1, 'INVALID_QUANTITY')]);
    expect(h.book.getOrder('b1')).to.include({ quantity: 3, remainingQuantity: 1 });
  });
});

forEachBook('amend: as a taker', (newHarness) => {
  it('a new price that crosses trades as a GTC taker, then rests with a new entrySeq', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 299_000, 5), sell('s1', 2, 300_000, 2), sell('s2', 3, 300_010, 2));
    const placedAt = h.book.getOrder('b1')!.timestamp;
    expect(h.apply(amend('b1', 1, 300_005, 0))).to.deep.equal([
      {
        seq: 7,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_005,
        quantity: 5,
        remainingQuantity: 5,
        priorityKept: false,
      },
      {
        seq: 8,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 2,
        takerOrderId: 'b1',
        takerUserId: 1,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 9,
        type: 'done',
        orderId: 's1',
        userId: 2,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 10,
        type: 'rested',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_005,
        remainingQuantity: 3,
        filledQuantity: 2,
      },
    ]);
    expect(h.book.getOrder('b1')).to.deep.equal({
      orderId: 'b1',
      userId: 1,
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
      timestamp: placedAt,
      entrySeq: 10,
    });
  });

  it('can fill completely; done carries the fills from before the amend too', () => {
    const h = newHarness();
    h.run(
      buy('b1', 1, 299_000, 5),
      sell('s0', 4, 299_000, 1), // b1 fills 1 @ 299 000; seq 3-5
      sell('s1', 2, 300_000, 2), // seq 6, 7
      sell('s2', 3, 300_010, 2), // seq 8, 9
    );
    expect(h.apply(amend('b1', 1, 300_010, 5))).to.deep.equal([
      {
        seq: 10,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_010,
        quantity: 5,
        remainingQuantity: 4,
        priorityKept: false,
      },
      {
        seq: 11,
        type: 'trade',
        price: 300_000,
        quantity: 2,
        quoteQuantity: 600_000,
        takerSide: 'buy',
        makerOrderId: 's1',
        makerUserId: 2,
        takerOrderId: 'b1',
        takerUserId: 1,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 12,
        type: 'done',
        orderId: 's1',
        userId: 2,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
      },
      {
        seq: 13,
        type: 'trade',
        price: 300_010,
        quantity: 2,
        quoteQuantity: 600_020,
        takerSide: 'buy',
        makerOrderId: 's2',
        makerUserId: 3,
        takerOrderId: 'b1',
        takerUserId: 1,
        makerFee: 600,
        takerFee: 4,
      },
      {
        seq: 14,
        type: 'done',
        orderId: 's2',
        userId: 3,
        side: 'sell',
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_020,
      },
      {
        seq: 15,
        type: 'done',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        status: 'filled',
        filledQuantity: 5,
        filledQuote: 1_499_020,
      },
    ]);
    expect(h.book.size).to.equal(0);
  });

  it("matches with the order's own self-trade mode, and can expire", () => {
    const h = newHarness();
    h.run(buy('b1', 1, 299_000, 5), sell('s1', 1, 300_000, 2)); // b1 has the default expire_taker
    expect(h.apply(amend('b1', 1, 300_000, 0))).to.deep.equal([
      {
        seq: 5,
        type: 'amended',
        orderId: 'b1',
        userId: 1,
        side: 'buy',
        price: 300_000,
        quantity: 5,
        remainingQuantity: 5,
        priorityKept: false,
      },
      {
        seq: 6,
        type: 'expired',
        orderId: 'b1',
        userId: 1,
        remainingQuantity: 5,
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
    ]);
    expect(h.book.getOrder('b1')).to.equal(undefined);
    expect(h.book.getOrder('s1')?.remainingQuantity).to.equal(2);

    h.run(buy('b2', 1, 299_000, 5, { selfTradePrevention: 'expire_maker' })); // seq 8, 9
    expect(h.apply(amend('b2', 1, 300_000, 0)).map((e) => e.type)).to.deep.equal([
      'amended',
      'expired',
      'done',
      'rested',
    ]);
    expect(h.book.getOrder('s1')).to.equal(undefined);
  });

  it('a post-only order that would take is refused and left as it was', () => {
    const h = newHarness();
    h.run(buy('p1', 1, 299_000, 5, { postOnly: true }), sell('s1', 2, 300_000, 2));
    const before = h.book.getOrder('p1');
    expect(h.apply(amend('p1', 1, 300_000, 0))).to.deep.equal([
      rejected(5, 'amend', 'p1', 1, 'POST_ONLY_WOULD_TAKE'),
    ]);
    expect(h.apply(amend('p1', 1, 300_001, 9))).to.deep.equal([
      rejected(6, 'amend', 'p1', 1, 'POST_ONLY_WOULD_TAKE'),
    ]);
    expect(h.book.getOrder('p1')).to.deep.equal(before);
    expect(h.apply(amend('p1', 1, 299_999, 0))).to.deep.equal([
      {
        seq: 7,
        type: 'amended',
        orderId: 'p1',
        userId: 1,
        side: 'buy',
        price: 299_999,
        quantity: 5,
        remainingQuantity: 5,
        priorityKept: false,
      },
      {
        seq: 8,
        type: 'rested',
        orderId: 'p1',
        userId: 1,
        side: 'buy',
        price: 299_999,
        remainingQuantity: 5,
        filledQuantity: 0,
      },
    ]);
    expect(h.apply(amend('p1', 1, 0, 7)).map((e) => e.type)).to.deep.equal(['amended', 'rested']);
  });
});

forEachBook('amend: checks in order', (newHarness) => {
  const cases: Array<[string, AmendCommand, RejectReason]> = [
    ['an unknown id', amend('nope', 1, 300_000, 5), 'ORDER_NOT_FOUND'],
    ["another user's order", amend('b1', 2, 300_000, 5), 'ORDER_NOT_FOUND'],
    ['not found before a bad price', amend('nope', 1, -1, -1), 'ORDER_NOT_FOUND'],
    ['a negative price', amend('b1', 1, -1, 5), 'INVALID_PRICE'],
    ['a fractional price', amend('b1', 1, 300_000.5, 5), 'INVALID_PRICE'],
    ['an unsafe price', amend('b1', 1, 2 ** 53, 5), 'INVALID_PRICE'],
    ['a bad price before a bad quantity', amend('b1', 1, -1, -1), 'INVALID_PRICE'],
    ['a negative quantity', amend('b1', 1, 0, -1), 'INVALID_QUANTITY'],
    ['a fractional quantity', amend('b1', 1, 0, 4.5), 'INVALID_QUANTITY'],
    ['a bad quantity before both 0', amend('b1', 1, 0, NaN), 'INVALID_QUANTITY'],
    ['both 0', amend('b1', 1, 0, 0), 'INVALID_ORDER'],
    ['a quantity equal to the filled one', amend('b1', 1, 0, 2), 'INVALID_QUANTITY'],
    ['a quantity below the filled one', amend('b1', 1, 0, 1), 'INVALID_QUANTITY'],
    [
      'a quantity at or below the filled one, before the notional',
      amend('b1', 1, 2 ** 52, 2),
      'INVALID_QUANTITY',
    ],
    ['price × quantity past MAX_SAFE_INTEGER', amend('b1', 1, 2 ** 40, 2 ** 13), 'NOTIONAL_TOO_LARGE'],
    [
      'quantity × baseUnitsPerLot past MAX_SAFE_INTEGER',
      amend('b1', 1, 1, Math.floor(Number.MAX_SAFE_INTEGER / 1000) + 1),
      'NOTIONAL_TOO_LARGE',
    ],
    ['the kept price times a new quantity', amend('b1', 1, 0, 2 ** 40), 'NOTIONAL_TOO_LARGE'],
  ];
  for (const [title, command, reason] of cases) {
    it(`${reason}: ${title}`, () => {
      const h = newHarness();
      h.run(buy('b1', 1, 300_000, 5), sell('s1', 3, 300_000, 2)); // b1: 2 filled of 5; seq 1-5
      const before = h.book.getOrder('b1');
      expect(h.apply(command)).to.deep.equal([rejected(6, 'amend', command.orderId, command.userId, reason)]);
      expect(h.book.getOrder('b1')).to.deep.equal(before);
    });
  }
});
