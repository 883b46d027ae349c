import type { FillRecord, Liquidity, OrderRecord, OrderStatus, UserTradeRecord } from '../../api/ports.ts';
import type { OrderType, SelfTradePrevention, Side, TimeInForce } from '../../engine/types.ts';
import { parseTradeId } from '../../read-model/order-projection.ts';
import { compareIntegerStrings } from '../../money/decimal.ts';

/**
 * MySQL rows (migrations 0002, 0003) back into the records the API serves (src/api/ports.ts),
 * exactly as the Redis read model holds them (src/read-model/order-projection.ts), and the orders
 * both stores agree on: newest first, and which of two states of one order is the later. Pure.
 *
 * The pool reads BIGINTs as decimal strings (src/mysql/connection.ts); each becomes a number only if
 * it is a safe integer, as every amount the engine makes is, else the row is refused with a
 * {@link StoredRowError} rather than served rounded.
 */

export class StoredRowError extends Error {
  override readonly name = 'StoredRowError';
}

/** An order as MySQL stores it: the record without its fills, and the version of that state. */
export interface StoredOrder {
  /** `fills` is empty until {@link withFills}. */
  readonly record: OrderRecord;
  /** The engine seq of the event that produced the state (docs/mysql.md): fills up to it belong to it. */
  readonly version: number;
}

/** A row of orders-select-by-ids.sql or orders-select-by-user.sql, as the pool reads it. */
export interface OrderRow {
  readonly order_id: string;
  readonly client_order_id: string | null;
  readonly user_id: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly price_ticks: string | null;
  readonly quantity_lots: string | null;
  readonly quote_quantity: string | null;
  readonly time_in_force: string;
  readonly post_only: number | boolean;
  readonly self_trade_prevention: string;
  readonly status: string;
  readonly filled_quantity: string;
  readonly filled_quote: string;
  readonly reject_reason: string | null;
  readonly created_at_ms: string;
  readonly updated_at_ms: string;
  readonly version: string;
}

/** A row of trades-select-by-orders.sql: one side of a trade of one of the orders asked for. */
export interface OrderFillRow {
  readonly order_id: string;
  readonly seq: string;
  readonly trade_id: string;
  readonly price_ticks: string;
  readonly quantity_lots: string;
  readonly fee: string;
  readonly liquidity: string;
}

/** A row of trades-select-by-user.sql: one of the user's sides of a trade. */
export interface UserTradeRow extends OrderFillRow {
  readonly quote_quantity: string;
  readonly taker_side: string;
  readonly time_ms: string;
}

/** What a fill needs of its market: the asset each side receives (and pays its fee in). */
export interface MarketAssets {
  readonly base: string;
  readonly quote: string;
}

export function orderOfRow(row: OrderRow): StoredOrder {
  const id = String(row.order_id);
  const what = (column: string) => `orders ${id}: ${column}`;
  const record: OrderRecord = {
    orderId: id,
    clientOrderId: row.client_order_id,
    userId: safe(row.user_id, what('user_id')),
    symbol: row.symbol,
    side: row.side as Side,
    type: row.type as OrderType,
    price: nullableSafe(row.price_ticks, what('price_ticks')),
    quantity: nullableSafe(row.quantity_lots, what('quantity_lots')),
    quoteQuantity: nullableSafe(row.quote_quantity, what('quote_quantity')),
    timeInForce: row.time_in_force as TimeInForce,
    postOnly: Number(row.post_only) === 1,
    selfTradePrevention: row.self_trade_prevention as SelfTradePrevention,
    status: row.status as OrderStatus,
    filledQuantity: safe(row.filled_quantity, what('filled_quantity')),
    filledQuote: safe(row.filled_quote, what('filled_quote')),
    rejectReason: row.reject_reason,
    fills: [],
    createdAt: safe(row.created_at_ms, what('created_at_ms')),
    updatedAt: safe(row.updated_at_ms, what('updated_at_ms')),
  };
  return { record, version: safe(row.version, what('version')) };
}

/**
 * The order's record with the fills of its stored state: those of `rows` (its trades, any order)
 * whose seq is at most its version. A trade newer than the version was flushed after the order row
 * was read; the next read shows both.
 */
export function recordWithFills(
  order: StoredOrder,
  rows: readonly OrderFillRow[],
  assets: MarketAssets,
): OrderRecord {
  const fills = rows
    .map((row) => ({ row, seq: safe(row.seq, `trades ${row.trade_id}: seq`) }))
    .filter(({ seq }) => seq <= order.version)
    .sort((a, b) => a.seq - b.seq)
    .map(({ row }) => fillOfRow(row, order.record.side, assets));
  return { ...order.record, fills };
}

