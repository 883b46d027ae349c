import { BookSide } from './book-side.ts';
import { checkAmend, checkPlace, validFeePpm } from './command-validation.ts';
import { applyPpmFloor, floorDiv, isSafePositiveInteger, MAX_SAFE } from './integer-math.ts';
import type { PriceLevel } from './price-level.ts';
import { OrderPool, type RestingOrder } from './resting-order.ts';
import { hashSnapshot } from './snapshot.ts';
import type {
  AmendCommand,
  BookSnapshot,
  CancelAllCommand,
  CancelCommand,
  Command,
  CommandType,
  Depth,
  EngineEvent,
  ExpireReason,
  MarketRules,
  MatchingBook,
  OrderView,
  PlaceCommand,
  RejectReason,
  SetFeesCommand,
} from './types.ts';
import { UserOrders } from './user-orders.ts';

/** Why matching stopped; decides how the taker ends (docs/engine.md, "After matching"). */
const enum Stop {
  /** The book has nothing more at an acceptable price. */
  NoLiquidity,
  Filled,
  SelfTrade,
  NotionalLimit,
  Funds,
}

/**
 * The fast order book of one symbol: price-time priority, integer amounts, events out.
 * See docs/engine.md for the rules and the exact order of events; the reference book in the tests
 * implements the same rules naively and the property tests compare the two event by event.
 */
export class OrderBook implements MatchingBook {
  private readonly bids = new BookSide('buy');
  private readonly asks = new BookSide('sell');
  private readonly orders = new Map<string, RestingOrder>();
  private readonly users = new UserOrders();
  private readonly pool = new OrderPool();
  private currentRules: MarketRules;
  private seq = 0;
  private lastTimestamp = 0;

  constructor(rules: MarketRules) {
    this.currentRules = { ...rules };
  }

  static restore(snapshot: BookSnapshot): OrderBook {
    const book = new OrderBook(snapshot.rules);
    const all = [...snapshot.bids, ...snapshot.asks].sort((a, b) => a.entrySeq - b.entrySeq);
    for (const view of all) {
      const order = book.pool
        .acquire()
        .init(
          view.orderId,
          view.userId,
          view.side,
          view.price,
          view.quantity,
          view.quoteLimit,
          view.timeInForce,
          view.postOnly,
          view.selfTradePrevention,
          view.timestamp,
        );
      order.remaining = view.remainingQuantity;
      order.filled = view.filledQuantity;
      order.filledQuote = view.filledQuote;
      order.entrySeq = view.entrySeq;
      book.insertResting(order);
    }
    book.seq = snapshot.sequence;
    book.lastTimestamp = snapshot.lastTimestamp;
    return book;
  }

  get rules(): MarketRules {
    return this.currentRules;
  }

  get sequence(): number {
    return this.seq;
  }

  /** Timestamp of the last command applied (0 before the first): a durable checkpoint stores it. */
  get lastCommandTimestamp(): number {
    return this.lastTimestamp;
  }

  get size(): number {
    return this.orders.size;
  }

  apply(command: Command, out: EngineEvent[]): void {
    this.lastTimestamp = command.timestamp;
    switch (command.type) {
      case 'place':
        return this.place(command, out);
      case 'cancel':
        return this.cancel(command, out);
      case 'cancelAll':
        return this.cancelAll(command, out);
      case 'amend':
        return this.amend(command, out);
      case 'setFees':
        return this.setFees(command, out);
    }
  }

  getOrder(orderId: string): OrderView | undefined {
    return this.orders.get(orderId)?.toView();
  }

  depth(limit: number): Depth {
    const levels = (side: BookSide): Array<[number, number]> =>
      Array.from(side.levelsBestFirst(limit), (level): [number, number] => [
        level.price,
        level.totalQuantity,
      ]);
    return { sequence: this.seq, bids: levels(this.bids), asks: levels(this.asks) };
  }

  snapshot(): BookSnapshot {
    const orders = (side: BookSide): OrderView[] => {
      const views: OrderView[] = [];
      for (const level of side.levelsBestFirst()) {
        for (let order = level.head; order !== null; order = order.next) views.push(order.toView());
      }
      return views;
    };
    return {
      version: 1,
      rules: { ...this.currentRules },
      sequence: this.seq,
      lastTimestamp: this.lastTimestamp,
      bids: orders(this.bids),
      asks: orders(this.asks),
    };
  }

  stateHash(): string {
    return hashSnapshot(this.snapshot());
  }

