import { expect } from 'chai';
import { hashSnapshot } from '../../../src/engine/snapshot.ts';
import type { Command, EngineEvent } from '../../../src/engine/types.ts';
import {
  amend,
  BOOKS,
  BTC_USDT,
  buy,
  cancelAll,
  FIRST_TIMESTAMP,
  forEachBook,
  Harness,
  marketBuy,
  sell,
  setFees,
} from '../../support/engine-fixtures.ts';

const PREFIX: Command[] = [
  buy('b1', 1, 300_000, 2), // seq 1, 2
  buy('b2', 2, 300_010, 1), // seq 3, 4
  buy('b3', 3, 300_000, 1, { selfTradePrevention: 'expire_maker' }), // seq 5, 6
  sell('s1', 4, 300_020, 3, { postOnly: true }), // seq 7, 8
  setFees(500, 1500), // seq 9
];

const SUFFIX: Command[] = [
  marketBuy('m1', 5, 2), // trades with s1 at the new fees
  sell('s2', 1, 300_000, 3, { selfTradePrevention: 'expire_both' }),
  amend('b3', 3, 300_030, 0),
  cancelAll(1),
  buy('b4', 2, 300_020, 5),
];

forEachBook('snapshot', (newHarness) => {
  it('of an empty book', () => {
    expect(newHarness().book.snapshot()).to.deep.equal({
      version: 1,
      rules: BTC_USDT,
      sequence: 0,
      lastTimestamp: 0,
      bids: [],
      asks: [],
    });
  });

  it('lists bids then asks, best price first, oldest first, with the current rates', () => {
    const h = newHarness();
    h.run(...PREFIX);
    const order = {
      quoteLimit: 0,
      timeInForce: 'GTC',
      postOnly: false,
      selfTradePrevention: 'expire_taker',
      filledQuantity: 0,
      filledQuote: 0,
    };
    expect(h.book.snapshot()).to.deep.equal({
      version: 1,
      rules: { ...BTC_USDT, makerFeePpm: 500, takerFeePpm: 1500 },
      sequence: 9,
      lastTimestamp: FIRST_TIMESTAMP + 4,
      bids: [
        {
          ...order,
          orderId: 'b2',
          userId: 2,
          side: 'buy',
          price: 300_010,
          quantity: 1,
          remainingQuantity: 1,
          timestamp: FIRST_TIMESTAMP + 1,
          entrySeq: 4,
        },
        {
          ...order,
          orderId: 'b1',
          userId: 1,
          side: 'buy',
          price: 300_000,
          quantity: 2,
          remainingQuantity: 2,
          timestamp: FIRST_TIMESTAMP,
          entrySeq: 2,
        },
        {
          ...order,
          orderId: 'b3',
          userId: 3,
          side: 'buy',
          price: 300_000,
          quantity: 1,
          remainingQuantity: 1,
          selfTradePrevention: 'expire_maker',
          timestamp: FIRST_TIMESTAMP + 2,
          entrySeq: 6,
        },
      ],
      asks: [
        {
          ...order,
          orderId: 's1',
          userId: 4,
          side: 'sell',
          price: 300_020,
          quantity: 3,
          remainingQuantity: 3,
          postOnly: true,
          timestamp: FIRST_TIMESTAMP + 3,
          entrySeq: 8,
        },
      ],
    });
    expect(h.book.stateHash()).to.equal(hashSnapshot(h.book.snapshot()));
    expect(h.book.stateHash()).to.match(/^[0-9a-f]{16}$/);
  });

  it('lastTimestamp is the last command’s, even a rejected one or one without events', () => {
    const h = newHarness();
    h.run(buy('b1', 1, 300_000, 2), buy('bad', 1, 0, 2));
    expect(h.book.snapshot().lastTimestamp).to.equal(FIRST_TIMESTAMP + 1);
    h.run(cancelAll(42));
    expect(h.book.snapshot()).to.include({ sequence: 3, lastTimestamp: FIRST_TIMESTAMP + 2 });
  });
});

describe('snapshot, restore and state hash across the two books', () => {
  /** Runs commands on a fresh book of `factory` with the harness clock; returns the events. */
  function runAll(h: Harness, commands: Command[]): EngineEvent[] {
    return h.run(...commands);
  }

  it('the two books reach the same state hash on the same commands', () => {
    const hashes = BOOKS.map((factory) => {
      const h = new Harness(factory, BTC_USDT);
      runAll(h, [...PREFIX, ...SUFFIX]);
      return h.book.stateHash();
    });
    expect(hashes[0]).to.equal(hashes[1]);
  });

  for (const from of BOOKS) {
    for (const to of BOOKS) {
      it(`a ${from.name} snapshot restored into the ${to.name} book answers as the original does`, () => {
        const original = new Harness(from, BTC_USDT);
        runAll(original, PREFIX);
        const snapshot = JSON.parse(JSON.stringify(original.book.snapshot()));
        const restored = to.restore(snapshot);
        expect(restored.snapshot()).to.deep.equal(original.book.snapshot());
        expect(restored.stateHash()).to.equal(original.book.stateHash());
        expect(restored.sequence).to.equal(9);
        expect(restored.rules).to.deep.equal({ ...BTC_USDT, makerFeePpm: 500, takerFeePpm: 1500 });
        expect(restored.size).to.equal(4);
        expect(restored.depth(5)).to.deep.equal(original.book.depth(5));

        let timestamp = original.nextTimestamp;
        const continued = runAll(original, SUFFIX);
        const events: EngineEvent[] = [];
        for (const command of SUFFIX) restored.apply({ ...command, timestamp: timestamp++ }, events);
        expect(events).to.deep.equal(continued);
        expect(restored.stateHash()).to.equal(original.book.stateHash());
        expect(continued.find((e) => e.type === 'trade')).to.include({
          makerOrderId: 's1',
          makerFee: 300, // floor(600 040 × 500 / 10^6)
          takerFee: 3,
        });
      });
    }
  }

  it('the hash changes with the state', () => {
    const h = new Harness(BOOKS[0]!, BTC_USDT);
    const empty = h.book.stateHash();
    h.run(buy('b1', 1, 300_000, 2));
    const one = h.book.stateHash();
    h.run(amend('b1', 1, 0, 1));
    expect(new Set([empty, one, h.book.stateHash()]).size).to.equal(3);
  });
});
