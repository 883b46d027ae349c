/**
 * Open-loop load: request i is due at a fixed time, startMs + i / rate, whatever happened to the
 * requests before it. The driver sends every due request at once when it wakes up late (a slow
 * event loop, a timer's 1 ms granularity) instead of spacing them out again, and callers measure
 * latency from the due time, not from the moment the request left: a stalled server therefore shows
 * as high latency for every request that should have been sent meanwhile, not as a handful of slow
 * ones (no coordinated omission, Gil Tene's "How NOT to measure latency").
 */

export class Timetable {
  /**
   * @param ratePerSec requests per second, > 0
   * @param total requests in all
   * @param startMs when request 0 is due (same clock as the `now` given to dueBy)
   */
  constructor(
    readonly ratePerSec: number,
    readonly total: number,
    readonly startMs: number,
  ) {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError(`rate ${ratePerSec}`);
    if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total ${total}`);
  }

  /** When request i is due. */
  dueAt(i: number): number {
    return this.startMs + (i * 1000) / this.ratePerSec;
  }

  /** How many requests are due at nowMs (those with dueAt(i) <= nowMs), at most total. */
  dueBy(nowMs: number): number {
    if (nowMs < this.startMs) return 0;
    let n = Math.floor(((nowMs - this.startMs) * this.ratePerSec) / 1000) + 1;
    // Floating point may put a boundary request one off: settle it on dueAt itself.
    while (n > 0 && this.dueAt(n - 1) > nowMs) n--;
    while (n < this.total && this.dueAt(n) <= nowMs) n++;
    return Math.min(n, this.total);
  }

  /** When the last request is due (startMs when there is none). */
  get endMs(): number {
    return this.total === 0 ? this.startMs : this.dueAt(this.total - 1);
  }
}

export interface OpenLoopClock {
  now(): number;
  /** Calls fn after about ms milliseconds. */
  sleep(ms: number, fn: () => void): void;
}

export const REAL_CLOCK: OpenLoopClock = {
  now: () => performance.now(),
  sleep: (ms, fn) => void setTimeout(fn, ms),
};

/**
 * Sends every request of the timetable when it falls due: `send(i, dueAtMs)` is called once per
 * request, in order. Resolves once the last request has been handed to `send` (not answered).
 */
export function runOpenLoop(
  timetable: Timetable,
  send: (index: number, dueAtMs: number) => void,
  clock: OpenLoopClock = REAL_CLOCK,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    const tick = () => {
      try {
        const due = timetable.dueBy(clock.now());
        while (next < due) {
          send(next, timetable.dueAt(next));
          next++;
        }
        if (next >= timetable.total) {
          resolve();
          return;
        }
        clock.sleep(Math.max(0, timetable.dueAt(next) - clock.now()), tick);
      } catch (error) {
        reject(error as Error);
      }
    };
    tick();
  });
}