  private place(c: PlaceCommand, out: EngineEvent[]): void {
    const reason = checkPlace(c, this.currentRules) ?? this.checkPlaceAgainstBook(c);
    if (reason !== null) {
      this.reject(out, 'place', c.orderId, c.userId, c.timestamp, reason);
      return;
    }
    out.push({
      type: 'accepted',
      seq: ++this.seq,
      timestamp: c.timestamp,
      orderId: c.orderId,
      userId: c.userId,
      side: c.side,
      orderType: c.orderType,
      price: c.price,
      quantity: c.quantity,
      quoteLimit: c.quoteLimit,
      timeInForce: c.timeInForce,
    });
    const taker = this.pool
      .acquire()
      .init(
        c.orderId,
        c.userId,
        c.side,
        c.price,
        c.quantity,
        c.quoteLimit,
        c.timeInForce,
        c.postOnly,
        c.selfTradePrevention,
        c.timestamp,
      );
    if (c.timeInForce === 'FOK' && !this.canFillCompletely(taker)) {
      this.expire(taker, 'FOK_NOT_FILLABLE', c.timestamp, out);
      return;
    }
    const stop = this.match(taker, c.timestamp, out);
    this.finish(taker, stop, c.orderType === 'market' || c.timeInForce !== 'GTC', c.timestamp, out);
  }

  /** Checks 5 and 6 of place: they depend on what rests in the book. */
  private checkPlaceAgainstBook(c: PlaceCommand): RejectReason | null {
    if (this.orders.has(c.orderId)) return 'DUPLICATE_ORDER_ID';
    if (c.postOnly && this.wouldTake(c.side, c.price)) return 'POST_ONLY_WOULD_TAKE';
    return null;
  }

  private wouldTake(side: PlaceCommand['side'], price: number): boolean {
    const best = side === 'buy' ? this.asks.best : this.bids.best;
    if (best === null) return false;
    return side === 'buy' ? price >= best.price : price <= best.price;
  }

  /**
   * Takes liquidity from the opposite side until the taker is done or something stops it.
   * The taker's limit is its price (0 = market). Consumed and self-trade-expired makers always leave
   * from the head of the best level, so the loop only ever looks at `best.head`.
   */
  private match(taker: RestingOrder, timestamp: number, out: EngineEvent[]): Stop {
    const isBuy = taker.side === 'buy';
    const opposite = isBuy ? this.asks : this.bids;
    const limit = taker.price;
    const rules = this.currentRules;
    const stp = taker.selfTradePrevention;
    for (;;) {
      const level = opposite.best;
      if (level === null) return Stop.NoLiquidity;
      if (limit !== 0 && (isBuy ? level.price > limit : level.price < limit)) return Stop.NoLiquidity;
      const unitQuote = level.price * rules.quoteUnitsPerTickLot;
      let maker: RestingOrder | null;
      while ((maker = level.head) !== null) {
        if (maker.userId === taker.userId && stp !== 'none') {
          if (stp === 'expire_taker') return Stop.SelfTrade;
          this.removeResting(maker, opposite);
          this.expire(maker, 'SELF_TRADE_PREVENTION', timestamp, out);
          if (stp === 'expire_both') return Stop.SelfTrade;
          continue;
        }
        let lots = maker.remaining;
        if (taker.quantity !== 0 && taker.remaining < lots) lots = taker.remaining;
        if (taker.quoteLimit !== 0) {
          const affordable = floorDiv(taker.quoteLimit - taker.filledQuote, unitQuote);
          if (affordable === 0) return Stop.Funds;
          if (affordable < lots) lots = affordable;
        }
        const quote = lots * unitQuote;
        if (taker.filledQuote + quote > MAX_SAFE) return Stop.NotionalLimit;
        if (maker.filledQuote + quote > MAX_SAFE) {
          // Possible only for an order that took at a better price than its limit before it rested.
          this.removeResting(maker, opposite);
          this.expire(maker, 'NOTIONAL_LIMIT', timestamp, out);
          continue;
        }
        this.trade(maker, taker, level, lots, quote, timestamp, out);
        if (maker.remaining === 0) {
          this.removeResting(maker, opposite);
          this.done(maker, 'filled', timestamp, out);
        }
        if (taker.quantity !== 0 && taker.remaining === 0) return Stop.Filled;
        // A market buy by quote amount that spent its budget to the last unit is done, book or no book.
        if (taker.quantity === 0 && taker.filledQuote === taker.quoteLimit) return Stop.Funds;
      }
      // The loop only leaves a level that it emptied, and removeResting dropped that level already.
    }
  }

