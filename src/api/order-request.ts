/**
 * Validated request bodies into engine commands: decimal strings into ticks, lots and quote units,
 * defaults filled in, and every rule the engine would reject an order for checked here first, so
 * that a bad order is a synchronous 400 and never reaches the stream (the callers call no port
 * before these functions return). The schemas (schemas/orders.ts) have already checked types,
 * enums, string lengths and unknown fields; what needs the market or several fields at once is here.
 */
import type { OrderType, SelfTradePrevention, Side, TimeInForce } from '../engine/types.ts';
import {
  assertMinNotional,
  MarketError,
  notionalQuoteUnits,
  priceToTicks,
  quantityToLots,
  quoteToUnits,
  type CompiledMarket,
} from '../markets/market-rules.ts';
import { DecimalError, MAX_SAFE_BIGINT, parseUnits } from '../money/decimal.ts';
import { ApiError } from './errors.ts';
import type { OrderRecord, OrderStatus, PlaceIntent, Unstamped } from './ports.ts';
import type { AmendCommand } from '../engine/types.ts';
import { DEFAULT_LIMIT } from './schemas/common.ts';

export interface PlaceOrderBody {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly price?: string;
  readonly quantity?: string;
  readonly quoteQuantity?: string;
  readonly timeInForce?: TimeInForce;
  readonly postOnly?: boolean;
  readonly selfTradePrevention?: SelfTradePrevention;
  readonly clientOrderId?: string;
}

export interface AmendOrderBody {
  readonly price?: string;
  readonly quantity?: string;
}

function invalid(message: string): never {
  throw new ApiError('VALIDATION_ERROR', message);
}

/** Runs a market-rules conversion, turning its MarketError into the API error of the same code. */
export function convert<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof MarketError) throw new ApiError(error.code, error.message, { cause: error });
    throw error;
  }
}

function assertTrading(market: CompiledMarket): void {
  if (market.definition.status !== 'trading') {
    throw new ApiError('MARKET_HALTED', `market ${market.definition.symbol} is halted`);
  }
}

/** The engine's check 4 (NOTIONAL_TOO_LARGE), made here so that it is a 400 and not a rejected order. */
function assertWithinSafeRange(market: CompiledMarket, price: number, lots: number): void {
  if (BigInt(lots) * BigInt(market.rules.baseUnitsPerLot) > MAX_SAFE_BIGINT) {
    throw new ApiError('INVALID_QUANTITY', `quantity is too large on ${market.definition.symbol}`);
  }
  if (price > 0 && notionalQuoteUnits(market, price, lots) > MAX_SAFE_BIGINT) {
    throw new ApiError('INVALID_QUANTITY', `order value is too large on ${market.definition.symbol}`);
  }
}

/** Which fields each kind of order takes; the first broken rule is the message. */
function checkShape(body: PlaceOrderBody, timeInForce: TimeInForce, postOnly: boolean): void {
  const has = (field: 'price' | 'quantity' | 'quoteQuantity') => body[field] !== undefined;
  if (body.type === 'limit') {
    if (!has('price')) invalid('a limit order needs a price');
    if (!has('quantity')) invalid('a limit order needs a quantity');
    if (has('quoteQuantity')) invalid('quoteQuantity is only for market buys');
    if (postOnly && timeInForce !== 'GTC') invalid('postOnly needs timeInForce GTC');
    return;
  }
  if (has('price')) invalid('a market order takes no price');
  if (timeInForce === 'GTC') invalid('a market order cannot rest: timeInForce must be IOC or FOK');
  if (postOnly) invalid('postOnly is only for GTC limit orders');
  if (body.side === 'sell') {
    if (!has('quantity')) invalid('a market sell needs a quantity');
    if (has('quoteQuantity')) invalid('quoteQuantity is only for market buys');
    return;
  }
  if (has('quantity') === has('quoteQuantity')) {
    invalid('a market buy needs exactly one of quantity and quoteQuantity');
  }
  if (has('quoteQuantity') && timeInForce === 'FOK') {
    invalid('a market buy by quoteQuantity cannot be FOK: spend-up-to has no complete fill');
  }
}

