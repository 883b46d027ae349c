/**
 * The reference order book: docs/engine.md written out as plainly as possible, for the tests to compare
 * the fast book against. Resting orders live in one unsorted array; every question ("best ask?",
 * "orders of user 7?") is a filter and a sort. Slow on purpose: each rule should be checkable by reading
 * it next to the spec.
 */
import {
  applyPpmFloor,
  floorDiv,
  isSafeNonNegativeInteger,
  isSafePositiveInteger,
  isSafeProduct,
  isSafeProduct3,
  MAX_SAFE,
} from '../../src/engine/integer-math.ts';
import { hashSnapshot } from '../../src/engine/snapshot.ts';
import type {
  AmendCommand,
  BookSnapshot,
  CancelAllCommand,
  CancelCommand,
  Command,
  CommandType,
  Depth,
  EngineEvent,
  MarketRules,
  MatchingBook,
  OrderView,
  PlaceCommand,
  RejectReason,
  SelfTradePrevention,
  SetFeesCommand,
  Side,
} from '../../src/engine/types.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type RestingOrder = Mutable<OrderView>;
/** An event before the book stamps it with `seq` and `timestamp`. */
type Unstamped = EngineEvent extends infer E
  ? E extends EngineEvent
    ? Omit<E, 'seq' | 'timestamp'>
    : never
  : never;

/** The incoming side of matching: a new order, or a resting order moved by an amend. */
interface Taker {
  readonly orderId: string;
  readonly userId: number;
  readonly side: Side;
  /** The limit price, or undefined for a market order. */
  readonly limitPrice: number | undefined;
  /** Total quantity; 0 for a market buy by quote amount. */
  readonly quantity: number;
  readonly quoteLimit: number;
  readonly selfTradePrevention: SelfTradePrevention;
  filledQuantity: number;
  filledQuote: number;
}

/** Why matching stopped before the taker ran out of quantity or the book ran out of prices. */
type Stop = 'none' | 'selfTrade' | 'notional' | 'funds';

const SIDES: readonly unknown[] = ['buy', 'sell'];
const ORDER_TYPES: readonly unknown[] = ['limit', 'market'];
const TIME_IN_FORCES: readonly unknown[] = ['GTC', 'IOC', 'FOK'];
const STP_MODES: readonly unknown[] = ['expire_taker', 'expire_maker', 'expire_both', 'none'];
const PPM = 1_000_000;

export class ReferenceBook implements MatchingBook {
  rules: MarketRules;
  sequence = 0;
  private lastTimestamp = 0;
  /** Every resting order, in no particular order. */
  private orders: RestingOrder[] = [];
  /** Where `emit` writes; set for the duration of one `apply`. */
  private out: EngineEvent[] = [];
  private now = 0;

  constructor(rules: MarketRules) {
    this.rules = { ...rules };
  }

  static restore(snapshot: BookSnapshot): ReferenceBook {
    const book = new ReferenceBook(snapshot.rules);
    book.sequence = snapshot.sequence;
    book.lastTimestamp = snapshot.lastTimestamp;
    book.orders = [...snapshot.bids, ...snapshot.asks].map((order) => ({ ...order }));
    return book;
  }

  get size(): number {
    return this.orders.length;
  }

  apply(command: Command, out: EngineEvent[]): void {
    this.out = out;
    this.now = command.timestamp;
    this.lastTimestamp = command.timestamp;
    switch (command.type) {
      case 'place':
        return this.place(command);
      case 'cancel':
        return this.cancel(command);
      case 'cancelAll':
        return this.cancelAll(command);
      case 'amend':
        return this.amend(command);
      case 'setFees':
        return this.setFees(command);
      default: {
        // Outside the contract (an untyped caller); the book never throws on bad input.
        const unknown = command as { type: CommandType; userId?: number };
        return this.reject(unknown.type, '', unknown.userId ?? 0, 'INVALID_ORDER');
      }
    }
  }

  getOrder(orderId: string): OrderView | undefined {
    const order = this.orders.find((o) => o.orderId === orderId);
    return order === undefined ? undefined : { ...order };
  }

  depth(limit: number): Depth {
    return {
      sequence: this.sequence,
      bids: aggregate(this.sideInPriority('buy')).slice(0, Math.max(0, limit)),
      asks: aggregate(this.sideInPriority('sell')).slice(0, Math.max(0, limit)),
    };
  }