  private trade(
    maker: RestingOrder,
    taker: RestingOrder,
    level: PriceLevel,
    lots: number,
    quote: number,
    timestamp: number,
    out: EngineEvent[],
  ): void {
    const rules = this.currentRules;
    const base = lots * rules.baseUnitsPerLot;
    const takerBuys = taker.side === 'buy';
    maker.remaining -= lots;
    maker.filled += lots;
    maker.filledQuote += quote;
    level.totalQuantity -= lots;
    // A market buy by quote amount has no quantity, so nothing to count down.
    if (taker.quantity !== 0) taker.remaining -= lots;
    taker.filled += lots;
    taker.filledQuote += quote;
    out.push({
      type: 'trade',
      seq: ++this.seq,
      timestamp,
      price: level.price,
      quantity: lots,
      quoteQuantity: quote,
      takerSide: taker.side,
      makerOrderId: maker.orderId,
      makerUserId: maker.userId,
      takerOrderId: taker.orderId,
      takerUserId: taker.userId,
      makerFee: applyPpmFloor(takerBuys ? quote : base, rules.makerFeePpm),
      takerFee: applyPpmFloor(takerBuys ? base : quote, rules.takerFeePpm),
    });
  }

  /** The same walk as `match`, without touching anything: would a FOK taker fill completely? */
  private canFillCompletely(taker: RestingOrder): boolean {
    const isBuy = taker.side === 'buy';
    const opposite = isBuy ? this.asks : this.bids;
    const limit = taker.price;
    const stp = taker.selfTradePrevention;
    let needed = taker.quantity;
    let spent = 0;
    for (let level = opposite.best; level !== null; level = opposite.tree.next(level)) {
      if (limit !== 0 && (isBuy ? level.price > limit : level.price < limit)) return false;
      const unitQuote = level.price * this.currentRules.quoteUnitsPerTickLot;
      for (let maker = level.head; maker !== null; maker = maker.next) {
        if (maker.userId === taker.userId && stp !== 'none') {
          if (stp === 'expire_maker') continue;
          return false;
        }
        let lots = maker.remaining < needed ? maker.remaining : needed;
        if (taker.quoteLimit !== 0) {
          const affordable = floorDiv(taker.quoteLimit - spent, unitQuote);
          if (affordable === 0) return false;
          if (affordable < lots) lots = affordable;
        }
        const quote = lots * unitQuote;
        if (spent + quote > MAX_SAFE) return false;
        if (maker.filledQuote + quote > MAX_SAFE) continue; // that maker would expire (NOTIONAL_LIMIT)
        spent += quote;
        needed -= lots;
        if (needed === 0) return true;
      }
    }
    return false;
  }

  /** Ends a taker after matching: the first rule of docs/engine.md "After matching" that applies. */
  private finish(
    taker: RestingOrder,
    stop: Stop,
    immediate: boolean,
    timestamp: number,
    out: EngineEvent[],
  ): void {
    switch (stop) {
      case Stop.Filled:
        return this.done(taker, 'filled', timestamp, out);
      case Stop.SelfTrade:
        return this.expire(taker, 'SELF_TRADE_PREVENTION', timestamp, out);
      case Stop.NotionalLimit:
        return this.expire(taker, 'NOTIONAL_LIMIT', timestamp, out);
      case Stop.Funds:
        if (taker.quantity === 0 && taker.filled > 0) return this.done(taker, 'filled', timestamp, out);
        return this.expire(taker, 'FUNDS_EXHAUSTED', timestamp, out);
      case Stop.NoLiquidity:
        if (immediate) return this.expire(taker, 'NO_LIQUIDITY', timestamp, out);
        return this.rest(taker, timestamp, out);
    }
  }

  private rest(order: RestingOrder, timestamp: number, out: EngineEvent[]): void {
    order.entrySeq = ++this.seq;
    this.insertResting(order);
    out.push({
      type: 'rested',
      seq: order.entrySeq,
      timestamp,
      orderId: order.orderId,
      userId: order.userId,
      side: order.side,
      price: order.price,
      remainingQuantity: order.remaining,
      filledQuantity: order.filled,
    });
  }

  private insertResting(order: RestingOrder): void {
    (order.side === 'buy' ? this.bids : this.asks).add(order);
    this.orders.set(order.orderId, order);
    this.users.append(order);
  }

  private removeResting(order: RestingOrder, side: BookSide): void {
    side.remove(order);
    this.orders.delete(order.orderId);
    this.users.remove(order);
  }

  private sideOf(order: RestingOrder): BookSide {
    return order.side === 'buy' ? this.bids : this.asks;
  }

  private cancel(c: CancelCommand, out: EngineEvent[]): void {
    const order = this.orders.get(c.orderId);
    if (order === undefined || order.userId !== c.userId) {
      this.reject(out, 'cancel', c.orderId, c.userId, c.timestamp, 'ORDER_NOT_FOUND');
      return;
    }
    this.removeResting(order, this.sideOf(order));
    this.cancelEvents(order, 'USER', c.timestamp, out);
  }

