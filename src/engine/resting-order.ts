import type { OrderView, SelfTradePrevention, Side, TimeInForce } from './types.ts';
import type { PriceLevel } from './price-level.ts';

/**
 * An order inside the fast book. It is its own list node twice over: in the FIFO of its price level
 * (prev/next) and in its user's list of resting orders (userPrev/userNext), so removing it from either
 * is O(1) and allocates nothing. Takers use the same object, so an order that rests costs one allocation.
 */
export class RestingOrder {
  prev: RestingOrder | null = null;
  next: RestingOrder | null = null;
  level: PriceLevel | null = null;
  userPrev: RestingOrder | null = null;
  userNext: RestingOrder | null = null;
  remaining: number;
  filled = 0;
  filledQuote = 0;
  entrySeq = 0;

  constructor(
    readonly orderId: string,
    readonly userId: number,
    readonly side: Side,
    public price: number,
    public quantity: number,
    readonly quoteLimit: number,
    readonly timeInForce: TimeInForce,
    readonly postOnly: boolean,
    readonly selfTradePrevention: SelfTradePrevention,
    readonly timestamp: number,
  ) {
    this.remaining = quantity;
  }

  toView(): OrderView {
    return {
      orderId: this.orderId,
      userId: this.userId,
      side: this.side,
      price: this.price,
      quantity: this.quantity,
      remainingQuantity: this.remaining,
      filledQuantity: this.filled,
      filledQuote: this.filledQuote,
      quoteLimit: this.quoteLimit,
      timeInForce: this.timeInForce,
      postOnly: this.postOnly,
      selfTradePrevention: this.selfTradePrevention,
      timestamp: this.timestamp,
      entrySeq: this.entrySeq,
    };
  }
}
