/**
 * The matching engine's contract: integer market rules, commands in, events out.
 *
 * Every amount here is an integer in the smallest unit it is counted in:
 * - prices in ticks of the market's tick size,
 * - quantities in lots of the market's lot size,
 * - quote amounts and fees in the smallest unit of their asset.
 * Decimal strings live only at the edges (see src/money/decimal.ts).
 * Amounts are JavaScript numbers that the engine keeps within Number.MAX_SAFE_INTEGER
 * (it rejects or stops an order before any product could pass it), so every operation on them is exact.
 */

export type Side = 'buy' | 'sell';
export type OrderType = 'limit' | 'market';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
export type SelfTradePrevention = 'expire_taker' | 'expire_maker' | 'expire_both' | 'none';

/** Integer rules of one market, compiled from its decimal definition (src/markets/market-rules.ts). */
export interface MarketRules {
  readonly symbol: string;
  /** One lot of quantity, in the base asset's smallest units. */
  readonly baseUnitsPerLot: number;
  /** One tick of price times one lot of quantity, in the quote asset's smallest units. */
  readonly quoteUnitsPerTickLot: number;
  /** Fee rates in parts per million of what the side receives (1000 = 0.1 %). 0..1_000_000. */
  readonly makerFeePpm: number;
  readonly takerFeePpm: number;
}

export interface PlaceCommand {
  readonly type: 'place';
  readonly orderId: string;
  readonly userId: number;
  readonly side: Side;
  readonly orderType: OrderType;
  /** Limit price in ticks; 0 for market orders. */
  readonly price: number;
  /** Quantity in lots; 0 only for a market buy bounded by quoteLimit alone ("spend up to"). */
  readonly quantity: number;
  /**
   * Buy orders only: the most quote units the order may spend (the funds held for it); 0 = no bound.
   * A market buy by quote amount has quantity 0 and quoteLimit = the amount.
   */
  readonly quoteLimit: number;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly selfTradePrevention: SelfTradePrevention;
  /** Milliseconds since the epoch, taken from the stream entry id: the engine's only clock. */
  readonly timestamp: number;
}

export interface CancelCommand {
  readonly type: 'cancel';
  readonly orderId: string;
  readonly userId: number;
  readonly timestamp: number;
}

export interface CancelAllCommand {
  readonly type: 'cancelAll';
  readonly userId: number;
  readonly timestamp: number;
}

/** Amend a resting order. `quantity` is the new total quantity (filled included), `price` the new limit. */
export interface AmendCommand {
  readonly type: 'amend';
  readonly orderId: string;
  readonly userId: number;
  /** New price in ticks, or 0 to keep it. */
  readonly price: number;
  /** New total quantity in lots, or 0 to keep it. */
  readonly quantity: number;
  readonly timestamp: number;
}

/** Fee changes travel through the stream so that a replay charges exactly what the live run charged. */
export interface SetFeesCommand {
  readonly type: 'setFees';
  readonly makerFeePpm: number;
  readonly takerFeePpm: number;
  readonly timestamp: number;
}

export type Command = PlaceCommand | CancelCommand | CancelAllCommand | AmendCommand | SetFeesCommand;
export type CommandType = Command['type'];

export type RejectReason =
  | 'INVALID_PRICE'
  | 'INVALID_QUANTITY'
  | 'INVALID_ORDER'
  | 'NOTIONAL_TOO_LARGE'
  | 'DUPLICATE_ORDER_ID'
  | 'POST_ONLY_WOULD_TAKE'
  | 'ORDER_NOT_FOUND'
  | 'INVALID_FEES';

export type ExpireReason =
  /** IOC or market order: what the book could not fill at once. */
  | 'NO_LIQUIDITY'
  /** FOK order that the book could not fill completely. */
  | 'FOK_NOT_FILLABLE'
  /** Self-trade prevention removed this order. */
  | 'SELF_TRADE_PREVENTION'
  /** A buy bounded by quoteLimit cannot afford one more lot at the next price. */
  | 'FUNDS_EXHAUSTED'
  /** The order's accumulated quote amount would pass Number.MAX_SAFE_INTEGER (never in practice). */
  | 'NOTIONAL_LIMIT';

export type CancelReason = 'USER' | 'CANCEL_ALL';

export type FinalStatus = 'filled' | 'canceled' | 'expired';

interface EventBase {
  /** Per-symbol sequence number: 1, 2, 3... over every event the book ever emitted. */
  readonly seq: number;
  readonly timestamp: number;
}

export interface AcceptedEvent extends EventBase {
  readonly type: 'accepted';
  readonly orderId: string;
  readonly userId: number;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly price: number;
  readonly quantity: number;
  readonly quoteLimit: number;
  readonly timeInForce: TimeInForce;
}

