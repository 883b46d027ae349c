/**
 * Reading the system's own Prometheus metrics: a scrape in the text exposition format is parsed
 * into samples; a histogram family is summed over its series (every symbol, every matcher process)
 * into cumulative buckets; the difference of two scrapes, taken at the start and the end of the
 * measured window, holds exactly the observations made in between, and its quantiles are computed
 * as PromQL's histogram_quantile does (linear within the bucket). The bucket's upper bound is given
 * too: a P99 whose bucket ends at or below an objective met it, whatever the interpolation says.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescapeLabel(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Every sample of a scrape (comments and blank lines skipped; a malformed line throws). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) throw new Error(`unreadable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let m = LABEL.exec(body); m !== null; m = LABEL.exec(body)) {
      labels[m[1]!] = unescapeLabel(m[2]!);
      consumed = LABEL.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`unreadable labels: ${line}`);
    samples.push({ name: match[1]!, labels, value: parseValue(match[3]!) });
  }
  return samples;
}

/** A histogram summed over series: cumulative counts by upper bound (ascending, +Inf last). */
export interface CumulativeHistogram {
  readonly bounds: readonly number[];
  readonly cumulative: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export const EMPTY_HISTOGRAM: CumulativeHistogram = { bounds: [], cumulative: [], count: 0, sum: 0 };

/**
 * The family `name` (its _bucket, _count and _sum samples) summed over every series whose labels
 * include `filter` (all of them by default), across any number of scrapes' samples.
 */
export function histogramOf(
  samples: readonly Sample[],
  name: string,
  filter: Readonly<Record<string, string>> = {},
): CumulativeHistogram {
  const byBound = new Map<number, number>();
  let count = 0;
  let sum = 0;
  const wanted = (s: Sample) => Object.entries(filter).every(([k, v]) => s.labels[k] === v);
  for (const s of samples) {
    if (!wanted(s)) continue;
    if (s.name === `${name}_bucket`) {
      const bound = parseValue(s.labels.le ?? 'NaN');
      if (Number.isNaN(bound)) throw new Error(`${name}_bucket without a valid le label`);
      byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
    } else if (s.name === `${name}_count`) count += s.value;
    else if (s.name === `${name}_sum`) sum += s.value;
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, cumulative: bounds.map((b) => byBound.get(b)!), count, sum };
}

/** The observations made between two readings of the same histogram (end − start, per bucket). */
export function histogramDelta(start: CumulativeHistogram, end: CumulativeHistogram): CumulativeHistogram {
  const before = new Map(start.bounds.map((b, i) => [b, start.cumulative[i]!]));
  const cumulative = end.bounds.map((b, i) => Math.max(0, end.cumulative[i]! - (before.get(b) ?? 0)));
  return {
    bounds: end.bounds,
    cumulative,
    count: Math.max(0, end.count - start.count),
    sum: Math.max(0, end.sum - start.sum),
  };
}

export interface Quantile {
  /** Interpolated as histogram_quantile does; NaN without observations. */
  readonly value: number;
  /** The upper bound of the bucket the quantile falls in (Infinity: beyond the largest finite one). */
  readonly bucketUpperBound: number;
}

/** The q-quantile (0..1) of a histogram's observations. */
export function histogramQuantile(h: CumulativeHistogram, q: number): Quantile {
  const total = h.cumulative.length > 0 ? h.cumulative[h.cumulative.length - 1]! : 0;
  if (total === 0) return { value: NaN, bucketUpperBound: NaN };
  const rank = q * total;
  for (let i = 0; i < h.bounds.length; i++) {
    const upper = h.bounds[i]!;
    const cum = h.cumulative[i]!;
    if (cum < rank) continue;
    const lower = i === 0 ? 0 : h.bounds[i - 1]!;
    const below = i === 0 ? 0 : h.cumulative[i - 1]!;
    if (upper === Infinity) {
      // As Prometheus: beyond the largest finite bound, that bound is the best estimate.
      return { value: lower, bucketUpperBound: Infinity };
    }
    const inBucket = cum - below;
    const value = inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    return { value, bucketUpperBound: upper };
  }
  return { value: h.bounds.at(-2) ?? NaN, bucketUpperBound: Infinity };
}

/** A counter family summed per value of one label (e.g. outcome), as a plain object. */
export function counterBy(samples: readonly Sample[], name: string, label: string): Record<string, number> {
  const totals: Record<string, number> = {};
  const family = name.endsWith('_total') ? name : `${name}_total`;
  for (const s of samples) {
    if (s.name !== family) continue;
    const key = s.labels[label] ?? '';
    totals[key] = (totals[key] ?? 0) + s.value;
  }
  return totals;
}

/** b − a per key (keys of either). */
export function counterDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    delta[key] = (b[key] ?? 0) - (a[key] ?? 0);
  }
  return delta;
}
