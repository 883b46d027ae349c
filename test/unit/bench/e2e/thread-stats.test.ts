import { expect } from 'chai';
import { parseExposition } from '../../../../scripts/bench/e2e/prometheus.ts';
import { threadStatsBetween } from '../../../../scripts/bench/e2e/thread-stats.ts';
import { METRICS } from '../../../../src/observability/metric-names.ts';

const BOUNDS = ['0.005', '0.02', '0.05', '+Inf'];

/** A matcher process's scrape: per thread, busy seconds and minor-GC buckets (cumulative), sum. */
function scrape(threads: Record<string, { busy: number; buckets: number[]; sum: number }>): string {
  const gc = METRICS.matcherThreadGcDuration;
  const lines = [`# TYPE ${METRICS.matcherThreadBusy} counter`, `# TYPE ${gc} histogram`];
  for (const [thread, t] of Object.entries(threads)) {
    lines.push(`${METRICS.matcherThreadBusy}{thread="${thread}"} ${t.busy}`);
    t.buckets.forEach((c, i) =>
      lines.push(`${gc}_bucket{le="${BOUNDS[i]}",thread="${thread}",kind="minor"} ${c}`),
    );
    lines.push(`${gc}_sum{thread="${thread}",kind="minor"} ${t.sum}`);
    lines.push(`${gc}_count{thread="${thread}",kind="minor"} ${t.buckets.at(-1)}`);
  }
  return lines.join('\n');
}

describe('bench:e2e matcher thread stats', () => {
  it('gives each thread its busy share, GC share, pauses over 20 ms and the longest pause bucket', () => {
    const start = parseExposition(
      scrape({
        '0': { busy: 3, buckets: [10, 12, 12, 12], sum: 0.1 },
        '1': { busy: 1, buckets: [5, 5, 5, 5], sum: 0.01 },
      }),
    );
    const end = parseExposition(
      scrape({
        '0': { busy: 9, buckets: [100, 130, 134, 134], sum: 1.1 },
        '1': { busy: 1.5, buckets: [9, 9, 9, 9], sum: 0.02 },
      }),
    );
    const stats = threadStatsBetween(start, end, 10);
    expect(stats).to.have.length(2);
    const [zero, one] = stats;
    expect(zero!.thread).to.equal('0');
    expect(zero!.busyShare).to.be.closeTo(0.6, 1e-9);
    expect(zero!.gcShare).to.be.closeTo(0.1, 1e-9);
    expect(zero!.gcPauses).to.equal(122);
    expect(zero!.longPauses).to.equal(4);
    expect(zero!.longestPauseBucketMs).to.equal(50);
    expect(one!.busyShare).to.be.closeTo(0.05, 1e-9);
    expect(one!.gcPauses).to.equal(4);
    expect(one!.longPauses).to.equal(0);
    expect(one!.longestPauseBucketMs).to.equal(5);
  });

  it('reads a pause beyond the last bucket as unbounded, and a thread restarted in the window from 0', () => {
    const start = parseExposition(scrape({ '0': { busy: 50, buckets: [0, 0, 0, 0], sum: 0 } }));
    const end = parseExposition(scrape({ '0': { busy: 2, buckets: [0, 0, 0, 1], sum: 0.2 } }));
    const [zero] = threadStatsBetween(start, end, 4);
    expect(zero!.busyShare).to.equal(0.5);
    expect(zero!.longPauses).to.equal(1);
    expect(zero!.longestPauseBucketMs).to.equal(Infinity);
  });

  it('is empty for scrapes without thread metrics (an older system)', () => {
    expect(threadStatsBetween([], [], 10)).to.deep.equal([]);
  });
});
