/**
 * What the engine tests share: market rules, the two books under test, terse command builders and a
 * harness that applies commands with increasing timestamps and checks every invariant after each one.
 */
import { OrderBook } from '../../src/engine/order-book.ts';
import type {
  AmendCommand,
  BookSnapshot,
  CancelAllCommand,
  CancelCommand,
  Command,
  EngineEvent,
  MarketRules,
  MatchingBook,
  PlaceCommand,
  SetFeesCommand,
} from '../../src/engine/types.ts';
import { assertBookInvariants, assertEventInvariants } from './book-invariants.ts';
import { ReferenceBook } from './reference-book.ts';

/** BTC-USDT: lot 0.00001 BTC (1000 satoshi), tick 0.1 USDT, so one tick-lot is 1 micro-USDT. */
export const BTC_USDT: MarketRules = {
  symbol: 'BTC-USDT',
  baseUnitsPerLot: 1000,
  quoteUnitsPerTickLot: 1,
  makerFeePpm: 1000,
  takerFeePpm: 2000,
};

/** A made-up market where one tick-lot is 25 quote units: every quote amount is a multiple of 25. */
export const XYZ_EUR: MarketRules = {
  symbol: 'XYZ-EUR',
  baseUnitsPerLot: 100,
  quoteUnitsPerTickLot: 25,
  makerFeePpm: 500,
  takerFeePpm: 1500,
};

export interface BookFactory {
  readonly name: string;
  create(rules: MarketRules): MatchingBook;
  restore(snapshot: BookSnapshot): MatchingBook;
}

/** One suite, two books: every scenario runs against each of these. */
export const BOOKS: readonly BookFactory[] = [
  { name: 'reference', create: (r) => new ReferenceBook(r), restore: (s) => ReferenceBook.restore(s) },
  { name: 'fast', create: (r) => new OrderBook(r), restore: (s) => OrderBook.restore(s) },
];

// ---- command builders (timestamp 0: the harness stamps them) ----

type PlaceExtras = Partial<Omit<PlaceCommand, 'type'>>;

export function buy(
  orderId: string,
  userId: number,
  price: number,
  quantity: number,
  extra: PlaceExtras = {},
) {
  return limit('buy', orderId, userId, price, quantity, extra);
}

export function sell(
  orderId: string,
  userId: number,
  price: number,
  quantity: number,
  extra: PlaceExtras = {},
) {
  return limit('sell', orderId, userId, price, quantity, extra);
}

function limit(
  side: 'buy' | 'sell',
  orderId: string,
  userId: number,
  price: number,
  quantity: number,
  extra: PlaceExtras,
): PlaceCommand {
  return {
    type: 'place',
    orderId,
    userId,
    side,
    orderType: 'limit',
    price,
    quantity,
    quoteLimit: 0,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
    timestamp: 0,
    ...extra,
  };
}

export function marketBuy(orderId: string, userId: number, quantity: number, extra: PlaceExtras = {}) {
  return limit('buy', orderId, userId, 0, quantity, { orderType: 'market', timeInForce: 'IOC', ...extra });
}

export function marketSell(orderId: string, userId: number, quantity: number, extra: PlaceExtras = {}) {
  return limit('sell', orderId, userId, 0, quantity, { orderType: 'market', timeInForce: 'IOC', ...extra });
}

/** A market buy by quote amount: spend up to `amount` quote units. */
export function marketBuyQuote(orderId: string, userId: number, amount: number, extra: PlaceExtras = {}) {
  return marketBuy(orderId, userId, 0, { quoteLimit: amount, ...extra });
}

export function cancel(orderId: string, userId: number): CancelCommand {
  return { type: 'cancel', orderId, userId, timestamp: 0 };
}

export function cancelAll(userId: number): CancelAllCommand {
  return { type: 'cancelAll', userId, timestamp: 0 };
}

export function amend(orderId: string, userId: number, price: number, quantity: number): AmendCommand {
  return { type: 'amend', orderId, userId, price, quantity, timestamp: 0 };
}

export function setFees(makerFeePpm: number, takerFeePpm: number): SetFeesCommand {
  return { type: 'setFees', makerFeePpm, takerFeePpm, timestamp: 0 };
}

// ---- the harness ----

type WithoutTimestamp<E> = E extends EngineEvent ? Omit<E, 'timestamp'> : never;
/** An expected event: exact, except that the harness checks `timestamp` itself. */
export type Expected = WithoutTimestamp<EngineEvent>;

export const FIRST_TIMESTAMP = 1_700_000_000_000;

/** A book plus a clock: the n-th command applied gets timestamp FIRST_TIMESTAMP + n. */
export class Harness {
  readonly book: MatchingBook;
  private clock = FIRST_TIMESTAMP;

  constructor(factory: BookFactory, rules: MarketRules) {
    this.book = factory.create(rules);
  }

  /** The timestamp the next command will get. */
  get nextTimestamp(): number {
    return this.clock;
  }

  /** Applies commands in order; returns all their events as emitted. */
  run(...commands: Command[]): EngineEvent[] {
    return commands.flatMap((command) => this.applyChecked(command));
  }

  /**
   * Applies one command and returns its events without their timestamps, after checking that each
   * carries the command's, that the events obey the per-command invariants and the book its own.
   */
  apply(command: Command): Expected[] {
    const timestamp = this.clock;
    return this.applyChecked(command).map(({ timestamp: stamped, ...rest }) => {
      if (stamped !== timestamp)
        throw new Error(`event ${rest.seq} has timestamp ${stamped}, expected ${timestamp}`);
      return rest as Expected;
    });
  }

  private applyChecked(command: Command): EngineEvent[] {
    const stamped = { ...command, timestamp: this.clock++ };
    const before = this.book.snapshot();
    const events: EngineEvent[] = [];
    this.book.apply(stamped, events);
    assertEventInvariants(before, stamped, events, this.book.snapshot());
    assertBookInvariants(this.book);
    return events;
  }
}

/** `describe`s a block once per book, handing it a harness factory. */
export function forEachBook(
  title: string,
  body: (newHarness: (rules?: MarketRules) => Harness) => void,
): void {
  for (const factory of BOOKS) {
    describe(`${title} [${factory.name}]`, () => body((rules = BTC_USDT) => new Harness(factory, rules)));
  }
}

/** The `accepted` event a valid place command gets: it echoes the command. */
export function acceptedEvent(seq: number, command: PlaceCommand): Expected {
  return {
    seq,
    type: 'accepted',
    orderId: command.orderId,
    userId: command.userId,
    side: command.side,
    orderType: command.orderType,
    price: command.price,
    quantity: command.quantity,
    quoteLimit: command.quoteLimit,
    timeInForce: command.timeInForce,
  };
}