  snapshot(): BookSnapshot {
    return {
      version: 1,
      rules: { ...this.rules },
      sequence: this.sequence,
      lastTimestamp: this.lastTimestamp,
      bids: this.sideInPriority('buy').map((o) => ({ ...o })),
      asks: this.sideInPriority('sell').map((o) => ({ ...o })),
    };
  }

  stateHash(): string {
    return hashSnapshot(this.snapshot());
  }

  // ---- place ----

  private place(cmd: PlaceCommand): void {
    const reason = this.placeRejectReason(cmd);
    if (reason !== undefined) return this.reject('place', cmd.orderId, cmd.userId, reason);

    this.emit({
      type: 'accepted',
      orderId: cmd.orderId,
      userId: cmd.userId,
      side: cmd.side,
      orderType: cmd.orderType,
      price: cmd.price,
      quantity: cmd.quantity,
      quoteLimit: cmd.quoteLimit,
      timeInForce: cmd.timeInForce,
    });
    const newTaker = (): Taker => ({
      orderId: cmd.orderId,
      userId: cmd.userId,
      side: cmd.side,
      limitPrice: cmd.orderType === 'limit' ? cmd.price : undefined,
      quantity: cmd.quantity,
      quoteLimit: cmd.quoteLimit,
      selfTradePrevention: cmd.selfTradePrevention,
      filledQuantity: 0,
      filledQuote: 0,
    });

    if (cmd.timeInForce === 'FOK' && !this.wouldFillCompletely(newTaker())) {
      this.emit({
        type: 'expired',
        orderId: cmd.orderId,
        userId: cmd.userId,
        remainingQuantity: cmd.quantity,
        reason: 'FOK_NOT_FILLABLE',
      });
      this.emitDone(cmd.orderId, cmd.userId, cmd.side, 'expired', 0, 0);
      return;
    }

    const taker = newTaker();
    const stop = this.match(taker);
    this.finish(taker, stop, cmd.orderType === 'market' || cmd.timeInForce === 'IOC', (entrySeq) => ({
      orderId: cmd.orderId,
      userId: cmd.userId,
      side: cmd.side,
      price: cmd.price,
      quantity: cmd.quantity,
      remainingQuantity: cmd.quantity - taker.filledQuantity,
      filledQuantity: taker.filledQuantity,
      filledQuote: taker.filledQuote,
      quoteLimit: cmd.quoteLimit,
      timeInForce: cmd.timeInForce,
      postOnly: cmd.postOnly,
      selfTradePrevention: cmd.selfTradePrevention,
      timestamp: cmd.timestamp,
      entrySeq,
    }));
  }

  /** The place checks of docs/engine.md, in their order. */
  private placeRejectReason(cmd: PlaceCommand): RejectReason | undefined {
    const isMarket = cmd.orderType === 'market';
    // 1. INVALID_ORDER
    if (
      !isSafePositiveInteger(cmd.userId) ||
      typeof cmd.orderId !== 'string' ||
      cmd.orderId.length === 0 ||
      !SIDES.includes(cmd.side) ||
      !ORDER_TYPES.includes(cmd.orderType) ||
      !TIME_IN_FORCES.includes(cmd.timeInForce) ||
      !STP_MODES.includes(cmd.selfTradePrevention) ||
      typeof cmd.postOnly !== 'boolean' ||
      !isSafeNonNegativeInteger(cmd.quoteLimit) ||
      (isMarket && (cmd.price !== 0 || cmd.timeInForce === 'GTC')) ||
      (cmd.postOnly && (isMarket || cmd.timeInForce !== 'GTC')) ||
      (cmd.quoteLimit > 0 && (cmd.side === 'sell' || !isMarket)) ||
      (isMarket && cmd.side === 'buy' && cmd.quantity === 0 && cmd.timeInForce === 'FOK')
    ) {
      return 'INVALID_ORDER';
    }
    // 2. INVALID_PRICE
    if (!isMarket && !isSafePositiveInteger(cmd.price)) return 'INVALID_PRICE';
    // 3. INVALID_QUANTITY
    const isMarketBuyByQuote = isMarket && cmd.side === 'buy' && cmd.quoteLimit > 0;
    if (!isSafeNonNegativeInteger(cmd.quantity) || (cmd.quantity === 0 && !isMarketBuyByQuote)) {
      return 'INVALID_QUANTITY';
    }
    // 4. NOTIONAL_TOO_LARGE
    if (!this.notionalFits(isMarket ? undefined : cmd.price, cmd.quantity)) return 'NOTIONAL_TOO_LARGE';
    // 5. DUPLICATE_ORDER_ID
    if (this.orders.some((o) => o.orderId === cmd.orderId)) return 'DUPLICATE_ORDER_ID';
    // 6. POST_ONLY_WOULD_TAKE
    if (cmd.postOnly && this.wouldTake(cmd.side, cmd.price)) return 'POST_ONLY_WOULD_TAKE';
    return undefined;
  }

