import { expect } from 'chai';
import type { PlaceCommand, RejectReason } from '../../../src/engine/types.ts';
import {
  buy,
  cancel,
  forEachBook,
  marketBuy,
  marketBuyQuote,
  marketSell,
  sell,
  XYZ_EUR,
  type Expected,
} from '../../support/engine-fixtures.ts';

const MAX = Number.MAX_SAFE_INTEGER;

/** Rejections of a place on an empty book: the only event, seq 1. */
function rejectedFirst(command: PlaceCommand, reason: RejectReason): Expected[] {
  // A malformed id comes back as '' or 0: the event keeps its types.
  const orderId = typeof command.orderId === 'string' ? command.orderId : '';
  const userId = typeof command.userId === 'number' ? command.userId : 0;
  return [{ seq: 1, type: 'rejected', command: 'place', orderId, userId, reason }];
}

/** Casts a malformed field past the type checker, as an untyped caller would send it. */
function malformed(command: PlaceCommand, field: keyof PlaceCommand, value: unknown): PlaceCommand {
  return { ...command, [field]: value } as PlaceCommand;
}

const good = buy('b1', 7, 300_000, 5);

const invalidOrders: Array<[string, PlaceCommand]> = [
  ['userId 0', malformed(good, 'userId', 0)],
  ['negative userId', malformed(good, 'userId', -3)],
  ['fractional userId', malformed(good, 'userId', 1.5)],
  ['userId past MAX_SAFE_INTEGER', malformed(good, 'userId', 2 ** 53)],
  ['userId as a string', malformed(good, 'userId', '7')],
  ['empty orderId', malformed(good, 'orderId', '')],
  ['orderId not a string', malformed(good, 'orderId', 42)],
  ['unknown side', malformed(good, 'side', 'hold')],
  ['unknown orderType', malformed(good, 'orderType', 'stop')],
  ['unknown timeInForce', malformed(good, 'timeInForce', 'GTD')],
  ['unknown selfTradePrevention', malformed(good, 'selfTradePrevention', 'cancel_newest')],
  ['postOnly not a boolean', malformed(good, 'postOnly', 1)],
  ['negative quoteLimit', marketBuy('m1', 7, 5, { quoteLimit: -1 })],
  ['fractional quoteLimit', marketBuy('m1', 7, 5, { quoteLimit: 0.5 })],
  ['quoteLimit past MAX_SAFE_INTEGER', marketBuy('m1', 7, 5, { quoteLimit: 2 ** 53 })],
  ['market order with a price', marketBuy('m1', 7, 5, { price: 300_000 })],
  ['market order with a NaN price', marketBuy('m1', 7, 5, { price: NaN })],
  ['market order GTC', marketSell('m1', 7, 5, { timeInForce: 'GTC' })],
  ['post-only market order', marketBuy('m1', 7, 5, { postOnly: true })],
  ['post-only IOC', buy('b1', 7, 300_000, 5, { postOnly: true, timeInForce: 'IOC' })],
  ['post-only FOK', sell('s1', 7, 300_000, 5, { postOnly: true, timeInForce: 'FOK' })],
  ['quoteLimit on a market sell', marketSell('m1', 7, 5, { quoteLimit: 1000 })],
  ['quoteLimit on a limit buy', buy('b1', 7, 300_000, 5, { quoteLimit: 1_500_000 })],
  ['quoteLimit on a limit sell', sell('s1', 7, 300_000, 5, { quoteLimit: 1_500_000 })],
  ['market buy by quote amount FOK', marketBuyQuote('m1', 7, 1_000_000, { timeInForce: 'FOK' })],
  ['market buy FOK with quantity 0 and no quoteLimit', marketBuy('m1', 7, 0, { timeInForce: 'FOK' })],
];

const invalidPrices: Array<[string, PlaceCommand]> = [
  ['price 0', buy('b1', 7, 0, 5)],
  ['negative price', sell('s1', 7, -300_000, 5)],
  ['fractional price', buy('b1', 7, 300_000.5, 5)],
  ['NaN price', buy('b1', 7, NaN, 5)],
  ['price past MAX_SAFE_INTEGER', buy('b1', 7, 2 ** 53, 1)],
  ['price as a string', malformed(good, 'price', '300000')],
];

const invalidQuantities: Array<[string, PlaceCommand]> = [
  ['limit quantity 0', buy('b1', 7, 300_000, 0)],
  ['negative quantity', sell('s1', 7, 300_000, -5)],
  ['fractional quantity', buy('b1', 7, 300_000, 2.5)],
  ['quantity past MAX_SAFE_INTEGER', marketSell('m1', 7, 2 ** 53)],
  ['quantity as a string', malformed(good, 'quantity', '5')],
  ['market sell quantity 0', marketSell('m1', 7, 0)],
  ['market buy quantity 0 without a quoteLimit', marketBuy('m1', 7, 0)],
];

