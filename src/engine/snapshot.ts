import type { BookSnapshot, MarketRules, OrderView } from './types.ts';

/**
 * Canonical JSON of a snapshot: keys in one fixed order, orders in book order. Two books in the same
 * state, whatever their implementation, produce the same string and therefore the same hash.
 */
export function canonicalSnapshotJson(snapshot: BookSnapshot): string {
  const rules = canonicalRules(snapshot.rules);
  const bids = snapshot.bids.map(canonicalOrder);
  const asks = snapshot.asks.map(canonicalOrder);
  return JSON.stringify({
    version: snapshot.version,
    rules,
    sequence: snapshot.sequence,
    lastTimestamp: snapshot.lastTimestamp,
    bids,
    asks,
  });
}

function canonicalRules(rules: MarketRules): MarketRules {
  return {
    symbol: rules.symbol,
    baseUnitsPerLot: rules.baseUnitsPerLot,
    quoteUnitsPerTickLot: rules.quoteUnitsPerTickLot,
    makerFeePpm: rules.makerFeePpm,
    takerFeePpm: rules.takerFeePpm,
  };
}

function canonicalOrder(order: OrderView): OrderView {
  return {
    orderId: order.orderId,
    userId: order.userId,
    side: order.side,
    price: order.price,
    quantity: order.quantity,
    remainingQuantity: order.remainingQuantity,
    filledQuantity: order.filledQuantity,
    filledQuote: order.filledQuote,
    quoteLimit: order.quoteLimit,
    timeInForce: order.timeInForce,
    postOnly: order.postOnly,
    selfTradePrevention: order.selfTradePrevention,
    timestamp: order.timestamp,
    entrySeq: order.entrySeq,
  };
}

/**
 * FNV-1a, 64 bits, over the UTF-16 code units of `text`; 16 lowercase hex digits.
 * The 64-bit state is kept in four 16-bit limbs so that every product stays a small exact integer
 * (a snapshot of 100k orders is tens of megabytes: BigInt arithmetic would take seconds).
 * The prime is 2^40 + 0x1b3, i.e. limbs [0x1b3, 0, 0x100, 0].
 */
export function fnv1a64(text: string): string {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < text.length; i++) {
    h0 ^= text.charCodeAt(i);
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, '0')).join('');
}

export function hashSnapshot(snapshot: BookSnapshot): string {
  return fnv1a64(canonicalSnapshotJson(snapshot));
}