  /** Check 4 of place: `quantity × baseUnitsPerLot` and, with a price, `price × quantity × quoteUnitsPerTickLot`. */
  private notionalFits(price: number | undefined, quantity: number): boolean {
    if (!isSafeProduct(quantity, this.rules.baseUnitsPerLot)) return false;
    return price === undefined || isSafeProduct3(price, quantity, this.rules.quoteUnitsPerTickLot);
  }

  /** A buy at or above the best ask, or a sell at or below the best bid. */
  private wouldTake(side: Side, price: number): boolean {
    const best = this.sideInPriority(opposite(side))[0];
    if (best === undefined) return false;
    return side === 'buy' ? price >= best.price : price <= best.price;
  }

  /** The FOK dry run: the same matching, on a throw-away copy of the book. */
  private wouldFillCompletely(taker: Taker): boolean {
    const copy = ReferenceBook.restore(this.snapshot());
    copy.out = [];
    copy.now = this.now;
    copy.match(taker);
    return taker.filledQuantity === taker.quantity;
  }

  // ---- matching ----

  private match(taker: Taker): Stop {
    const unit = this.rules.quoteUnitsPerTickLot;
    for (;;) {
      if (taker.quantity > 0 && taker.filledQuantity === taker.quantity) return 'none';
      // A market buy by quote amount goes on while it has budget left.
      if (taker.quantity === 0 && taker.filledQuote === taker.quoteLimit) return 'funds';

      const maker = this.sideInPriority(opposite(taker.side))[0];
      if (maker === undefined) return 'none';
      if (taker.limitPrice !== undefined) {
        const acceptable =
          taker.side === 'buy' ? maker.price <= taker.limitPrice : maker.price >= taker.limitPrice;
        if (!acceptable) return 'none';
      }

      if (maker.userId === taker.userId && taker.selfTradePrevention !== 'none') {
        if (taker.selfTradePrevention === 'expire_taker') return 'selfTrade';
        this.remove(maker);
        this.emit({
          type: 'expired',
          orderId: maker.orderId,
          userId: maker.userId,
          remainingQuantity: maker.remainingQuantity,
          reason: 'SELF_TRADE_PREVENTION',
        });
        this.emitDone(
          maker.orderId,
          maker.userId,
          maker.side,
          'expired',
          maker.filledQuantity,
          maker.filledQuote,
        );
        if (taker.selfTradePrevention === 'expire_both') return 'selfTrade';
        continue;
      }

      let lots =
        taker.quantity > 0
          ? Math.min(taker.quantity - taker.filledQuantity, maker.remainingQuantity)
          : maker.remainingQuantity;
      if (taker.quoteLimit > 0) {
        const affordable = floorDiv(taker.quoteLimit - taker.filledQuote, maker.price * unit);
        if (affordable === 0) return 'funds';
        lots = Math.min(lots, affordable);
      }
      const quoteQuantity = lots * maker.price * unit;
      if (quoteQuantity > MAX_SAFE - taker.filledQuote) return 'notional';
      if (quoteQuantity > MAX_SAFE - maker.filledQuote) {
        this.remove(maker);
        this.emit({
          type: 'expired',
          orderId: maker.orderId,
          userId: maker.userId,
          remainingQuantity: maker.remainingQuantity,
          reason: 'NOTIONAL_LIMIT',
        });
        this.emitDone(
          maker.orderId,
          maker.userId,
          maker.side,
          'expired',
          maker.filledQuantity,
          maker.filledQuote,
        );
        continue;
      }

      this.trade(taker, maker, lots, quoteQuantity);
    }
  }

