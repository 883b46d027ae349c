/**
 * Random command streams through both books: identical events after every command, identical state
 * hashes, every invariant after every step; and replay with a snapshot/restore in the middle (within
 * and across implementations) changes nothing.
 *
 * Seeded, so a run is reproducible; on failure fast-check prints the seed and path to replay the
 * shrunk counterexample. FC_SEED sets the base seed (the k-th property below uses FC_SEED + k) and FC_RUNS
 * the number of runs of the main property (the others scale with it), for a longer soak:
 *   FC_SEED=7 FC_RUNS=5000 npx mocha test/unit/engine/book-properties.test.ts
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type {
  Command,
  EngineEvent,
  MarketRules,
  MatchingBook,
  PlaceCommand,
} from '../../../src/engine/types.ts';
import { assertBookInvariants, assertEventInvariants } from '../../support/book-invariants.ts';
import { BOOKS, type BookFactory } from '../../support/engine-fixtures.ts';
import { ReferenceBook } from '../../support/reference-book.ts';

const SEED = process.env.FC_SEED === undefined ? 20_240_611 : Number(process.env.FC_SEED);
const RUNS = process.env.FC_RUNS === undefined ? 1 : Number(process.env.FC_RUNS) / 250;
const runs = (n: number) => Math.max(1, Math.round(n * RUNS));

const USERS = [1, 2, 3, 4];
const T0 = 1_700_000_000_000;

// ---- generators ----

const rulesArb: fc.Arbitrary<MarketRules> = fc.record({
  symbol: fc.constant('TEST-QUOTE'),
  baseUnitsPerLot: fc.constantFrom(1, 1000, 100_000_000),
  quoteUnitsPerTickLot: fc.constantFrom(1, 7, 25, 1000),
  makerFeePpm: fc.constantFrom(0, 1000, 2500, 123_457, 1_000_000),
  takerFeePpm: fc.constantFrom(0, 2000, 5000, 999_999),
});

/** Ids are per user ('u2-c'), so a command naming a user usually names one of its orders. */
const idArb = (userId: number) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f').map((s) => `u${userId}-${s}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...USERS).chain((u) => fc.constantFrom(`u${u}-a`, `u${u}-b`, 'ghost')),
    },
  );

interface Band {
  /** Limit prices of buys and of sells; the two overlap a little so that the book both rests and crosses. */
  readonly buyPrices: fc.Arbitrary<number>;
  readonly sellPrices: fc.Arbitrary<number>;
  readonly quantities: fc.Arbitrary<number>;
  /** Budgets for market buys, in units of one tick-lot. */
  readonly budgets: fc.Arbitrary<number>;
}

/** Prices around 100 ticks. */
const NARROW: Band = {
  buyPrices: fc.integer({ min: 90, max: 101 }),
  sellPrices: fc.integer({ min: 99, max: 110 }),
  quantities: fc.integer({ min: 1, max: 8 }),
  budgets: fc.integer({ min: 1, max: 1500 }),
};

/** Prices near 2^52 with 1 unit per tick-lot: notional checks and limits come into play. */
const HUGE_PRICES = fc.constantFrom(
  2 ** 50,
  2 ** 51,
  2 ** 51 + 1,
  2 ** 52 - 1,
  2 ** 52,
  2 ** 52 + 1,
  2 ** 53 - 1,
);
const HUGE: Band = {
  buyPrices: HUGE_PRICES,
  sellPrices: HUGE_PRICES,
  quantities: fc.constantFrom(1, 2, 3, 4096),
  budgets: fc.constantFrom(2 ** 51, 2 ** 52, 2 ** 53 - 1, 1),
};

function placeArb(band: Band, rules: MarketRules): fc.Arbitrary<PlaceCommand> {
  return fc
    .record({
      userId: fc.constantFrom(...USERS),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      kind: fc.constantFrom('limit', 'limit', 'limit', 'limit', 'limit', 'limit', 'market', 'byQuote'),
      buyPrice: band.buyPrices,
      sellPrice: band.sellPrices,
      quantity: band.quantities,
      budget: fc.option(band.budgets, { freq: 3 }),
      timeInForce: fc.constantFrom(
        'GTC' as const,
        'GTC' as const,
        'GTC' as const,
        'IOC' as const,
        'FOK' as const,
      ),
      postOnly: fc.boolean(),
      selfTradePrevention: fc.constantFrom(
        'expire_taker' as const,
        'expire_maker' as const,
        'expire_both' as const,
        'none' as const,
      ),
    })
    .chain((p) =>
      idArb(p.userId).map((orderId): PlaceCommand => {
        const market = p.kind !== 'limit';
        const byQuote = p.kind === 'byQuote';
        return {
          type: 'place',
          orderId,
          userId: p.userId,
          side: byQuote ? 'buy' : p.side,
          orderType: market ? 'market' : 'limit',
          price: market ? 0 : p.side === 'buy' ? p.buyPrice : p.sellPrice,
          quantity: byQuote ? 0 : p.quantity,
          quoteLimit:
            market && (byQuote || p.side === 'buy') && p.budget !== null ? budget(p.budget, rules) : 0,
          timeInForce: market ? (p.timeInForce === 'FOK' && !byQuote ? 'FOK' : 'IOC') : p.timeInForce,
          postOnly: !market && p.timeInForce === 'GTC' && p.postOnly && p.quantity % 2 === 0,
          selfTradePrevention: p.selfTradePrevention,
          timestamp: 0,
        };
      }),
    );
}

