/**
 * A deliberately small price-time book that the workload generator runs while it generates, so that
 * every cancel it emits names an order that rests *at that moment* and aggressive prices are taken
 * from the live best bid and ask. It knows only what the workload uses: GTC limit orders, market
 * orders by quantity and cancels, without self-trade prevention, fees or validation, which is exactly
 * where the engine and nodejs-order-book agree; the benchmark checks after each run that both engines
 * end with the depth this model predicts.
 *
 * Orders are numbered 0, 1, 2... by the generator and kept in typed arrays indexed by that number.
 * A cancel marks the order dead; the level's FIFO skips dead entries lazily.
 */

export const BUY = 0;
export const SELL = 1;

interface ModelLevel {
  readonly price: number;
  qty: number;
  count: number;
  /** Order numbers in time priority; entries before `head`, and dead ones, are skipped. */
  queue: number[];
  head: number;
}

/** Drops the consumed head of a level's FIFO once it is most of the array. */
function compact(level: ModelLevel): void {
  if (level.head > 64 && level.head * 2 > level.queue.length) {
    level.queue = level.queue.slice(level.head);
    level.head = 0;
  }
}

class ModelSide {
  readonly levels = new Map<number, ModelLevel>();
  /** Resting orders on this side. */
  count = 0;
  best = 0;

  /** +1 for asks (worse = higher), -1 for bids (worse = lower). */
  constructor(readonly dir: 1 | -1) {}

  add(order: number, price: number, qty: number): void {
    let level = this.levels.get(price);
    if (level === undefined) {
      level = { price, qty: 0, count: 0, queue: [], head: 0 };
      this.levels.set(price, level);
    }
    level.queue.push(order);
    level.qty += qty;
    level.count++;
    if (this.count === 0 || (price - this.best) * this.dir < 0) this.best = price;
    this.count++;
  }

  /** Takes `qty` out of the level at `price`; drops the level and moves `best` when it empties. */
  take(level: ModelLevel, qty: number, orderLeft: boolean): void {
    level.qty -= qty;
    if (orderLeft) return;
    level.count--;
    this.count--;
    if (level.count > 0) return;
    this.levels.delete(level.price);
    if (this.count > 0 && level.price === this.best) this.findBest();
  }

  private findBest(): void {
    // Levels are dense near the top, so stepping tick by tick is short; fall back to a full scan.
    for (let p = this.best + this.dir, i = 0; i < 256; p += this.dir, i++) {
      if (this.levels.has(p)) {
        this.best = p;
        return;
      }
    }
    let best = NaN;
    for (const p of this.levels.keys()) if (Number.isNaN(best) || (p - best) * this.dir < 0) best = p;
    this.best = best;
  }
}

export class ModelBook {
  private readonly sides = [new ModelSide(-1), new ModelSide(1)] as const;
  private readonly remaining: Int32Array;
  private readonly price: Int32Array;
  private readonly side: Uint8Array;
  /** Index of each resting order in `resting`, or -1. */
  private readonly position: Int32Array;
  /** The resting orders, unordered (swap-remove), for picking a uniformly random one. */
  private readonly resting: Int32Array;
  private restingCount = 0;
  /** When each order came to rest (a counter): its time priority. */
  private readonly restedAt: Float64Array;
  private rests = 0;
  /** Maker orders that a taker filled completely (they left the book). */
  makersFilled = 0;
  /** Fills (one per maker touched). */
  trades = 0;

  constructor(capacity: number) {
    this.remaining = new Int32Array(capacity);
    this.price = new Int32Array(capacity);
    this.side = new Uint8Array(capacity);
    this.position = new Int32Array(capacity).fill(-1);
    this.resting = new Int32Array(capacity);
    this.restedAt = new Float64Array(capacity);
  }

  get size(): number {
    return this.restingCount;
  }

  /** Best price of a side, or undefined when it is empty. */
  best(side: number): number | undefined {
    const s = this.sides[side]!;
    return s.count > 0 ? s.best : undefined;
  }

  isResting(order: number): boolean {
    return this.position[order]! >= 0;
  }

  /** The n-th resting order in the unordered index (0 <= n < size). */
  restingAt(n: number): number {
    return this.resting[n]!;
  }

  /**
   * The resting orders, oldest first. Placing them in this order as plain limit orders (none of them
   * crosses) rebuilds this very book: the same levels, the same queues, the same remaining quantities.
   */
  restingInTimeOrder(): Array<{ order: number; side: number; price: number; remaining: number }> {
    return Array.from(this.resting.subarray(0, this.restingCount))
      .sort((a, b) => this.restedAt[a]! - this.restedAt[b]!)
      .map((order) => ({
        order,
        side: this.side[order]!,
        price: this.price[order]!,
        remaining: this.remaining[order]!,
      }));
  }

  /** A limit order (price > 0) or a market order (price 0): match, then rest what a limit has left. */
  place(order: number, side: number, price: number, qty: number): void {
    const opposite = this.sides[1 - side]!;
    let left = qty;
    while (left > 0 && opposite.count > 0) {
      if (price > 0 && (opposite.best - price) * opposite.dir > 0) break;
      const level = opposite.levels.get(opposite.best)!;
      let maker = level.queue[level.head]!;
      while (this.position[maker]! < 0) maker = level.queue[++level.head]!;
      const lots = Math.min(left, this.remaining[maker]!);
      left -= lots;
      this.remaining[maker]! -= lots;
      this.trades++;
      const makerLeft = this.remaining[maker]! > 0;
      if (!makerLeft) {
        this.unrest(maker);
        level.head++;
        this.makersFilled++;
        compact(level);
      }
      opposite.take(level, lots, makerLeft);
    }
    if (left > 0 && price > 0) this.rest(order, side, price, left);
  }

  cancel(order: number): void {
    const s = this.sides[this.side[order]!]!;
    const level = s.levels.get(this.price[order]!)!;
    this.unrest(order);
    s.take(level, this.remaining[order]!, false);
    compact(level);
  }

  /** Aggregated levels best first, as MatchingBook.depth returns them. */
  depth(): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
    const levels = (s: ModelSide): Array<[number, number]> =>
      [...s.levels.values()]
        .map((l): [number, number] => [l.price, l.qty])
        .sort((x, y) => (x[0] - y[0]) * s.dir);
    return { bids: levels(this.sides[BUY]), asks: levels(this.sides[SELL]) };
  }

  levelCount(): number {
    return this.sides[BUY].levels.size + this.sides[SELL].levels.size;
  }

  private rest(order: number, side: number, price: number, qty: number): void {
    this.remaining[order] = qty;
    this.restedAt[order] = this.rests++;
    this.price[order] = price;
    this.side[order] = side;
    this.position[order] = this.restingCount;
    this.resting[this.restingCount++] = order;
    this.sides[side]!.add(order, price, qty);
  }

  private unrest(order: number): void {
    const at = this.position[order]!;
    const last = this.resting[--this.restingCount]!;
    this.resting[at] = last;
    this.position[last] = at;
    this.position[order] = -1;
  }
}