  private trade(taker: Taker, maker: RestingOrder, lots: number, quoteQuantity: number): void {
    const baseUnits = lots * this.rules.baseUnitsPerLot;
    const makerReceives = maker.side === 'buy' ? baseUnits : quoteQuantity;
    const takerReceives = taker.side === 'buy' ? baseUnits : quoteQuantity;
    taker.filledQuantity += lots;
    taker.filledQuote += quoteQuantity;
    maker.filledQuantity += lots;
    maker.remainingQuantity -= lots;
    maker.filledQuote += quoteQuantity;
    this.emit({
      type: 'trade',
      price: maker.price,
      quantity: lots,
      quoteQuantity,
      takerSide: taker.side,
      makerOrderId: maker.orderId,
      makerUserId: maker.userId,
      takerOrderId: taker.orderId,
      takerUserId: taker.userId,
      makerFee: applyPpmFloor(makerReceives, this.rules.makerFeePpm),
      takerFee: applyPpmFloor(takerReceives, this.rules.takerFeePpm),
    });
    if (maker.remainingQuantity === 0) {
      this.remove(maker);
      this.emitDone(
        maker.orderId,
        maker.userId,
        maker.side,
        'filled',
        maker.filledQuantity,
        maker.filledQuote,
      );
    }
  }

  /** "After matching, the first that applies". `resting` builds the order that rests, given its entrySeq. */
  private finish(
    taker: Taker,
    stop: Stop,
    marketOrIoc: boolean,
    resting: (entrySeq: number) => RestingOrder,
  ): void {
    const { orderId, userId, side, filledQuantity, filledQuote } = taker;
    const remainingQuantity = taker.quantity === 0 ? 0 : taker.quantity - filledQuantity; // by quote: 0
    const expire = (
      reason: 'SELF_TRADE_PREVENTION' | 'NOTIONAL_LIMIT' | 'FUNDS_EXHAUSTED' | 'NO_LIQUIDITY',
    ) => {
      this.emit({ type: 'expired', orderId, userId, remainingQuantity, reason });
      this.emitDone(orderId, userId, side, 'expired', filledQuantity, filledQuote);
    };
    if (taker.quantity > 0 && remainingQuantity === 0) {
      this.emitDone(orderId, userId, side, 'filled', filledQuantity, filledQuote);
    } else if (stop === 'selfTrade') {
      expire('SELF_TRADE_PREVENTION');
    } else if (stop === 'notional') {
      expire('NOTIONAL_LIMIT');
    } else if (stop === 'funds') {
      if (taker.quantity === 0 && filledQuantity > 0) {
        this.emitDone(orderId, userId, side, 'filled', filledQuantity, filledQuote);
      } else {
        expire('FUNDS_EXHAUSTED');
      }
    } else if (marketOrIoc) {
      expire('NO_LIQUIDITY');
    } else {
      const order = resting(this.sequence + 1);
      this.emit({
        type: 'rested',
        orderId,
        userId,
        side,
        price: order.price,
        remainingQuantity,
        filledQuantity,
      });
      this.orders.push(order);
    }
  }

  // ---- cancel, cancelAll ----

  private cancel(cmd: CancelCommand): void {
    const order = this.orders.find((o) => o.orderId === cmd.orderId && o.userId === cmd.userId);
    if (order === undefined) return this.reject('cancel', cmd.orderId, cmd.userId, 'ORDER_NOT_FOUND');
    this.cancelOrder(order, 'USER');
  }

  private cancelAll(cmd: CancelAllCommand): void {
    if (!isSafePositiveInteger(cmd.userId)) return this.reject('cancelAll', '', cmd.userId, 'INVALID_ORDER');
    const mine = this.orders.filter((o) => o.userId === cmd.userId).sort((a, b) => a.entrySeq - b.entrySeq);
    for (const order of mine) this.cancelOrder(order, 'CANCEL_ALL');
  }

  private cancelOrder(order: RestingOrder, reason: 'USER' | 'CANCEL_ALL'): void {
    this.remove(order);
    this.emit({
      type: 'canceled',
      orderId: order.orderId,
      userId: order.userId,
      remainingQuantity: order.remainingQuantity,
      reason,
    });
    this.emitDone(
      order.orderId,
      order.userId,
      order.side,
      'canceled',
      order.filledQuantity,
      order.filledQuote,
    );
  }

  // ---- amend ----