/** A budget in tick-lots (100 of them buy about one lot near 100 ticks) in quote units; huge ones as they are. */
function budget(tickLots: number, rules: MarketRules): number {
  return tickLots > 2 ** 40 ? tickLots : tickLots * rules.quoteUnitsPerTickLot;
}

/** A place with one field broken, to compare the validation of both books. */
function brokenPlaceArb(band: Band, rules: MarketRules): fc.Arbitrary<Command> {
  const edges = [0, -1, 1.5, NaN, 2 ** 53, Number.MAX_SAFE_INTEGER, 2 ** 40, 'x', true];
  return fc
    .tuple(
      placeArb(band, rules),
      fc.constantFrom(
        'userId',
        'orderId',
        'side',
        'orderType',
        'price',
        'quantity',
        'quoteLimit',
        'timeInForce',
        'postOnly',
        'selfTradePrevention',
      ),
      fc.constantFrom(...edges, '', 'GTC', 'IOC', 'FOK', 'market', 'limit'),
    )
    .map(([command, field, value]) => ({ ...command, [field]: value }) as Command);
}

function commandArb(band: Band, rules: MarketRules): fc.Arbitrary<Command> {
  const user = fc.constantFrom(...USERS);
  const amendValue = (values: fc.Arbitrary<number>) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: values },
      { weight: 1, arbitrary: fc.constantFrom(-1, 1.5) },
    );
  return fc.oneof(
    { weight: 24, arbitrary: placeArb(band, rules) },
    { weight: 2, arbitrary: brokenPlaceArb(band, rules) },
    {
      weight: 4,
      arbitrary: user.chain((userId) =>
        idArb(userId).map((orderId): Command => ({ type: 'cancel', orderId, userId, timestamp: 0 })),
      ),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(user, amendValue(fc.oneof(band.buyPrices, band.sellPrices)), amendValue(band.quantities))
        .chain(([userId, price, quantity]) =>
          idArb(userId).map((orderId): Command => ({
            type: 'amend',
            orderId,
            userId,
            price,
            quantity,
            timestamp: 0,
          })),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(0, ...USERS)
        .map((userId): Command => ({ type: 'cancelAll', userId, timestamp: 0 })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(0, 1000, 3333, 1_000_000, -1), fc.constantFrom(0, 2000, 999_999, 1_000_001))
        .map(([makerFeePpm, takerFeePpm]): Command => ({
          type: 'setFees',
          makerFeePpm,
          takerFeePpm,
          timestamp: 0,
        })),
    },
  );
}

/**
 * Rules and a stream of commands with non-decreasing timestamps (several may share a millisecond).
 * Most cancels and amends are aimed at an order that rests at that point (found by running the stream
 * through a reference book as it is built), some at the right id with the wrong user, the rest at ids
 * drawn blindly, so that all three outcomes stay frequent.
 */
function streamArb(band: Band, maxLength: number, rules: fc.Arbitrary<MarketRules> = rulesArb) {
  const stepArb = (r: MarketRules) =>
    fc.tuple(
      commandArb(band, r),
      fc.integer({ min: 0, max: 3 }),
      fc.option(fc.nat(), { freq: 4, nil: undefined }),
    );
  return rules.chain((r) =>
    fc
      .array(stepArb(r), { minLength: 1, maxLength, size: 'max' })
      .map((steps) => ({ rules: r, commands: materialize(r, steps) })),
  );
}

function materialize(
  rules: MarketRules,
  steps: ReadonlyArray<[Command, number, number | undefined]>,
): Command[] {
  const model = new ReferenceBook(rules);
  let timestamp = T0;
  return steps.map(([generated, delta, target]) => {
    let command: Command = { ...generated, timestamp: (timestamp += delta) };
    if (target !== undefined && (command.type === 'cancel' || command.type === 'amend')) {
      const snapshot = model.snapshot();
      const resting = [...snapshot.bids, ...snapshot.asks];
      const order = resting[target % Math.max(1, resting.length)];
      if (order !== undefined) {
        const userId = target % 5 === 4 ? (order.userId % USERS.length) + 1 : order.userId;
        command = { ...command, orderId: order.orderId, userId };
      }
    }
    model.apply(command, []);
    return command;
  });
}

