/**
 * What the HTTP layer needs from the rest of the system, as small interfaces. The stream intake,
 * the balance store, the read models and market data implement them; tests use in-memory ones.
 *
 * Ports speak integers, the system's inner language: prices in ticks, quantities in lots, amounts in
 * the asset's smallest units (docs/engine.md, "Units"), times in epoch milliseconds. The API converts
 * decimal strings to integers on the way in and back on the way out, in one place (order-request.ts,
 * present.ts). An adapter that fails throws; one that sheds load throws ApiError OVERLOADED (or UNAVAILABLE when a store is out of reach) with
 * retryAfterSeconds (errors.ts). Every method may be called concurrently.
 */
import type {
  AmendCommand,
  CancelAllCommand,
  CancelCommand,
  OrderType,
  PlaceCommand,
  SelfTradePrevention,
  SetFeesCommand,
  Side,
  TimeInForce,
} from '../engine/types.ts';
import type { CompiledMarket } from '../markets/market-rules.ts';

/** A command as the API produces it: the stream entry id gives it its timestamp. */
export type Unstamped<C> = Omit<C, 'timestamp'>;

export interface PlaceIntent extends Unstamped<PlaceCommand> {
  /** The user's idempotency key, unique per user; null when none was given. */
  readonly clientOrderId: string | null;
}

export type OrderCommandIntent =
  | Unstamped<CancelCommand>
  | Unstamped<AmendCommand>
  | Unstamped<CancelAllCommand>
  | Unstamped<SetFeesCommand>;

export interface PlaceResult {
  /** The new order's id, or, for a repeated clientOrderId, the id of the user's first order with it. */
  readonly orderId: string;
  /** True when clientOrderId was already used by this user: nothing was appended. */
  readonly duplicate: boolean;
}

export interface AppendOptions {
  /**
   * This instance waits for the engine's outcome (`?wait=true`). Only then does the entry name the
   * instance as `replyTo`: an outcome nobody waits for is not encoded or published. Default: true.
   */
  readonly awaitOutcome?: boolean;
}

/** The per-symbol command streams. Each method returns once the command is durably appended. */
export interface CommandIntake {
  /**
   * Appends a place command, unless the user already placed an order with the same clientOrderId:
   * that check and the append are one atomic step, so two concurrent repeats create one order.
   */
  place(symbol: string, command: PlaceIntent, options?: AppendOptions): Promise<PlaceResult>;
  /** Appends a cancel, amend, cancelAll or setFees command to the symbol's stream. */
  submit(symbol: string, command: OrderCommandIntent, options?: AppendOptions): Promise<void>;
}

/** The markets: compiled once by the API (market-rules.ts) and stored as such. */
export interface MarketDirectory {
  list(): Promise<readonly CompiledMarket[]>;
  get(symbol: string): Promise<CompiledMarket | undefined>;
  /** Creates or replaces a market; matchers pick new markets up without a restart. */
  upsert(market: CompiledMarket): Promise<{ readonly created: boolean }>;
}

export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'canceled' | 'expired' | 'rejected';
export const OPEN_STATUSES: readonly OrderStatus[] = ['new', 'partially_filled'];
export type Liquidity = 'maker' | 'taker';

export interface FillRecord {
  readonly tradeId: string;
  /** Ticks. */
  readonly price: number;
  /** Lots. */
  readonly quantity: number;
  /** Smallest units of feeAsset (the asset the user received: base for a buy, quote for a sell). */
  readonly fee: number;
  readonly feeAsset: string;
  readonly liquidity: Liquidity;
}