  private amend(cmd: AmendCommand): void {
    const reject = (reason: RejectReason) => this.reject('amend', cmd.orderId, cmd.userId, reason);
    const order = this.orders.find((o) => o.orderId === cmd.orderId && o.userId === cmd.userId);
    if (order === undefined) return reject('ORDER_NOT_FOUND');
    if (!isSafeNonNegativeInteger(cmd.price)) return reject('INVALID_PRICE');
    if (!isSafeNonNegativeInteger(cmd.quantity)) return reject('INVALID_QUANTITY');
    if (cmd.price === 0 && cmd.quantity === 0) return reject('INVALID_ORDER');
    const price = cmd.price === 0 ? order.price : cmd.price;
    const quantity = cmd.quantity === 0 ? order.quantity : cmd.quantity;
    if (quantity <= order.filledQuantity) return reject('INVALID_QUANTITY');
    if (!this.notionalFits(price, quantity)) return reject('NOTIONAL_TOO_LARGE');

    const remainingQuantity = quantity - order.filledQuantity;
    const amended = (priorityKept: boolean) =>
      this.emit({
        type: 'amended',
        orderId: order.orderId,
        userId: order.userId,
        side: order.side,
        price,
        quantity,
        remainingQuantity,
        priorityKept,
      });

    if (price === order.price && quantity <= order.quantity) {
      order.quantity = quantity;
      order.remainingQuantity = remainingQuantity;
      amended(true);
      return;
    }
    if (order.postOnly && this.wouldTake(order.side, price)) return reject('POST_ONLY_WOULD_TAKE');

    this.remove(order);
    amended(false);
    const taker: Taker = {
      orderId: order.orderId,
      userId: order.userId,
      side: order.side,
      limitPrice: price,
      quantity,
      quoteLimit: 0,
      selfTradePrevention: order.selfTradePrevention,
      filledQuantity: order.filledQuantity,
      filledQuote: order.filledQuote,
    };
    const stop = this.match(taker);
    this.finish(taker, stop, false, (entrySeq) => ({
      ...order,
      price,
      quantity,
      remainingQuantity: quantity - taker.filledQuantity,
      filledQuantity: taker.filledQuantity,
      filledQuote: taker.filledQuote,
      entrySeq,
    }));
  }

  // ---- setFees ----

  private setFees(cmd: SetFeesCommand): void {
    const valid = (rate: unknown) =>
      Number.isSafeInteger(rate) && (rate as number) >= 0 && (rate as number) <= PPM;
    if (!valid(cmd.makerFeePpm) || !valid(cmd.takerFeePpm))
      return this.reject('setFees', '', 0, 'INVALID_FEES');
    this.rules = { ...this.rules, makerFeePpm: cmd.makerFeePpm, takerFeePpm: cmd.takerFeePpm };
    this.emit({ type: 'feesChanged', makerFeePpm: cmd.makerFeePpm, takerFeePpm: cmd.takerFeePpm });
  }

  // ---- helpers ----

  /** The resting orders of one side, best price first, then oldest (smallest entrySeq) first. */
  private sideInPriority(side: Side): RestingOrder[] {
    return this.orders
      .filter((o) => o.side === side)
      .sort((a, b) => (side === 'buy' ? b.price - a.price : a.price - b.price) || a.entrySeq - b.entrySeq);
  }

  private remove(order: RestingOrder): void {
    this.orders = this.orders.filter((o) => o !== order);
  }

  private emit(event: Unstamped): void {
    this.sequence += 1;
    this.out.push({ seq: this.sequence, timestamp: this.now, ...event } as EngineEvent);
  }

  private emitDone(
    orderId: string,
    userId: number,
    side: Side,
    status: 'filled' | 'canceled' | 'expired',
    filledQuantity: number,
    filledQuote: number,
  ): void {
    this.emit({ type: 'done', orderId, userId, side, status, filledQuantity, filledQuote });
  }

  /** A malformed id is reported as '' or 0, so that the event keeps its types. */
  private reject(command: CommandType, orderId: unknown, userId: unknown, reason: RejectReason): void {
    this.emit({
      type: 'rejected',
      command,
      orderId: typeof orderId === 'string' ? orderId : '',
      userId: typeof userId === 'number' ? userId : 0,
      reason,
    });
  }
}

function opposite(side: Side): Side {
  return side === 'buy' ? 'sell' : 'buy';
}

/** [price, total remaining] per price, in the order the orders come (best first). */
function aggregate(orders: readonly OrderView[]): Array<[number, number]> {
  const levels: Array<[number, number]> = [];
  for (const order of orders) {
    const last = levels[levels.length - 1];
    if (last !== undefined && last[0] === order.price) last[1] += order.remainingQuantity;
    else levels.push([order.price, order.remainingQuantity]);
  }
  return levels;
}
