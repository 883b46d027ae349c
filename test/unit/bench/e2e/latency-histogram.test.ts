import { expect } from 'chai';
import {
  bucketOf,
  bucketUpperBound,
  LatencyHistogram,
  MAX_VALUE_US,
  summarizeMs,
} from '../../../../scripts/bench/e2e/latency-histogram.ts';
import { Prng } from '../../../../scripts/bench/prng.ts';

/** Nearest-rank percentile of the exact samples. */
function exactPercentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

describe('bench:e2e latency histogram', () => {
  it('keeps values below 256 µs exact and every bucket within 1/128 of its values', () => {
    for (let v = 0; v < 256; v++) expect(bucketUpperBound(bucketOf(v))).to.equal(v);
    const rng = new Prng(7);
    for (let i = 0; i < 20_000; i++) {
      const v = rng.int(256, 2 ** 33);
      const upper = bucketUpperBound(bucketOf(v));
      expect(upper).to.be.at.least(v);
      expect((upper - v) / v).to.be.below(1 / 128);
    }
  });

  it('maps buckets in order, contiguous, up to the largest value', () => {
    let previous = -1;
    for (let i = 0; i <= bucketOf(MAX_VALUE_US); i++) {
      const upper = bucketUpperBound(i);
      expect(upper).to.be.above(previous);
      expect(bucketOf(previous + 1)).to.equal(i);
      expect(bucketOf(upper)).to.equal(i);
      previous = upper;
    }
    expect(previous).to.equal(MAX_VALUE_US);
  });

  it('gives percentiles at most one bucket above the exact nearest-rank sample, never below', () => {
    const rng = new Prng(42);
    const samples: number[] = [];
    const h = new LatencyHistogram();
    for (let i = 0; i < 50_000; i++) {
      // A long-tailed mix: most answers in a few ms, some in hundreds.
      const v = rng.chance(0.97) ? rng.int(300, 5_000) : rng.int(5_000, 400_000);
      samples.push(v);
      h.record(v);
    }
    for (const p of [0.5, 0.9, 0.99, 0.999, 1]) {
      const exact = exactPercentile(samples, p);
      const got = h.percentile(p);
      expect(got, `p${p}`).to.be.at.least(exact);
      expect((got - exact) / exact, `p${p}`).to.be.below(1 / 128);
    }
    expect(h.count).to.equal(50_000);
    expect(h.maxUs).to.equal(Math.max(...samples));
    expect(h.minUs).to.equal(Math.min(...samples));
    expect(h.meanUs).to.be.closeTo(samples.reduce((a, b) => a + b, 0) / samples.length, 1e-6);
  });

  it('counts exactly: the P99 of 99 fast samples and 1 slow one is fast, with 2 slow ones it is slow', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 99; i++) h.record(1_000);
    h.record(80_000);
    expect(h.percentile(0.99)).to.equal(bucketUpperBound(bucketOf(1_000)));
    h.record(80_000);
    expect(h.percentile(0.99)).to.equal(80_000);
    expect(h.countAtOrBelow(bucketUpperBound(bucketOf(1_000)))).to.equal(99);
    expect(summarizeMs(h).max).to.equal(80);
  });

  it('clamps negative and huge values, rounds fractions and is NaN when empty', () => {
    const h = new LatencyHistogram();
    expect(Number.isNaN(h.percentile(0.5))).to.equal(true);
    h.record(-5);
    h.record(2.6);
    h.record(1e15);
    expect(h.minUs).to.equal(0);
    expect(h.percentile(0.5)).to.equal(3);
    expect(h.maxUs).to.equal(MAX_VALUE_US);
  });

  it('merges and survives a sparse round trip unchanged', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) a.record(i * 37);
    for (let i = 1; i <= 500; i++) b.record(i * 1_001);
    const merged = new LatencyHistogram().merge(a).merge(b);
    expect(merged.count).to.equal(1500);
    expect(merged.maxUs).to.equal(500_500);
    const copy = LatencyHistogram.fromSparse(JSON.parse(JSON.stringify(merged.toSparse())));
    for (const p of [0.1, 0.5, 0.99, 1]) expect(copy.percentile(p)).to.equal(merged.percentile(p));
    expect(copy.meanUs).to.equal(merged.meanUs);
    expect(() => LatencyHistogram.fromSparse({ ...merged.toSparse(), buckets: [[1e9, 1]] })).to.throw(
      /bad bucket/,
    );
  });
});
