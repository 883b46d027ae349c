import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { Counter, Histogram, type Registry } from 'prom-client';
import { METRICS } from './metric-names.ts';

/**
 * GC pauses run from a fraction of a millisecond (a small scavenge) to tens of milliseconds (a
 * scavenge of a busy 128 MB young generation, a mark-compact): the buckets cover both ends, and
 * the accept→matched objective (100 ms) is one of them.
 */
export const GC_PAUSE_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.2, 0.5, 1,
];

/** Label values of the `kind` label: V8's GC kinds as perf_hooks reports them. */
export const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb'] as const;
type GcKind = (typeof GC_KINDS)[number];

const KIND_OF_FLAG: ReadonlyMap<number, GcKind> = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/** The `kind` label of a perf_hooks `gc` entry (`detail.kind` since Node 16; `kind` before). */
export function gcKindOf(entry: PerformanceEntry): GcKind | undefined {
  const gc = entry as PerformanceEntry & { detail?: { kind?: number }; kind?: number };
  const flag = gc.detail?.kind ?? gc.kind;
  return flag === undefined ? undefined : KIND_OF_FLAG.get(flag);
}

/**
 * What a worker thread's own isolate does, which the process's default metrics cannot see:
 * prom-client's `nodejs_gc_duration_seconds` and event-loop figures come from perf_hooks, which
 * report the isolate they run in (the main thread's), while a matcher thread collects its own
 * garbage and runs its own loop. A matcher thread's GC pauses are what its accept→matched tail is
 * made of (README, "End to end"), and its busy share says how close it is to saturation, so each
 * thread reports both, labelled by its index (bounded by WORKER_THREADS):
 * - `exchange_matcher_thread_gc_duration_seconds{thread,kind}`: every GC pause of the thread;
 * - `exchange_matcher_thread_busy_seconds_total{thread}`: time its event loop spent running code
 *   (perf_hooks' event-loop utilization); its rate is the thread's busy share (1 = saturated).
 */
export class ThreadRuntimeMetrics {
  private readonly gcByKind = new Map<GcKind, Histogram.Internal<'thread' | 'kind'>>();
  private observer: PerformanceObserver | undefined;

  constructor(registry: Registry, thread: string) {
    const registers = [registry];
    const gcDuration = new Histogram({
      name: METRICS.matcherThreadGcDuration,
      help: "One garbage collection of a matcher thread's isolate, by V8 kind.",
      labelNames: ['thread', 'kind'],
      buckets: GC_PAUSE_BUCKETS_SECONDS,
      registers,
    });
    // Read at scrape time: the counter adds what the loop was active since the last scrape (the
    // first scrape counts from the loop's start).
    let countedMs = 0;
    new Counter({
      name: METRICS.matcherThreadBusy,
      help: "Seconds a matcher thread's event loop spent running code (not waiting for I/O).",
      labelNames: ['thread'],
      registers,
      collect() {
        const activeMs = performance.eventLoopUtilization().active;
        this.inc({ thread }, Math.max(0, activeMs - countedMs) / 1000);
        countedMs = activeMs;
      },
    }).inc({ thread }, 0);
    for (const kind of GC_KINDS) {
      gcDuration.zero({ thread, kind });
      this.gcByKind.set(kind, gcDuration.labels({ thread, kind }));
    }
  }

  /** Starts observing this isolate's GC; idempotent. */
  start(): this {
    if (this.observer !== undefined) return this;
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = gcKindOf(entry);
        if (kind !== undefined) this.gcByKind.get(kind)!.observe(entry.duration / 1000);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    return this;
  }

  /** Stops observing (a thread leaving). */
  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }
}
