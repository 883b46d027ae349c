/**
 * The retry policy of one flush (DESIGN.md §5): a deadlock (1213) or a lock-wait timeout (1205) is
 * retried up to `maxRetries` times after an exponential, jittered backoff; any other error ends the
 * flush at once. The attempt itself rolls back before it fails: InnoDB rolls a deadlock victim back
 * on its own, but a lock-wait timeout only undoes the statement and leaves the transaction open.
 */

export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_LOCK_DEADLOCK = 1213;

export interface RetryPolicy {
  /** Retries after the first attempt, so a flush makes at most maxRetries + 1 attempts. */
  readonly maxRetries: number;
  /** The first retry waits about this long; each further retry doubles it. */
  readonly baseDelayMs: number;
  /** No wait is longer. */
  readonly maxDelayMs: number;
}

export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1), as Math.random. */
  readonly random: () => number;
}

/** `retried`: the errno of each failed attempt that was retried, in order. */
export type RetryOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number; readonly retried: readonly number[] }
  | {
      readonly ok: false;
      readonly error: unknown;
      readonly attempts: number;
      readonly retried: readonly number[];
    };

/** A deadlock or a lock-wait timeout: worth the same transaction again. */
export function isRetryable(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return errno === ER_LOCK_DEADLOCK || errno === ER_LOCK_WAIT_TIMEOUT;
}

/**
 * The wait before retry number `retry` (1-based): half of `base × 2^(retry-1)` (capped) plus a
 * random part up to the other half, so retries of colliding writers spread out but never shrink
 * to nothing.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/** Runs `attempt` (given its 1-based number) until it succeeds, fails for good or runs out of retries. */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<RetryOutcome<T>> {
  const retried: number[] = [];
  for (let attempts = 1; ; attempts++) {
    try {
      return { ok: true, value: await attempt(attempts), attempts, retried };
    } catch (error) {
      if (!isRetryable(error) || attempts > policy.maxRetries) return { ok: false, error, attempts, retried };
      retried.push((error as { errno: number }).errno);
      await deps.sleep(backoffDelay(attempts, policy, deps.random));
    }
  }
}
