/** Messages between a matcher process and its threads (a discriminated union each way). */

/** Sent to a thread. */
export type ToMatcherThread = { readonly type: 'stop' } | { readonly type: 'status' };

/** Sent by a thread. */
export type FromMatcherThread =
  | { readonly type: 'ready'; readonly memberId: string }
  | { readonly type: 'status'; readonly memberId: string; readonly symbols: readonly string[] }
  | { readonly type: 'stopped'; readonly memberId: string }
  | { readonly type: 'failed'; readonly message: string };

export interface MatcherThreadData {
  readonly threadIndex: number;
}