function fillOfRow(row: OrderFillRow, side: Side, assets: MarketAssets): FillRecord {
  const what = (column: string) => `trades ${row.trade_id}: ${column}`;
  return {
    tradeId: row.trade_id,
    price: safe(row.price_ticks, what('price_ticks')),
    quantity: safe(row.quantity_lots, what('quantity_lots')),
    fee: safe(row.fee, what('fee')),
    feeAsset: side === 'buy' ? assets.base : assets.quote,
    liquidity: row.liquidity as Liquidity,
  };
}

export function userTradeOfRow(row: UserTradeRow, symbol: string, assets: MarketAssets): UserTradeRecord {
  const liquidity = row.liquidity as Liquidity;
  const takerSide = row.taker_side as Side;
  const side: Side = liquidity === 'taker' ? takerSide : takerSide === 'buy' ? 'sell' : 'buy';
  const what = (column: string) => `trades ${row.trade_id}: ${column}`;
  return {
    ...fillOfRow(row, side, assets),
    orderId: String(row.order_id),
    symbol,
    side,
    quoteQuantity: safe(row.quote_quantity, what('quote_quantity')),
    time: safe(row.time_ms, what('time_ms')),
  };
}

/** Where a page of a user's orders ends: the next page starts strictly after it. */
export interface OrderCursor {
  readonly createdAt: number;
  readonly orderId: string;
}

/** Above every stored (created_at_ms, order_id): the first page starts here. */
export const FIRST_PAGE: OrderCursor = {
  createdAt: Number.MAX_SAFE_INTEGER,
  orderId: '18446744073709551615',
};

/**
 * The lists' order, newest first: by creation time, then by order id, both descending (MySQL's
 * ORDER BY; Redis's sorted set by score, whose ties ZREVRANGE orders by id text, the same for ids
 * of one length: snowflakes of one millisecond are).
 */
export function newestFirst(a: OrderCursor, b: OrderCursor): number {
  return b.createdAt - a.createdAt || compareIntegerStrings(b.orderId, a.orderId);
}

/** A user's fills, newest first: by trade seq descending, the maker's side before the taker's. */
export function newestFillFirst(a: UserTradeRecord, b: UserTradeRecord): number {
  return seqOf(b) - seqOf(a) || liquidityRank(a) - liquidityRank(b);
}

function liquidityRank(trade: UserTradeRecord): number {
  return trade.liquidity === 'maker' ? 0 : 1;
}

function seqOf(trade: UserTradeRecord): number {
  return parseTradeId(trade.tradeId)?.seq ?? -1;
}

/** How far an order's life has gone: new, then partially filled, then final. Never goes back. */
const STAGE: Readonly<Record<OrderStatus, number>> = {
  new: 0,
  partially_filled: 1,
  filled: 2,
  canceled: 2,
  expired: 2,
  rejected: 2,
};

/**
 * Which of two states of one order is the later: > 0 when `a` is, < 0 when `b` is, 0 when they
 * cannot be told apart. The Redis record carries no version (ports.ts OrderRecord), so the record's
 * own progress stands in for the MySQL row's seq: every state change is made by a later command
 * (updatedAt, the command's stream time, never decreases), moves the status forward or fills more,
 * so these three never decrease along an order's life. Only two changes of one order within one
 * millisecond that fill nothing (an amend right after the place) compare equal; the caller then
 * prefers Redis, which the matcher writes first.
 */
export function compareProgress(a: OrderRecord, b: OrderRecord): number {
  return (
    a.updatedAt - b.updatedAt || STAGE[a.status] - STAGE[b.status] || a.filledQuantity - b.filledQuantity
  );
}

/** A canonical BIGINT UNSIGNED decimal: only those can name a stored order. */
export function isStoredId(id: string): boolean {
  return /^(0|[1-9]\d{0,19})$/.test(id) && BigInt(id) <= 2n ** 64n - 1n;
}

function safe(value: string | number, what: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || (typeof value === 'string' && String(n) !== value)) {
    throw new StoredRowError(`${what}: ${String(value)} is not a safe integer ≥ 0`);
  }
  return n;
}

function nullableSafe(value: string | number | null, what: string): number | null {
  return value === null ? null : safe(value, what);
}
