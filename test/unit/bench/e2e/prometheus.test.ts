import { expect } from 'chai';
import {
  counterBy,
  counterDelta,
  histogramDelta,
  histogramOf,
  histogramQuantile,
  parseExposition,
} from '../../../../scripts/bench/e2e/prometheus.ts';

/** A scrape of two matcher threads' series (two symbols) of one histogram, as prom-client writes it. */
function scrape(a: number[], b: number[], extra = ''): string {
  const bounds = ['0.01', '0.05', '0.1', '1', '+Inf'];
  const lines = ['# HELP h_seconds accept to matched', '# TYPE h_seconds histogram'];
  for (const [symbol, counts] of [
    ['BTC-USDT', a],
    ['ETH-USDT', b],
  ] as const) {
    counts.forEach((c, i) => lines.push(`h_seconds_bucket{le="${bounds[i]}",symbol="${symbol}"} ${c}`));
    lines.push(`h_seconds_sum{symbol="${symbol}"} ${counts.at(-1)! * 0.02}`);
    lines.push(`h_seconds_count{symbol="${symbol}"} ${counts.at(-1)}`);
  }
  return `${lines.join('\n')}\n${extra}`;
}

describe('bench:e2e Prometheus histograms', () => {
  it('parses samples, labels with escapes, and special values', () => {
    const samples = parseExposition(
      [
        '# a comment',
        'plain 3',
        'with_ts{a="x"} 4 1700000000000',
        'escaped{path="a\\"b\\\\c\\nd",other="y"} -1.5e-3',
        'inf{le="+Inf"} +Inf',
        '',
      ].join('\n'),
    );
    expect(samples).to.deep.equal([
      { name: 'plain', labels: {}, value: 3 },
      { name: 'with_ts', labels: { a: 'x' }, value: 4 },
      { name: 'escaped', labels: { path: 'a"b\\c\nd', other: 'y' }, value: -0.0015 },
      { name: 'inf', labels: { le: '+Inf' }, value: Infinity },
    ]);
    expect(() => parseExposition('bad line without value')).to.throw(/unreadable/);
    expect(() => parseExposition('x{a=unquoted} 1')).to.throw(/unreadable/);
  });

  it('sums a family over its series, or over those a filter selects', () => {
    const samples = parseExposition(scrape([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]));
    const all = histogramOf(samples, 'h_seconds');
    expect(all.bounds).to.deep.equal([0.01, 0.05, 0.1, 1, Infinity]);
    expect(all.cumulative).to.deep.equal([11, 22, 33, 44, 55]);
    expect(all.count).to.equal(55);
    expect(histogramOf(samples, 'h_seconds', { symbol: 'BTC-USDT' }).cumulative).to.deep.equal([
      1, 2, 3, 4, 5,
    ]);
    expect(histogramOf(samples, 'nothing').count).to.equal(0);
  });

  it('keeps only what was observed between two scrapes', () => {
    const start = histogramOf(parseExposition(scrape([5, 5, 5, 5, 5], [0, 0, 0, 0, 0])), 'h_seconds');
    const end = histogramOf(parseExposition(scrape([5, 95, 104, 105, 105], [0, 0, 0, 0, 0])), 'h_seconds');
    const delta = histogramDelta(start, end);
    expect(delta.cumulative).to.deep.equal([0, 90, 99, 100, 100]);
    expect(delta.count).to.equal(100);
    // 90 in (10, 50] ms, 9 in (50, 100] ms, 1 in (100 ms, 1 s].
    const p50 = histogramQuantile(delta, 0.5);
    expect(p50.bucketUpperBound).to.equal(0.05);
    expect(p50.value).to.be.closeTo(0.01 + (0.04 * 50) / 90, 1e-12);
    const p99 = histogramQuantile(delta, 0.99);
    expect(p99.bucketUpperBound).to.equal(0.1);
    expect(p99.value).to.be.closeTo(0.1, 1e-12);
    expect(histogramQuantile(delta, 0.995).bucketUpperBound).to.equal(1);
  });

  it('answers like histogram_quantile beyond the last finite bucket and without observations', () => {
    const h = { bounds: [0.1, 1, Infinity], cumulative: [1, 2, 10], count: 10, sum: 30 };
    expect(histogramQuantile(h, 0.99)).to.deep.equal({ value: 1, bucketUpperBound: Infinity });
    const none = histogramQuantile({ bounds: [1, Infinity], cumulative: [0, 0], count: 0, sum: 0 }, 0.5);
    expect(Number.isNaN(none.value)).to.equal(true);
  });

  it('sums counters by a label and takes their difference', () => {
    const before = counterBy(
      parseExposition('o_total{symbol="A",outcome="new"} 3\no_total{symbol="B",outcome="new"} 4\n'),
      'o',
      'outcome',
    );
    const after = counterBy(
      parseExposition(
        'o_total{symbol="A",outcome="new"} 5\no_total{symbol="B",outcome="new"} 9\no_total{symbol="A",outcome="filled"} 2\n',
      ),
      'o_total',
      'outcome',
    );
    expect(before).to.deep.equal({ new: 7 });
    expect(counterDelta(before, after)).to.deep.equal({ new: 7, filled: 2 });
  });
});
