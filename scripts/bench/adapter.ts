/**
 * What the benchmark needs from an engine under test. Each adapter owns its timed loops, so that
 * every loop is monomorphic for its engine and the harness adds no dispatch of its own; everything
 * outside runBatch and runTimed (building the book, the prefill, the command objects) is untimed.
 *
 * Commands are built chunk by chunk right before they run, as a worker parses a batch read from its
 * stream: they die young, like the real ones. (Building a million of them up front would leave them
 * in the old generation, where every major collection during the timed runs would have to mark them.)
 */

export interface BookDepth {
  readonly bids: ReadonlyArray<readonly [number, number]>;
  readonly asks: ReadonlyArray<readonly [number, number]>;
}

export interface RunCheck {
  /** Rejected commands (our engine) or errors and unknown cancels (the peer): 0 in a valid run. */
  readonly errors: number;
  /** Events emitted (our engine) or orders reported done (the peer). */
  readonly outputs: number;
}

export interface EngineAdapter {
  readonly name: string;
  /** A fresh book with the workload's prefill applied, not kept by the adapter (for the heap measure). */
  build(): object;
  /** Makes a fresh book (build()) the one the runs below apply to. */
  reset(): void;
  /** Builds this engine's command objects for ops [from, to) of the workload, with fresh id strings. */
  load(from: number, to: number): void;
  /** Drops the book and the loaded commands, so that the next measurement starts from a clean heap. */
  release(): void;
  /** Applies the loaded ops back to back; returns the outputs seen (keeps the work observable). */
  runBatch(): number;
  /** Applies the loaded ops, writing the duration in nanoseconds of the i-th to ns[offset + i]. */
  runTimed(ns: Float64Array, offset: number): number;
  /** Applies the loaded ops, counting errors: the correctness pass (also the warm-up). */
  runChecked(): RunCheck;
  /** The whole book, aggregated by level, best first. */
  depth(): BookDepth;
}

/** True when two depths list the same levels with the same quantities. */
export function sameDepth(a: BookDepth, b: BookDepth): boolean {
  const same = (x: BookDepth['bids'], y: BookDepth['bids']): boolean =>
    x.length === y.length && x.every((level, i) => level[0] === y[i]![0] && level[1] === y[i]![1]);
  return same(a.bids, b.bids) && same(a.asks, b.asks);
}