/** One fill. Its seq is the trade id within the symbol. */
export interface TradeEvent extends EventBase {
  readonly type: 'trade';
  readonly price: number;
  readonly quantity: number;
  /** price × quantity in quote units. */
  readonly quoteQuantity: number;
  readonly takerSide: Side;
  readonly makerOrderId: string;
  readonly makerUserId: number;
  readonly takerOrderId: string;
  readonly takerUserId: number;
  /** In the asset the maker receives (quote if the maker sells, base if it buys), smallest units. */
  readonly makerFee: number;
  /** In the asset the taker receives. */
  readonly takerFee: number;
}

/** The order now rests in the book (after any fills); it is `new` or `partially_filled`. */
export interface RestedEvent extends EventBase {
  readonly type: 'rested';
  readonly orderId: string;
  readonly userId: number;
  readonly side: Side;
  readonly price: number;
  readonly remainingQuantity: number;
  readonly filledQuantity: number;
}

export interface AmendedEvent extends EventBase {
  readonly type: 'amended';
  readonly orderId: string;
  readonly userId: number;
  readonly side: Side;
  readonly price: number;
  /** New total quantity. */
  readonly quantity: number;
  readonly remainingQuantity: number;
  readonly priorityKept: boolean;
}

export interface CanceledEvent extends EventBase {
  readonly type: 'canceled';
  readonly orderId: string;
  readonly userId: number;
  readonly remainingQuantity: number;
  readonly reason: CancelReason;
}

export interface ExpiredEvent extends EventBase {
  readonly type: 'expired';
  readonly orderId: string;
  readonly userId: number;
  readonly remainingQuantity: number;
  readonly reason: ExpireReason;
}

export interface RejectedEvent extends EventBase {
  readonly type: 'rejected';
  readonly command: CommandType;
  /** The order the command named ('' for cancelAll and setFees). */
  readonly orderId: string;
  readonly userId: number;
  readonly reason: RejectReason;
}

/** The order reached a final state; nothing more happens to it. */
export interface DoneEvent extends EventBase {
  readonly type: 'done';
  readonly orderId: string;
  readonly userId: number;
  readonly side: Side;
  readonly status: FinalStatus;
  readonly filledQuantity: number;
  /** Quote units traded over all fills. */
  readonly filledQuote: number;
}

export interface FeesChangedEvent extends EventBase {
  readonly type: 'feesChanged';
  readonly makerFeePpm: number;
  readonly takerFeePpm: number;
}

export type EngineEvent =
  | AcceptedEvent
  | TradeEvent
  | RestedEvent
  | AmendedEvent
  | CanceledEvent
  | ExpiredEvent
  | RejectedEvent
  | DoneEvent
  | FeesChangedEvent;

/** A resting order as the book holds it. */
export interface OrderView {
  readonly orderId: string;
  readonly userId: number;
  readonly side: Side;
  readonly price: number;
  readonly quantity: number;
  readonly remainingQuantity: number;
  readonly filledQuantity: number;
  readonly filledQuote: number;
  readonly quoteLimit: number;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly selfTradePrevention: SelfTradePrevention;
  /** Timestamp of the place command that created the order. */
  readonly timestamp: number;
  /** Seq of the order's latest `rested` event: its place in time priority (and in cancelAll order). */
  readonly entrySeq: number;
}

/** Aggregated levels, best first: [price in ticks, total remaining lots]. */
export interface Depth {
  readonly sequence: number;
  readonly bids: Array<[number, number]>;
  readonly asks: Array<[number, number]>;
}

/**
 * Everything a book needs to continue exactly where it was. Orders are listed side by side,
 * bids then asks, best price first and oldest first within a price, so the snapshot is canonical:
 * two books in the same state produce byte-identical snapshots and hashes.
 */
export interface BookSnapshot {
  readonly version: 1;
  readonly rules: MarketRules;
  readonly sequence: number;
  readonly lastTimestamp: number;
  readonly bids: OrderView[];
  readonly asks: OrderView[];
}

/** What every order book implementation offers; the test suite runs one set of scenarios against each. */
export interface MatchingBook {
  readonly rules: MarketRules;
  /** Sequence number of the last event emitted. */
  readonly sequence: number;
  /** Applies one command, appending its events to `out` in order. Never throws on bad input: rejects. */
  apply(command: Command, out: EngineEvent[]): void;
  getOrder(orderId: string): OrderView | undefined;
  depth(limit: number): Depth;
  /** Number of resting orders. */
  readonly size: number;
  snapshot(): BookSnapshot;
  /** A 64-bit hash (16 hex digits) of the canonical snapshot. */
  stateHash(): string;
}
