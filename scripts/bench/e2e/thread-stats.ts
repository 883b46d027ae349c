/**
 * What the matcher threads did over a measured window, from their own metrics
 * (thread-runtime-metrics.ts) in two scrapes: per thread index (summed over matcher processes), the
 * share of the window its event loop was busy, the share it spent in GC pauses, how many pauses
 * passed 20 ms, and the upper bound of the bucket of the longest one. The GC figures are what makes
 * the accept→matched tail (README, "End to end"), measured without instrumenting the code.
 */
import { METRICS } from '../../../src/observability/metric-names.ts';
import {
  counterBy,
  histogramDelta,
  histogramOf,
  type CumulativeHistogram,
  type Sample,
} from './prometheus.ts';

/** Pauses at or below this are not "long". */
export const LONG_PAUSE_SECONDS = 0.02;

export interface ThreadStats {
  readonly thread: string;
  /** Busy share of the window, 0..1 (1: one core saturated). */
  readonly busyShare: number;
  /** Share of the window in GC pauses, 0..1. */
  readonly gcShare: number;
  readonly gcPauses: number;
  /** Pauses longer than LONG_PAUSE_SECONDS. */
  readonly longPauses: number;
  /** Upper bound of the bucket of the longest pause, ms (Infinity: beyond the last bucket; 0: none). */
  readonly longestPauseBucketMs: number;
}

/** Observations above `bound` (a bucket bound of the histogram). */
function above(h: CumulativeHistogram, bound: number): number {
  const i = h.bounds.indexOf(bound);
  return i < 0 ? 0 : h.count - h.cumulative[i]!;
}

/** The upper bound of the lowest bucket that holds every observation, ms. */
function longestBucketMs(h: CumulativeHistogram): number {
  if (h.count === 0) return 0;
  const i = h.cumulative.findIndex((c) => c >= h.count);
  return i < 0 ? Infinity : h.bounds[i]! * 1000;
}

/** Per thread, sorted by index; empty when the scrapes have no thread metrics. */
export function threadStatsBetween(
  start: readonly Sample[],
  end: readonly Sample[],
  windowSeconds: number,
): ThreadStats[] {
  const busyStart = counterBy(start, METRICS.matcherThreadBusy, 'thread');
  const busyEnd = counterBy(end, METRICS.matcherThreadBusy, 'thread');
  return Object.keys(busyEnd)
    .sort((a, b) => Number(a) - Number(b))
    .map((thread) => {
      const gc = histogramDelta(
        histogramOf(start, METRICS.matcherThreadGcDuration, { thread }),
        histogramOf(end, METRICS.matcherThreadGcDuration, { thread }),
      );
      // A thread restarted in the window starts again from 0: its busy time is then the end's.
      const busy = busyEnd[thread]! - (busyStart[thread] ?? 0);
      return {
        thread,
        busyShare: (busy >= 0 ? busy : busyEnd[thread]!) / windowSeconds,
        gcShare: gc.sum / windowSeconds,
        gcPauses: gc.count,
        longPauses: above(gc, LONG_PAUSE_SECONDS),
        longestPauseBucketMs: longestBucketMs(gc),
      };
    });
}