/** An order as the read model knows it. */
export interface OrderRecord {
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly userId: number;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  /** Ticks; null for a market order. */
  readonly price: number | null;
  /** Lots; null for a market buy by quote amount. */
  readonly quantity: number | null;
  /** Quote units a market buy by quote amount may spend; null otherwise. */
  readonly quoteQuantity: number | null;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly selfTradePrevention: SelfTradePrevention;
  readonly status: OrderStatus;
  /** Lots. */
  readonly filledQuantity: number;
  /** Quote units. */
  readonly filledQuote: number;
  /** Why the order was rejected (INSUFFICIENT_FUNDS, POST_ONLY_WOULD_TAKE, ...) or expired; else null. */
  readonly rejectReason: string | null;
  readonly fills: readonly FillRecord[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One fill of one of the user's orders. */
export interface UserTradeRecord extends FillRecord {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  /** Quote units. */
  readonly quoteQuantity: number;
  readonly time: number;
}

export interface OrderListQuery {
  readonly userId: number;
  readonly symbol: string;
  /** Only orders in one of these statuses; undefined for all. */
  readonly statuses: readonly OrderStatus[] | undefined;
  /** Newest first, at most this many. */
  readonly limit: number;
}

export interface OrderQueries {
  /** Any user's order: the API checks ownership itself, so that "not yours" and "unknown" look alike. */
  getOrder(orderId: string): Promise<OrderRecord | undefined>;
  /**
   * The order for a cancel's or amend's courtesy check: the read model the matcher writes first
   * when it holds the order (its latest state: no need to ask the system of record), else as
   * `getOrder`. Absent: `getOrder` is used.
   */
  getLatestOrder?(orderId: string): Promise<OrderRecord | undefined>;
  listOrders(query: OrderListQuery): Promise<readonly OrderRecord[]>;
  /** The user's fills on a symbol, newest first. */
  listTrades(query: { userId: number; symbol: string; limit: number }): Promise<readonly UserTradeRecord[]>;
}

/** The engine's outcome of one command, published by the matcher to the API instance that took it. */
export type CommandOutcome =
  /** The order after the command: resting, filled, expired, canceled, or rejected (for a place). */
  | { readonly kind: 'order'; readonly order: OrderRecord }
  /** The engine refused a cancel or amend (ORDER_NOT_FOUND, POST_ONLY_WOULD_TAKE, ...); nothing changed. */
  | { readonly kind: 'rejected'; readonly reason: string };

export interface OutcomeWatch {
  /** The outcome of the next command on the order, or null when none arrived within the timeout. */
  readonly outcome: Promise<CommandOutcome | null>;
  /** Stops listening (the command was not appended, or was a duplicate); outcome resolves to null. */
  stop(): void;
}

export interface OutcomeWaiter {
  /**
   * Starts listening for an order's next outcome. The API calls it *before* appending the command,
   * so that a fast matcher cannot publish the outcome before anyone listens.
   */
  watch(orderId: string, timeoutMs: number): OutcomeWatch;
}

export interface BalanceRecord {
  readonly asset: string;
  /** Smallest units of the asset; bigint because balances may pass 2^53 (docs/balances.md). */
  readonly available: bigint;
  readonly locked: bigint;
}

/** What a deposit or withdrawal recorded: for a repeat, the first request's asset and amount. */
export interface LedgerResult {
  readonly duplicate: boolean;
  readonly asset: string;
  readonly amount: bigint;
}

export interface BalanceService {
  /**
   * Credits available funds; a repeat of depositId changes nothing and says so, with the asset and
   * amount the first request credited (a repeat may ask for other values: they are ignored).
   */
  deposit(request: {
    userId: number;
    asset: string;
    amount: bigint;
    depositId: string;
  }): Promise<LedgerResult>;
  /** Debits available funds, or refuses; a repeat of withdrawalId returns the first outcome and values. */
  withdraw(request: {
    userId: number;
    asset: string;
    amount: bigint;
    withdrawalId: string;
  }): Promise<LedgerResult & { readonly status: 'ok' | 'insufficient_funds' }>;
  list(userId: number): Promise<readonly BalanceRecord[]>;
}

export interface DepthRecord {
  readonly sequence: number;
  /** [ticks, lots], best first. */
  readonly bids: ReadonlyArray<readonly [number, number]>;
  readonly asks: ReadonlyArray<readonly [number, number]>;
}

export interface PublicTradeRecord {
  readonly tradeId: string;
  readonly price: number;
  readonly quantity: number;
  readonly takerSide: Side;
  readonly time: number;
}

/** The market-data caches the matchers keep up to date. */
export interface MarketData {
  /** At most `limit` levels per side; an empty book for a market with no snapshot yet. */
  depth(symbol: string, limit: number): Promise<DepthRecord>;
  /** Newest first. */
  recentTrades(symbol: string, limit: number): Promise<readonly PublicTradeRecord[]>;
}

export interface IdGenerator {
  /** A new unique id matching ^[A-Za-z0-9_-]{1,64}$ (orders, and deposits or withdrawals without one). */
  next(): string;
}

export interface Health {
  /** Whether this instance can serve: its dependencies answer. Liveness needs no port. */
  readiness(): Promise<{ readonly ready: boolean; readonly checks: Readonly<Record<string, boolean>> }>;
}

export interface Metrics {
  /** The Prometheus exposition content type of text(). */
  readonly contentType: string;
  text(): Promise<string>;
  /** One finished request, by route pattern (never by user or order). */
  observeRequest(sample: { method: string; route: string; statusCode: number; seconds: number }): void;
  /**
   * A place or amend refused before it reached the stream: `symbol` is a known market's symbol or
   * "unknown", `code` an error code (ERROR_CODES).
   */
  intakeRejected?(sample: { symbol: string; code: string }): void;
}

export interface ApiPorts {
  readonly markets: MarketDirectory;
  readonly intake: CommandIntake;
  readonly outcomes: OutcomeWaiter;
  readonly balances: BalanceService;
  readonly orders: OrderQueries;
  readonly marketData: MarketData;
  readonly ids: IdGenerator;
  readonly health: Health;
  readonly metrics: Metrics;
}
