/** Messages between a matcher process and its threads (a discriminated union each way). */
import type { MetricsSnapshot } from '../observability/matcher-metrics.ts';

/** Sent to a thread. */
export type ToMatcherThread =
  | { readonly type: 'stop' }
  | { readonly type: 'status' }
  /** A scrape: answer with the thread's registry (`getMetricsAsJSON()`) under the same requestId. */
  | { readonly type: 'metrics'; readonly requestId: number };

/** Sent by a thread. */
export type FromMatcherThread =
  | { readonly type: 'ready'; readonly memberId: string }
  | { readonly type: 'status'; readonly memberId: string; readonly symbols: readonly string[] }
  | { readonly type: 'metrics'; readonly requestId: number; readonly metrics: MetricsSnapshot }
  | { readonly type: 'stopped'; readonly memberId: string }
  | { readonly type: 'failed'; readonly message: string };

export interface MatcherThreadData {
  readonly threadIndex: number;
}
