import type { RestingOrder } from './resting-order.ts';

/**
 * All resting orders at one price, oldest first, and a node of its side's red-black tree.
 * Keeping the tree links on the level itself (an intrusive tree) means adding a level allocates one
 * object, and the matching loop reaches the next order without any lookup.
 */
export class PriceLevel {
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;
  /** Sum of the remaining quantity of the level's orders, in lots. */
  totalQuantity = 0;
  orderCount = 0;

  left: PriceLevel;
  right: PriceLevel;
  parent: PriceLevel;
  red = true;

  /**
   * @param price in ticks
   * @param key   the tree's sort key: the price for asks, minus the price for bids, so that the best
   *              level of either side is its tree's minimum
   */
  constructor(
    readonly price: number,
    readonly key: number,
    nil: PriceLevel | null,
  ) {
    const self = nil ?? this;
    this.left = self;
    this.right = self;
    this.parent = self;
  }

  append(order: RestingOrder): void {
    order.level = this;
    order.next = null;
    order.prev = this.tail;
    if (this.tail === null) this.head = order;
    else this.tail.next = order;
    this.tail = order;
    this.totalQuantity += order.remaining;
    this.orderCount++;
  }

  /** Unlinks the order; its remaining quantity leaves the level's total. */
  unlink(order: RestingOrder): void {
    const { prev, next } = order;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    order.prev = null;
    order.next = null;
    order.level = null;
    this.totalQuantity -= order.remaining;
    this.orderCount--;
  }
}