/**
 * A place body into the command the intake appends (the stream entry gives it its timestamp).
 * A market buy by base quantity goes out with quoteLimit 0: its budget is the balance the matcher
 * holds for it (docs/balances.md, hold mode `all`). Throws ApiError; calls nothing.
 */
export function toPlaceIntent(
  body: PlaceOrderBody,
  market: CompiledMarket,
  ids: { readonly orderId: string; readonly userId: number },
): PlaceIntent {
  const isLimit = body.type === 'limit';
  const timeInForce = body.timeInForce ?? (isLimit ? 'GTC' : 'IOC');
  const postOnly = body.postOnly ?? false;
  checkShape(body, timeInForce, postOnly);

  const price = isLimit ? convert(() => priceToTicks(market, body.price)) : 0;
  const quantity = body.quantity === undefined ? 0 : convert(() => quantityToLots(market, body.quantity));
  const quoteLimit =
    body.quoteQuantity === undefined ? 0 : convert(() => quoteToUnits(market, body.quoteQuantity));
  assertWithinSafeRange(market, price, quantity);
  if (isLimit) convert(() => assertMinNotional(market, notionalQuoteUnits(market, price, quantity)));
  // A market order by base quantity has no price to value it at: the engine bounds it by funds.
  if (quoteLimit > 0) convert(() => assertMinNotional(market, quoteLimit));
  assertTrading(market);

  return {
    type: 'place',
    orderId: ids.orderId,
    userId: ids.userId,
    side: body.side,
    orderType: body.type,
    price,
    quantity,
    quoteLimit,
    timeInForce,
    postOnly,
    selfTradePrevention: body.selfTradePrevention ?? 'expire_taker',
    clientOrderId: body.clientOrderId ?? null,
  };
}

/**
 * An amend body into an amend command (0 keeps a value, as the engine reads it). The minimum
 * notional is checked when both the price and the quantity are known, from the body or from the
 * order as the read model has it; the engine checks the rest (the order rests, the new quantity is
 * above the filled one).
 */
export function toAmendIntent(
  body: AmendOrderBody,
  market: CompiledMarket,
  ids: { readonly orderId: string; readonly userId: number },
  current: OrderRecord | undefined,
): Unstamped<AmendCommand> {
  if (body.price === undefined && body.quantity === undefined) invalid('give a new price, quantity or both');
  const price = body.price === undefined ? 0 : convert(() => priceToTicks(market, body.price));
  const quantity = body.quantity === undefined ? 0 : convert(() => quantityToLots(market, body.quantity));
  const effectivePrice = price || (current?.price ?? 0);
  const effectiveQuantity = quantity || (current?.quantity ?? 0);
  assertWithinSafeRange(market, effectivePrice, effectiveQuantity);
  if (effectivePrice > 0 && effectiveQuantity > 0) {
    convert(() => assertMinNotional(market, notionalQuoteUnits(market, effectivePrice, effectiveQuantity)));
  }
  assertTrading(market);
  return { type: 'amend', orderId: ids.orderId, userId: ids.userId, price, quantity };
}

/** Balances count in 64-bit integers (HINCRBY, docs/balances.md): the largest amount one operation may move. */
export const MAX_ASSET_UNITS = 2n ** 63n - 1n;

/** A deposit or withdrawal amount into the asset's smallest units; INVALID_QUANTITY otherwise. */
export function toAssetUnits(text: string, precision: number): bigint {
  try {
    return parseUnits(text, precision, { max: MAX_ASSET_UNITS });
  } catch (error) {
    if (error instanceof DecimalError) {
      throw new ApiError('INVALID_QUANTITY', `amount: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** `limit` query value (already matched against its pattern) or the default. */
export function limitOf(text: string | undefined): number {
  return text === undefined ? DEFAULT_LIMIT : Number(text);
}

export function waitOf(text: string | undefined): boolean {
  return text === 'true';
}

/** The `status` filter of GET /v1/orders: `open` is the two resting statuses. */
export function statusesOf(filter: string | undefined): OrderStatus[] | undefined {
  if (filter === undefined) return undefined;
  return filter === 'open' ? ['new', 'partially_filled'] : [filter as OrderStatus];
}
