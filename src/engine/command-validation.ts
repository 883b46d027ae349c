import {
  isSafeNonNegativeInteger,
  isSafePositiveInteger,
  isSafeProduct,
  isSafeProduct3,
} from './integer-math.ts';
import type { AmendCommand, MarketRules, PlaceCommand, RejectReason } from './types.ts';

/**
 * The checks of a place or amend that need nothing but the command and the rules, in the order
 * docs/engine.md lists them. Commands arrive from a stream written by another process, so every field
 * is checked for its type too: a malformed entry is rejected, never thrown on.
 */

// Plain comparisons rather than Set lookups: this runs once per order on the hot path.
const validSide = (v: unknown) => v === 'buy' || v === 'sell';
const validOrderType = (v: unknown) => v === 'limit' || v === 'market';
const validTimeInForce = (v: unknown) => v === 'GTC' || v === 'IOC' || v === 'FOK';
const validStp = (v: unknown) =>
  v === 'expire_taker' || v === 'none' || v === 'expire_maker' || v === 'expire_both';

export function checkPlace(c: PlaceCommand, rules: MarketRules): RejectReason | null {
  const isMarket = c.orderType === 'market';
  if (
    !isSafePositiveInteger(c.userId) ||
    typeof c.orderId !== 'string' ||
    c.orderId.length === 0 ||
    !validSide(c.side) ||
    !validOrderType(c.orderType) ||
    !validTimeInForce(c.timeInForce) ||
    !validStp(c.selfTradePrevention) ||
    typeof c.postOnly !== 'boolean' ||
    !isSafeNonNegativeInteger(c.quoteLimit) ||
    (isMarket && (c.price !== 0 || c.timeInForce === 'GTC')) ||
    (c.postOnly && (isMarket || c.timeInForce !== 'GTC')) ||
    (c.quoteLimit > 0 && (c.side === 'sell' || !isMarket)) ||
    (isMarket && c.side === 'buy' && c.quantity === 0 && c.timeInForce === 'FOK')
  ) {
    return 'INVALID_ORDER';
  }
  if (!isMarket && !isSafePositiveInteger(c.price)) return 'INVALID_PRICE';
  if (!isSafeNonNegativeInteger(c.quantity)) return 'INVALID_QUANTITY';
  if (c.quantity === 0 && !(isMarket && c.side === 'buy' && c.quoteLimit > 0)) return 'INVALID_QUANTITY';
  if (!withinNotional(c.price, c.quantity, !isMarket, rules)) return 'NOTIONAL_TOO_LARGE';
  return null;
}

/** Checks of an amend that come after the order was found (its filled quantity is needed). */
export function checkAmend(
  c: AmendCommand,
  filledQuantity: number,
  currentPrice: number,
  currentQuantity: number,
  rules: MarketRules,
): RejectReason | null {
  if (!isSafeNonNegativeInteger(c.price)) return 'INVALID_PRICE';
  if (!isSafeNonNegativeInteger(c.quantity)) return 'INVALID_QUANTITY';
  if (c.price === 0 && c.quantity === 0) return 'INVALID_ORDER';
  const price = c.price || currentPrice;
  const quantity = c.quantity || currentQuantity;
  if (quantity <= filledQuantity) return 'INVALID_QUANTITY';
  if (!withinNotional(price, quantity, true, rules)) return 'NOTIONAL_TOO_LARGE';
  return null;
}

/** Check 4 of place: the order's own amounts stay exact. */
function withinNotional(price: number, quantity: number, isLimit: boolean, rules: MarketRules): boolean {
  if (!isSafeProduct(quantity, rules.baseUnitsPerLot)) return false;
  return !isLimit || isSafeProduct3(price, quantity, rules.quoteUnitsPerTickLot);
}

export function validFeePpm(value: unknown): boolean {
  return isSafeNonNegativeInteger(value) && value <= 1_000_000;
}