  private cancelAll(c: CancelAllCommand, out: EngineEvent[]): void {
    if (!isSafePositiveInteger(c.userId)) {
      this.reject(out, 'cancelAll', '', c.userId, c.timestamp, 'INVALID_ORDER');
      return;
    }
    let order = this.users.first(c.userId);
    while (order !== null) {
      const next = order.userNext;
      this.removeResting(order, this.sideOf(order));
      this.cancelEvents(order, 'CANCEL_ALL', c.timestamp, out);
      order = next;
    }
  }

  private cancelEvents(
    order: RestingOrder,
    reason: 'USER' | 'CANCEL_ALL',
    timestamp: number,
    out: EngineEvent[],
  ) {
    out.push({
      type: 'canceled',
      seq: ++this.seq,
      timestamp,
      orderId: order.orderId,
      userId: order.userId,
      remainingQuantity: order.remaining,
      reason,
    });
    this.done(order, 'canceled', timestamp, out);
  }

  private amend(c: AmendCommand, out: EngineEvent[]): void {
    const order = this.orders.get(c.orderId);
    if (order === undefined || order.userId !== c.userId) {
      this.reject(out, 'amend', c.orderId, c.userId, c.timestamp, 'ORDER_NOT_FOUND');
      return;
    }
    const reason = checkAmend(c, order.filled, order.price, order.quantity, this.currentRules);
    if (reason !== null) {
      this.reject(out, 'amend', c.orderId, c.userId, c.timestamp, reason);
      return;
    }
    const price = c.price || order.price;
    const quantity = c.quantity || order.quantity;
    if (price === order.price && quantity <= order.quantity) {
      const reduction = order.quantity - quantity;
      order.quantity = quantity;
      order.remaining -= reduction;
      order.level!.totalQuantity -= reduction;
      this.amended(order, true, c.timestamp, out);
      return;
    }
    if (order.postOnly && this.wouldTake(order.side, price)) {
      this.reject(out, 'amend', c.orderId, c.userId, c.timestamp, 'POST_ONLY_WOULD_TAKE');
      return;
    }
    this.removeResting(order, this.sideOf(order));
    order.price = price;
    order.quantity = quantity;
    order.remaining = quantity - order.filled;
    this.amended(order, false, c.timestamp, out);
    const stop = this.match(order, c.timestamp, out);
    this.finish(order, stop, false, c.timestamp, out);
  }

  private amended(order: RestingOrder, priorityKept: boolean, timestamp: number, out: EngineEvent[]): void {
    out.push({
      type: 'amended',
      seq: ++this.seq,
      timestamp,
      orderId: order.orderId,
      userId: order.userId,
      side: order.side,
      price: order.price,
      quantity: order.quantity,
      remainingQuantity: order.remaining,
      priorityKept,
    });
  }

  private setFees(c: SetFeesCommand, out: EngineEvent[]): void {
    if (!validFeePpm(c.makerFeePpm) || !validFeePpm(c.takerFeePpm)) {
      this.reject(out, 'setFees', '', 0, c.timestamp, 'INVALID_FEES');
      return;
    }
    this.currentRules = { ...this.currentRules, makerFeePpm: c.makerFeePpm, takerFeePpm: c.takerFeePpm };
    out.push({
      type: 'feesChanged',
      seq: ++this.seq,
      timestamp: c.timestamp,
      makerFeePpm: c.makerFeePpm,
      takerFeePpm: c.takerFeePpm,
    });
  }

  private expire(order: RestingOrder, reason: ExpireReason, timestamp: number, out: EngineEvent[]): void {
    out.push({
      type: 'expired',
      seq: ++this.seq,
      timestamp,
      orderId: order.orderId,
      userId: order.userId,
      remainingQuantity: order.remaining,
      reason,
    });
    this.done(order, 'expired', timestamp, out);
  }

  private done(
    order: RestingOrder,
    status: 'filled' | 'canceled' | 'expired',
    timestamp: number,
    out: EngineEvent[],
  ): void {
    out.push({
      type: 'done',
      seq: ++this.seq,
      timestamp,
      orderId: order.orderId,
      userId: order.userId,
      side: order.side,
      status,
      filledQuantity: order.filled,
      filledQuote: order.filledQuote,
    });
    // Final: the order has left every structure of the book (or never entered it), so reuse it.
    this.pool.release(order);
  }

  private reject(
    out: EngineEvent[],
    command: CommandType,
    orderId: unknown,
    userId: unknown,
    timestamp: number,
    reason: RejectReason,
  ): void {
    out.push({
      type: 'rejected',
      seq: ++this.seq,
      timestamp,
      command,
      orderId: typeof orderId === 'string' ? orderId : '',
      userId: typeof userId === 'number' ? userId : 0,
      reason,
    });
  }
}
