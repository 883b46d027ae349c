/**
 * A FIFO of prepared requests: `fill` makes sure at least n wait (calling `make` for the missing
 * ones), `take` hands out the oldest, preparing one on the spot when the queue ran dry.
 */
export class RequestQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(private readonly make: () => T) {}

  get size(): number {
    return this.items.length - this.head;
  }

  fill(n: number): void {
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    while (this.size < n) this.items.push(this.make());
  }

  take(): T {
    if (this.size === 0) return this.make();
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    return item;
  }
}
