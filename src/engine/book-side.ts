import { PriceLevel } from './price-level.ts';
import { PriceTree } from './price-tree.ts';
import type { RestingOrder } from './resting-order.ts';
import type { Side } from './types.ts';

/** One side of a book: its levels by price (O(1)) and in price order (the tree). */
export class BookSide {
  readonly tree = new PriceTree();
  private readonly levels = new Map<number, PriceLevel>();
  /** +1 for asks (low price first), −1 for bids (high price first): the tree key is price × direction. */
  private readonly direction: number;

  constructor(readonly side: Side) {
    this.direction = side === 'sell' ? 1 : -1;
  }

  /** The best level, or null. */
  get best(): PriceLevel | null {
    return this.tree.first;
  }

  /** Appends the order at the back of its price level, creating the level if needed. */
  add(order: RestingOrder): void {
    let level = this.levels.get(order.price);
    if (level === undefined) {
      level = new PriceLevel(order.price, order.price * this.direction, null);
      this.levels.set(order.price, level);
      this.tree.insert(level);
    }
    level.append(order);
  }

  /** Unlinks the order from its level and drops the level when it empties. */
  remove(order: RestingOrder): void {
    const level = order.level!;
    level.unlink(order);
    if (level.head === null) this.dropLevel(level);
  }

  dropLevel(level: PriceLevel): void {
    this.levels.delete(level.price);
    this.tree.remove(level);
  }

  /** Levels best first, at most `limit` of them. */
  *levelsBestFirst(limit = Infinity): Generator<PriceLevel> {
    let count = 0;
    for (let level = this.tree.first; level !== null && count < limit; level = this.tree.next(level)) {
      yield level;
      count++;
    }
  }
}