// ---- runners ----

function applyOne(book: MatchingBook, command: Command): EngineEvent[] {
  const out: EngineEvent[] = [];
  book.apply(command, out);
  return out;
}

/** Both books side by side; every event array and every state compared after every command. */
function assertBooksAgree(rules: MarketRules, commands: readonly Command[]): void {
  const books = BOOKS.map((factory) => ({ name: factory.name, book: factory.create(rules) }));
  commands.forEach((command, i) => {
    const results = books.map(({ name, book }) => {
      const before = book.snapshot();
      const events = applyOne(book, command);
      try {
        assertEventInvariants(before, command, events, book.snapshot());
        assertBookInvariants(book);
      } catch (error) {
        throw new Error(
          `${name} book, command #${i} ${JSON.stringify(command)}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      return events;
    });
    const [reference, ...others] = results;
    others.forEach((events, k) => {
      expect(
        events,
        `${books[k + 1]!.name} vs reference, command #${i} ${JSON.stringify(command)}`,
      ).to.deep.equal(reference);
    });
    const hashes = books.map(({ book }) => book.stateHash());
    if (new Set(hashes).size !== 1) {
      expect(books[1]!.book.snapshot(), `state after command #${i}`).to.deep.equal(books[0]!.book.snapshot());
    }
  });
}

function runStream(book: MatchingBook, commands: readonly Command[]): EngineEvent[] {
  return commands.flatMap((command) => applyOne(book, command));
}

function assertReplayWithRestore(
  rules: MarketRules,
  commands: readonly Command[],
  cut: number,
  from: BookFactory,
  to: BookFactory,
): void {
  const straight = from.create(rules);
  const expected = runStream(straight, commands);

  const first = from.create(rules);
  const head = runStream(first, commands.slice(0, cut));
  const stored = JSON.parse(JSON.stringify(first.snapshot()));
  const second = to.restore(stored);
  expect(second.stateHash(), 'hash right after restore').to.equal(first.stateHash());
  const tail = runStream(second, commands.slice(cut));

  expect([...head, ...tail], `${from.name} → ${to.name}, cut at ${cut}`).to.deep.equal(expected);
  expect(second.stateHash(), 'final state hash').to.equal(straight.stateHash());
}

// ---- properties ----

describe('book properties (fast-check)', function () {
  this.timeout(120_000);

  it('both books emit the same events and reach the same states on random streams', () => {
    fc.assert(
      fc.property(streamArb(NARROW, 80), ({ rules, commands }) => assertBooksAgree(rules, commands)),
      { seed: SEED, numRuns: runs(250) },
    );
  });

  it('both books agree near MAX_SAFE_INTEGER (notional checks and limits)', () => {
    const hugeRules = fc.record({
      symbol: fc.constant('HUGE-QUOTE'),
      baseUnitsPerLot: fc.constantFrom(1, 1000),
      quoteUnitsPerTickLot: fc.constant(1),
      makerFeePpm: fc.constantFrom(0, 999_999),
      takerFeePpm: fc.constantFrom(1, 1_000_000),
    });
    fc.assert(
      fc.property(streamArb(HUGE, 40, hugeRules), ({ rules, commands }) => assertBooksAgree(rules, commands)),
      { seed: SEED + 1, numRuns: runs(100) },
    );
  });

  it('a snapshot/restore in the middle changes nothing, within and across implementations', () => {
    const arb = streamArb(NARROW, 60).chain((stream) =>
      fc.integer({ min: 0, max: stream.commands.length }).map((cut) => ({ ...stream, cut })),
    );
    fc.assert(
      fc.property(arb, ({ rules, commands, cut }) => {
        for (const from of BOOKS) {
          for (const to of BOOKS) assertReplayWithRestore(rules, commands, cut, from, to);
        }
      }),
      { seed: SEED + 2, numRuns: runs(100) },
    );
  });

  it('the same stream twice gives byte-identical events', () => {
    fc.assert(
      fc.property(streamArb(NARROW, 60), ({ rules, commands }) => {
        for (const factory of BOOKS) {
          const once = JSON.stringify(runStream(factory.create(rules), commands));
          expect(JSON.stringify(runStream(factory.create(rules), commands))).to.equal(once);
        }
      }),
      { seed: SEED + 3, numRuns: runs(30) },
    );
  });
});
