/**
 * A latency histogram in the manner of HdrHistogram: every sample is counted exactly, in a
 * log-linear array of buckets whose width is at most 1/128 of their value (values below 256 µs are
 * kept to the microsecond). A percentile is the highest value its bucket stands for (never below
 * the true one, at most 0.8 % above it), so a P99 read from it can be compared with an objective
 * without the sampling and decay of a reservoir. Fixed memory (~32 KB), O(1) record, mergeable, and
 * serializable sparsely so per-second histograms cross a process boundary cheaply.
 *
 * Values are integer microseconds; longer than MAX_VALUE_US (about 19 hours) counts as MAX_VALUE_US.
 */

/** Sub-buckets of the first, exact magnitude; each further magnitude has half as many, twice as wide. */
const SUB_BUCKETS = 256;
const SUB_BITS = 8;
const HALF = SUB_BUCKETS / 2;
const MAGNITUDES = 28;
export const MAX_VALUE_US = 2 ** (SUB_BITS + MAGNITUDES) - 1;
const BUCKETS = SUB_BUCKETS + MAGNITUDES * HALF;

/** The bucket of a value: its index in the counts array. */
export function bucketOf(valueUs: number): number {
  if (valueUs < SUB_BUCKETS) return valueUs;
  // valueUs in [256·2^(e−1), 256·2^e): its top 8 bits give the sub-bucket in [128, 256).
  const e = 32 - Math.clz32(Math.floor(valueUs / SUB_BUCKETS));
  return SUB_BUCKETS + (e - 1) * HALF + (Math.floor(valueUs / 2 ** e) - HALF);
}

/** The highest value that falls in the bucket (HdrHistogram's "highest equivalent value"). */
export function bucketUpperBound(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const e = Math.floor((index - SUB_BUCKETS) / HALF) + 1;
  const sub = ((index - SUB_BUCKETS) % HALF) + HALF;
  return (sub + 1) * 2 ** e - 1;
}

/** A histogram as plain JSON: the non-empty buckets as [index, count] pairs, and the exact extremes. */
export interface SparseHistogram {
  readonly buckets: ReadonlyArray<readonly [number, number]>;
  readonly count: number;
  readonly sumUs: number;
  readonly minUs: number;
  readonly maxUs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private min = Infinity;
  private max = 0;

  /** Records one sample (microseconds; rounded, negatives count as 0, huge ones as MAX_VALUE_US). */
  record(valueUs: number): void {
    const v = valueUs <= 0 ? 0 : valueUs >= MAX_VALUE_US ? MAX_VALUE_US : Math.round(valueUs);
    this.counts[bucketOf(v)]!++;
    this.total++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  get maxUs(): number {
    return this.total === 0 ? NaN : this.max;
  }

  get minUs(): number {
    return this.total === 0 ? NaN : this.min;
  }

  get meanUs(): number {
    return this.total === 0 ? NaN : this.sum / this.total;
  }

  /**
   * The value at or below which a fraction p (0..1) of the samples lie: the nearest-rank sample's
   * bucket upper bound, capped at the largest sample. NaN when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, p)) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketUpperBound(i), this.max);
    }
    return this.max;
  }

  /** Samples at or below valueUs, counting whole buckets (exact when valueUs ends a bucket). */
  countAtOrBelow(valueUs: number): number {
    let n = 0;
    const last = bucketOf(Math.max(0, Math.min(MAX_VALUE_US, Math.floor(valueUs))));
    for (let i = 0; i <= last; i++) n += this.counts[i]!;
    return n;
  }

  /** Adds every sample of another histogram to this one. */
  merge(other: LatencyHistogram): this {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.total > 0) {
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
    return this;
  }

  toSparse(): SparseHistogram {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return {
      buckets,
      count: this.total,
      sumUs: this.sum,
      minUs: this.total === 0 ? 0 : this.min,
      maxUs: this.max,
    };
  }

  static fromSparse(sparse: SparseHistogram): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [index, count] of sparse.buckets) {
      if (!Number.isInteger(index) || index < 0 || index >= BUCKETS) throw new Error(`bad bucket ${index}`);
      h.counts[index]! += count;
    }
    h.total = sparse.count;
    h.sum = sparse.sumUs;
    h.min = sparse.count === 0 ? Infinity : sparse.minUs;
    h.max = sparse.maxUs;
    return h;
  }
}

/** The usual summary of a histogram, in milliseconds. */
export interface LatencySummaryMs {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export function summarizeMs(h: LatencyHistogram): LatencySummaryMs {
  const ms = (us: number) => us / 1000;
  return {
    count: h.count,
    p50: ms(h.percentile(0.5)),
    p90: ms(h.percentile(0.9)),
    p99: ms(h.percentile(0.99)),
    p999: ms(h.percentile(0.999)),
    max: ms(h.maxUs),
    mean: ms(h.meanUs),
  };
}