forEachBook('place: validation', (newHarness) => {
  for (const [title, command] of invalidOrders) {
    it(`INVALID_ORDER: ${title}`, () => {
      const h = newHarness();
      expect(h.apply(command)).to.deep.equal(rejectedFirst(command, 'INVALID_ORDER'));
      expect(h.book.size).to.equal(0);
    });
  }

  for (const [title, command] of invalidPrices) {
    it(`INVALID_PRICE: ${title}`, () => {
      expect(newHarness().apply(command)).to.deep.equal(rejectedFirst(command, 'INVALID_PRICE'));
    });
  }

  for (const [title, command] of invalidQuantities) {
    it(`INVALID_QUANTITY: ${title}`, () => {
      expect(newHarness().apply(command)).to.deep.equal(rejectedFirst(command, 'INVALID_QUANTITY'));
    });
  }

  describe('NOTIONAL_TOO_LARGE', () => {
    it('quantity × baseUnitsPerLot past MAX_SAFE_INTEGER, at the boundary', () => {
      const h = newHarness(); // 1000 base units per lot
      const tooMany = marketSell('m1', 7, Math.floor(MAX / 1000) + 1);
      expect(h.apply(tooMany)).to.deep.equal(rejectedFirst(tooMany, 'NOTIONAL_TOO_LARGE'));
      expect(h.apply(marketSell('m2', 7, Math.floor(MAX / 1000)))).to.deep.equal([
        {
          seq: 2,
          type: 'accepted',
          orderId: 'm2',
          userId: 7,
          side: 'sell',
          orderType: 'market',
          price: 0,
          quantity: 9_007_199_254_740,
          quoteLimit: 0,
          timeInForce: 'IOC',
        },
        {
          seq: 3,
          type: 'expired',
          orderId: 'm2',
          userId: 7,
          remainingQuantity: 9_007_199_254_740,
          reason: 'NO_LIQUIDITY',
        },
        {
          seq: 4,
          type: 'done',
          orderId: 'm2',
          userId: 7,
          side: 'sell',
          status: 'expired',
          filledQuantity: 0,
          filledQuote: 0,
        },
      ]);
    });

    it('price × quantity × quoteUnitsPerTickLot past MAX_SAFE_INTEGER, at the boundary', () => {
      const h = newHarness();
      // 20 394 401 × 441 650 591 = 2^53 − 1 exactly.
      const tooLarge = buy('b1', 7, 20_394_402, 441_650_591);
      expect(h.apply(tooLarge)).to.deep.equal(rejectedFirst(tooLarge, 'NOTIONAL_TOO_LARGE'));
      const events = h.apply(sell('s1', 7, 20_394_401, 441_650_591));
      expect(events.map((e) => e.type)).to.deep.equal(['accepted', 'rested']);
      expect(h.book.getOrder('s1')?.remainingQuantity).to.equal(441_650_591);
    });

    it('counts quoteUnitsPerTickLot (25 here)', () => {
      const h = newHarness(XYZ_EUR);
      const tooLarge = sell('s1', 7, Math.floor(MAX / 25) + 1, 1);
      expect(h.apply(tooLarge)).to.deep.equal(rejectedFirst(tooLarge, 'NOTIONAL_TOO_LARGE'));
      expect(h.apply(sell('s2', 7, Math.floor(MAX / 25), 1)).map((e) => e.type)).to.deep.equal([
        'accepted',
        'rested',
      ]);
    });

    it('a market order has no price to check, only its base amount', () => {
      const h = newHarness();
      expect(h.apply(marketBuy('m1', 7, Math.floor(MAX / 1000))).map((e) => e.type)).to.deep.equal([
        'accepted',
        'expired',
        'done',
      ]);
    });
  });

  describe('DUPLICATE_ORDER_ID', () => {
    it('refuses an id that rests in the book, whoever asks', () => {
      const h = newHarness();
      h.run(buy('b1', 7, 300_000, 5));
      const same = sell('b1', 8, 310_000, 1);
      expect(h.apply(same)).to.deep.equal([
        {
          seq: 3,
          type: 'rejected',
          command: 'place',
          orderId: 'b1',
          userId: 8,
          reason: 'DUPLICATE_ORDER_ID',
        },
      ]);
      expect(h.book.getOrder('b1')?.userId).to.equal(7);
    });

    it('takes the id again once the order is done', () => {
      const h = newHarness();
      h.run(buy('b1', 7, 300_000, 5), cancel('b1', 7));
      expect(h.apply(buy('b1', 7, 300_000, 2)).map((e) => e.type)).to.deep.equal(['accepted', 'rested']);
    });
  });

  describe('POST_ONLY_WOULD_TAKE', () => {
    const cases: Array<[string, PlaceCommand, boolean]> = [
      ['a buy at the best ask', buy('p', 9, 300_010, 1, { postOnly: true }), false],
      ['a buy above the best ask', buy('p', 9, 300_500, 1, { postOnly: true }), false],
      ['a buy below the best ask', buy('p', 9, 300_009, 1, { postOnly: true }), true],
      ['a sell at the best bid', sell('p', 9, 300_000, 1, { postOnly: true }), false],
      ['a sell below the best bid', sell('p', 9, 299_000, 1, { postOnly: true }), false],
      ['a sell above the best bid', sell('p', 9, 300_001, 1, { postOnly: true }), true],
      ["a buy at the best ask that is the user's own", buy('p', 2, 300_010, 1, { postOnly: true }), false],
    ];
    for (const [title, command, rests] of cases) {
      it(`${rests ? 'rests' : 'refuses'} ${title}`, () => {
        const h = newHarness();
        h.run(buy('b0', 1, 300_000, 4), sell('s0', 2, 300_010, 4));
        const before = h.book.stateHash();
        const events = h.apply(command);
        if (rests) {
          expect(events.map((e) => e.type)).to.deep.equal(['accepted', 'rested']);
        } else {
          expect(events).to.deep.equal([
            {
              seq: 5,
              type: 'rejected',
              command: 'place',
              orderId: 'p',
              userId: command.userId,
              reason: 'POST_ONLY_WOULD_TAKE',
            },
          ]);
          expect(h.book.snapshot().bids.length + h.book.snapshot().asks.length).to.equal(2);
          expect(h.book.stateHash()).to.not.equal(before); // the sequence moved on...
          expect(h.book.depth(10)).to.deep.equal({ sequence: 5, bids: [[300_000, 4]], asks: [[300_010, 4]] });
        }
      });
    }

    it('rests a post-only order when the other side is empty', () => {
      const h = newHarness();
      expect(h.apply(sell('p', 9, 1, 1, { postOnly: true }))).to.deep.equal([
        {
          seq: 1,
          type: 'accepted',
          orderId: 'p',
          userId: 9,
          side: 'sell',
          orderType: 'limit',
          price: 1,
          quantity: 1,
          quoteLimit: 0,
          timeInForce: 'GTC',
        },
        {
          seq: 2,
          type: 'rested',
          orderId: 'p',
          userId: 9,
          side: 'sell',
          price: 1,
          remainingQuantity: 1,
          filledQuantity: 0,
        },
      ]);
    });
  });

  describe('order of the checks', () => {
    it('1 before 2: a bad user with a bad price is INVALID_ORDER', () => {
      const command = malformed(buy('b1', 7, 0, 5), 'userId', 0);
      expect(newHarness().apply(command)).to.deep.equal(rejectedFirst(command, 'INVALID_ORDER'));
    });

    it('1 before 3: a market buy by quote amount FOK is INVALID_ORDER, not a quantity problem', () => {
      const command = marketBuyQuote('m1', 7, 1000, { timeInForce: 'FOK' });
      expect(newHarness().apply(command)).to.deep.equal(rejectedFirst(command, 'INVALID_ORDER'));
    });

    it('2 before 3: a bad price with a bad quantity is INVALID_PRICE', () => {
      const command = buy('b1', 7, -1, -1);
      expect(newHarness().apply(command)).to.deep.equal(rejectedFirst(command, 'INVALID_PRICE'));
    });

    it('3 before 4: an unsafe quantity is INVALID_QUANTITY, not NOTIONAL_TOO_LARGE', () => {
      const command = buy('b1', 7, 300_000, 2 ** 53);
      expect(newHarness().apply(command)).to.deep.equal(rejectedFirst(command, 'INVALID_QUANTITY'));
    });

    it('4 before 5: a duplicate id with a huge notional is NOTIONAL_TOO_LARGE', () => {
      const h = newHarness();
      h.run(buy('b1', 7, 300_000, 5));
      expect(h.apply(buy('b1', 7, 2 ** 40, 2 ** 20))).to.deep.equal([
        {
          seq: 3,
          type: 'rejected',
          command: 'place',
          orderId: 'b1',
          userId: 7,
          reason: 'NOTIONAL_TOO_LARGE',
        },
      ]);
    });

    it('5 before 6: a duplicate id that would also take is DUPLICATE_ORDER_ID', () => {
      const h = newHarness();
      h.run(sell('s1', 7, 300_000, 5));
      expect(h.apply(buy('s1', 8, 300_000, 1, { postOnly: true }))).to.deep.equal([
        {
          seq: 3,
          type: 'rejected',
          command: 'place',
          orderId: 's1',
          userId: 8,
          reason: 'DUPLICATE_ORDER_ID',
        },
      ]);
    });

    it('a rejection takes one seq and changes nothing else', () => {
      const h = newHarness();
      h.run(buy('b1', 7, 300_000, 5));
      const before = h.book.snapshot();
      h.run(buy('b2', 7, 0, 5));
      const after = h.book.snapshot();
      expect(after).to.deep.equal({ ...before, sequence: 3, lastTimestamp: before.lastTimestamp + 1 });
    });
  });
});
