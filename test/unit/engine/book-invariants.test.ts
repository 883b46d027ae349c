/** The checkers must catch what they claim to: each broken book or event stream here has to fail. */
import { expect } from 'chai';
import type {
  BookSnapshot,
  Command,
  Depth,
  EngineEvent,
  MatchingBook,
  OrderView,
} from '../../../src/engine/types.ts';
import { assertBookInvariants, assertEventInvariants } from '../../support/book-invariants.ts';
import { BTC_USDT, buy, sell } from '../../support/engine-fixtures.ts';
import { ReferenceBook } from '../../support/reference-book.ts';

/** A healthy book after a few orders: bids 300 000 (b1, b2), 299 000 (b3); ask 301 000 (s1). */
function healthy(): ReferenceBook {
  const book = new ReferenceBook(BTC_USDT);
  const commands = [
    buy('b1', 1, 300_000, 2),
    buy('b2', 2, 300_000, 3),
    buy('b3', 3, 299_000, 1),
    sell('s1', 4, 301_000, 5),
  ];
  commands.forEach((command, i) => book.apply({ ...command, timestamp: 1000 + i }, []));
  return book;
}

/** The healthy book seen through one distorted method. */
function distorted(overrides: Partial<MatchingBook>): MatchingBook {
  const book = healthy();
  return {
    rules: book.rules,
    sequence: book.sequence,
    size: book.size,
    apply: (command, out) => book.apply(command, out),
    getOrder: (id) => book.getOrder(id),
    depth: (limit) => book.depth(limit),
    snapshot: () => book.snapshot(),
    stateHash: () => book.stateHash(),
    ...overrides,
  };
}

function withOrders(transform: (s: BookSnapshot) => Partial<BookSnapshot>): () => BookSnapshot {
  return () => {
    const s = healthy().snapshot();
    return { ...s, ...transform(s) };
  };
}

describe('assertBookInvariants', () => {
  it('passes a healthy book', () => {
    assertBookInvariants(healthy());
  });

  const broken: Array<[string, Partial<MatchingBook>, RegExp]> = [
    [
      'a crossed book',
      { snapshot: withOrders((s) => ({ asks: [{ ...s.asks[0]!, price: 300_000 }] })) },
      /crossed/,
    ],
    [
      'two orders of a level out of time order',
      { snapshot: withOrders((s) => ({ bids: [s.bids[1]!, s.bids[0]!, s.bids[2]!] })) },
      /strictly before/,
    ],
    [
      'levels out of price order',
      { snapshot: withOrders((s) => ({ bids: [s.bids[2]!, s.bids[0]!, s.bids[1]!] })) },
      /strictly before/,
    ],
    [
      'filled + remaining ≠ quantity',
      { snapshot: withOrders((s) => ({ asks: [{ ...s.asks[0]!, remainingQuantity: 4 }] })) },
      /filled \+ remaining = quantity/,
    ],
    [
      'an order with nothing left',
      {
        snapshot: withOrders((s) => ({
          asks: [{ ...s.asks[0]!, remainingQuantity: 0, filledQuantity: 5, filledQuote: 1 }],
        })),
      },
      /remainingQuantity = 0/,
    ],
    [
      'an ask among the bids',
      { snapshot: withOrders((s) => ({ bids: [s.asks[0]!, ...s.bids], asks: [] })) },
      /buy order s1/,
    ],
    ['a wrong size', { size: 3 }, /size/],
    ['a wrong sequence', { sequence: 7 }, /sequence/],
    [
      'depth that misses a level',
      {
        depth: (limit: number): Depth => {
          const d = healthy().depth(limit);
          return { ...d, bids: d.bids.slice(1) };
        },
      },
      /depth/,
    ],
    [
      'getOrder that disagrees',
      { getOrder: (id: string): OrderView | undefined => (id === 'b2' ? undefined : healthy().getOrder(id)) },
      /getOrder\(b2\)/,
    ],
  ];
  for (const [title, overrides, message] of broken) {
    it(`catches ${title}`, () => {
      expect(() => assertBookInvariants(distorted(overrides))).to.throw(message);
    });
  }
});

describe('assertEventInvariants', () => {
  /** A sell of 4 @ 299 000 into the healthy book: trades b1 (2) then b2 (2). */
  function sweep(): { before: BookSnapshot; command: Command; events: EngineEvent[]; after: BookSnapshot } {
    const book = healthy();
    const before = book.snapshot();
    const command = { ...sell('t1', 9, 299_000, 4), timestamp: 2000 };
    const events: EngineEvent[] = [];
    book.apply(command, events);
    return { before, command, events, after: book.snapshot() };
  }

  it('passes a real command', () => {
    const { before, command, events, after } = sweep();
    expect(events.map((e) => e.type)).to.deep.equal(['accepted', 'trade', 'done', 'trade', 'done']);
    assertEventInvariants(before, command, events, after);
  });

  const mutations: Array<[string, (events: EngineEvent[]) => EngineEvent[]]> = [
    ['a gap in seq', (events) => events.map((e, i) => (i === 3 ? { ...e, seq: e.seq + 1 } : e))],
    ['a wrong timestamp', (events) => events.map((e, i) => (i === 1 ? { ...e, timestamp: 1 } : e))],
    [
      'a maker fee one unit too high',
      (events) => events.map((e) => (e.type === 'trade' ? { ...e, makerFee: e.makerFee + 1 } : e)),
    ],
    [
      'a taker fee one unit too high',
      (events) => events.map((e) => (e.type === 'trade' ? { ...e, takerFee: e.takerFee + 1 } : e)),
    ],
    [
      'a wrong quote quantity',
      (events) => events.map((e) => (e.type === 'trade' ? { ...e, quoteQuantity: e.quoteQuantity + 1 } : e)),
    ],
    [
      'the makers of a level out of time order',
      (events) =>
        events.map((e) =>
          e.type === 'trade'
            ? {
                ...e,
                makerOrderId: e.makerOrderId === 'b1' ? 'b2' : 'b1',
                makerUserId: e.makerUserId === 1 ? 2 : 1,
              }
            : e,
        ),
    ],
    ['a missing done', (events) => events.slice(0, -1)],
  ];
  for (const [title, mutate] of mutations) {
    it(`catches ${title}`, () => {
      const { before, command, events, after } = sweep();
      expect(() => assertEventInvariants(before, command, mutate(events), after)).to.throw();
    });
  }

  it('catches a trade beyond the taker’s limit', () => {
    const { before, command, events, after } = sweep();
    expect(() =>
      assertEventInvariants(before, { ...command, price: 300_001 } as Command, events, after),
    ).to.throw();
  });
});
