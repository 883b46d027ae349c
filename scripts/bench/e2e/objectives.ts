/**
 * The objectives of issue 6 and their verdict on one measured run. A latency objective read from
 * the system's Prometheus histograms passes when the bucket holding the P99 ends at or below the
 * target (every target here is a bucket bound, so the verdict is exact); one that could not be
 * measured (no metrics) is neither met nor broken, and a run with one is not a pass.
 */

export const TARGETS = {
  ackP99Ms: 50,
  matchedP99Ms: 100,
  persistedP99Ms: 1000,
  /** Answered without error per second, as a share of the offered rate. */
  achievedShare: 0.99,
} as const;

export interface ObjectiveInput {
  readonly offeredPerSec: number;
  readonly achievedPerSec: number;
  readonly errors: number;
  readonly ackP99Ms: number;
  /** The P99 from the matchers' histograms: interpolated, and the upper bound of its bucket; null unmeasured. */
  readonly matchedP99: { readonly ms: number; readonly bucketMs: number } | null;
  readonly persistedP99: { readonly ms: number; readonly bucketMs: number } | null;
  /**
   * accept→persisted samples the matchers dropped in the window (their queue was full): the P99
   * then misses the oldest entries, so it cannot pass.
   */
  readonly persistedDropped?: number;
}

export interface ObjectiveResult {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  /** null: could not be measured. */
  readonly pass: boolean | null;
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 100
    ? `${value.toFixed(0)} ms`
    : value >= 10
      ? `${value.toFixed(1)} ms`
      : `${value.toFixed(2)} ms`;
}

function fromHistogram(
  name: string,
  p99: { readonly ms: number; readonly bucketMs: number } | null,
  targetMs: number,
): ObjectiveResult {
  if (p99 === null || Number.isNaN(p99.ms)) {
    return { name, target: `≤ ${ms(targetMs)}`, measured: 'not measured', pass: null };
  }
  const bucket = Number.isFinite(p99.bucketMs) ? `≤ ${ms(p99.bucketMs)}` : `> ${ms(p99.ms)}`;
  return {
    name,
    target: `≤ ${ms(targetMs)}`,
    measured: `${ms(p99.ms)} (bucket ${bucket})`,
    pass: p99.bucketMs <= targetMs,
  };
}

function withDrops(result: ObjectiveResult, dropped: number): ObjectiveResult {
  if (dropped <= 0) return result;
  return { ...result, measured: `${result.measured}, ${dropped} samples dropped`, pass: false };
}

export function evaluateObjectives(input: ObjectiveInput): ObjectiveResult[] {
  const share = input.offeredPerSec > 0 ? input.achievedPerSec / input.offeredPerSec : NaN;
  return [
    {
      name: 'ack P99',
      target: `≤ ${ms(TARGETS.ackP99Ms)}`,
      measured: ms(input.ackP99Ms),
      pass: Number.isFinite(input.ackP99Ms) ? input.ackP99Ms <= TARGETS.ackP99Ms : false,
    },
    fromHistogram('accept→matched P99', input.matchedP99, TARGETS.matchedP99Ms),
    withDrops(
      fromHistogram('accept→persisted P99', input.persistedP99, TARGETS.persistedP99Ms),
      input.persistedDropped ?? 0,
    ),
    { name: 'errors', target: '0', measured: String(input.errors), pass: input.errors === 0 },
    {
      name: 'achieved / offered',
      target: `≥ ${(TARGETS.achievedShare * 100).toFixed(0)} %`,
      measured: Number.isFinite(share) ? `${(share * 100).toFixed(2)} %` : '-',
      pass: Number.isFinite(share) && share >= TARGETS.achievedShare,
    },
  ];
}

/** All met (an unmeasured objective is not met). */
export function allMet(results: readonly ObjectiveResult[]): boolean {
  return results.every((r) => r.pass === true);
}

/** The highest rate among steps that met every objective, in the order they ran; null: none did. */
export function highestPassingRate(steps: ReadonlyArray<{ rate: number; pass: boolean }>): number | null {
  let best: number | null = null;
  for (const s of steps) if (s.pass && (best === null || s.rate > best)) best = s.rate;
  return best;
}
