/**
 * The measurements: throughput (timers around whole chunks of ops, none per op), per-op latency (one
 * timer pair per op into a preallocated array, in a separate pass so that the timers do not slow the
 * throughput pass), and heap bytes per resting order. Every round starts from a fresh, prefilled book and a
 * collected heap, and runs the same ops, so rounds differ only by noise; the report takes medians.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BookDepth, EngineAdapter, RunCheck } from './adapter.ts';
import { median, medianSummary, splitByKind, summarize, type LatencySummary } from './stats.ts';

export type Gc = () => void;

/** The global gc(), from --expose-gc or, failing that, switched on at run time. */
export function exposeGc(): Gc {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as Gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Gc;
}

function now(): bigint {
  return process.hrtime.bigint();
}

/** Ops per chunk: big enough that the timer around a chunk costs nothing per op, small enough to stay young. */
export const CHUNK = 4096;

export interface ThroughputResult {
  /** Median over the rounds. */
  readonly opsPerSec: number;
  readonly rounds: readonly number[];
  /** Events (ours) or done orders (peer) per op: the work is the same in every round. */
  readonly outputsPerOp: number;
}

export interface LatencyResult {
  readonly all: LatencySummary;
  /** Indexed by op kind. */
  readonly byKind: readonly LatencySummary[];
}

export interface Measurement {
  readonly throughput: ThroughputResult;
  readonly latency: LatencyResult;
}

/** One throughput round: only the engine's calls are inside the timers (one pair per chunk, none per op). */
function throughputRound(adapter: EngineAdapter, n: number, gc: Gc): { opsPerSec: number; outputs: number } {
  adapter.reset();
  gc();
  let outputs = 0;
  let elapsed = 0n;
  for (let from = 0; from < n; from += CHUNK) {
    adapter.load(from, Math.min(n, from + CHUNK));
    const start = now();
    outputs += adapter.runBatch();
    elapsed += now() - start;
  }
  adapter.release();
  return { opsPerSec: n / (Number(elapsed) / 1e9), outputs };
}

/** One latency round: a timer pair around every op, into samples[0..n). */
function latencyRound(adapter: EngineAdapter, n: number, gc: Gc, samples: Float64Array): void {
  adapter.reset();
  gc();
  for (let from = 0; from < n; from += CHUNK) {
    adapter.load(from, Math.min(n, from + CHUNK));
    adapter.runTimed(samples, from);
  }
  adapter.release();
}

/** Throughput rounds, then latency rounds, of one engine on the first n ops; medians over the rounds. */
export function measure(
  adapter: EngineAdapter,
  n: number,
  rounds: number,
  gc: Gc,
  kinds: Uint8Array,
  kindCount: number,
): Measurement {
  const speeds: number[] = [];
  let outputs = 0;
  for (let r = 0; r < rounds; r++) {
    const round = throughputRound(adapter, n, gc);
    speeds.push(round.opsPerSec);
    outputs = round.outputs;
  }
  const samples = new Float64Array(n);
  const all: LatencySummary[] = [];
  const byKind = Array.from({ length: kindCount }, (): LatencySummary[] => []);
  for (let r = 0; r < rounds; r++) {
    latencyRound(adapter, n, gc, samples);
    splitByKind(samples, kinds.subarray(0, n), kindCount).forEach((part, k) =>
      byKind[k]!.push(summarize(part)),
    );
    all.push(summarize(samples));
  }
  return {
    throughput: { opsPerSec: median(speeds), rounds: speeds, outputsPerOp: outputs / n },
    latency: { all: medianSummary(all), byKind: byKind.map(medianSummary) },
  };
}

/**
 * Heap a prefilled book holds, per resting order: heapUsed after a full collection with the books
 * built, minus before. The prefill's command objects are built one at a time and dropped, so what
 * remains is the book: its orders, levels, indexes and the id strings it keeps. Small books are
 * built several times over (some 300 000 orders in all) so that the heap's own noise (code,
 * feedback vectors, a few hundred kilobytes) does not count per order.
 */
export function measureHeapPerOrder(adapter: EngineAdapter, resting: number, gc: Gc): number {
  const copies = Math.max(1, Math.ceil(300_000 / resting));
  adapter.release();
  adapter.build(); // once unmeasured, so that lazily compiled code and feedback exist already
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const books: object[] = [];
  for (let i = 0; i < copies; i++) books.push(adapter.build());
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (books.length !== copies) throw new Error('unreachable: keeps the books alive until measured');
  return (after - before) / (resting * copies);
}

export interface CheckedRun extends RunCheck {
  /** Ops applied: fewer than asked when the time ran out. */
  readonly ops: number;
  /** The book after the run, to compare with the model's. */
  readonly depth: BookDepth;
}

/**
 * The correctness pass, which is also the warm-up: up to maxOps, stopping at the first chunk
 * boundary after `seconds` if given (that is how the slow peer's op count fits the time budget).
 */
export function checkedRun(adapter: EngineAdapter, maxOps: number, gc: Gc, seconds?: number): CheckedRun {
  adapter.reset();
  gc();
  const deadline = seconds === undefined ? undefined : now() + BigInt(Math.round(seconds * 1e9));
  let errors = 0;
  let outputs = 0;
  let ops = 0;
  while (ops < maxOps && (deadline === undefined || now() < deadline)) {
    const to = Math.min(maxOps, ops + CHUNK);
    adapter.load(ops, to);
    const check = adapter.runChecked();
    errors += check.errors;
    outputs += check.outputs;
    ops = to;
  }
  const depth = adapter.depth();
  adapter.release();
  return { ops, errors, outputs, depth };
}

/** Median cost of one timer pair around nothing: what every latency sample includes on top of the op. */
export function timerOverheadNs(): number {
  const samples = new Float64Array(200_000);
  for (let i = 0; i < samples.length; i++) {
    const start = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - start);
  }
  return summarize(samples).p50;
}
