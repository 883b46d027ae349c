/** Percentiles, medians and number formatting for the benchmark report. */

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  readonly count: number;
}

/** Nearest-rank percentile (p in 0..1) of an ascending array: the smallest value with p of them at or below. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Sorts the samples in place (typed-array sort is numeric) and summarizes them. */
export function summarize(samples: Float64Array): LatencySummary {
  samples.sort();
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]!;
  return {
    p50: percentile(samples, 0.5),
    p99: percentile(samples, 0.99),
    p999: percentile(samples, 0.999),
    max: samples.length > 0 ? samples[samples.length - 1]! : NaN,
    mean: samples.length > 0 ? sum / samples.length : NaN,
    count: samples.length,
  };
}

/** The median of each field over several rounds' summaries. */
export function medianSummary(rounds: readonly LatencySummary[]): LatencySummary {
  const field = (key: keyof LatencySummary): number => median(rounds.map((r) => r[key]));
  return {
    p50: field('p50'),
    p99: field('p99'),
    p999: field('p999'),
    max: field('max'),
    mean: field('mean'),
    count: field('count'),
  };
}

/** Splits per-op samples by op kind (kinds[i] in 0..kindCount-1) into one array per kind. */
export function splitByKind(samples: Float64Array, kinds: Uint8Array, kindCount: number): Float64Array[] {
  const counts = new Array<number>(kindCount).fill(0);
  for (let i = 0; i < samples.length; i++) counts[kinds[i]!]!++;
  const parts = counts.map((c) => new Float64Array(c));
  const fill = new Array<number>(kindCount).fill(0);
  for (let i = 0; i < samples.length; i++) {
    const k = kinds[i]!;
    parts[k]![fill[k]!++] = samples[i]!;
  }
  return parts;
}

/** 1234567.8 -> "1,234,568". */
export function formatInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

/** A ratio such as "12.3×", or "-" when it cannot be computed. */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/** Bytes with a unit: "312 B", "45.6 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '-';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}
