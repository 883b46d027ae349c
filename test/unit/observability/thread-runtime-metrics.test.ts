import { expect } from 'chai';
import { constants, type PerformanceEntry } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Registry } from 'prom-client';
import type { MetricsSnapshot } from '../../../src/observability/matcher-metrics.ts';
import { METRICS } from '../../../src/observability/metric-names.ts';
import { mergeThreadMetrics } from '../../../src/observability/thread-metrics.ts';
import {
  GC_KINDS,
  GC_PAUSE_BUCKETS_SECONDS,
  gcKindOf,
  ThreadRuntimeMetrics,
} from '../../../src/observability/thread-runtime-metrics.ts';
import { Scrape } from '../../support/prometheus-text.ts';

const entry = (fields: object) => ({ name: 'gc', entryType: 'gc', ...fields }) as unknown as PerformanceEntry;

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Runs test/support/runtime-metrics-thread.ts and returns the snapshot it posts. */
function threadSnapshot(): Promise<MetricsSnapshot> {
  return new Promise((resolve, reject) => {
    // As the matcher process starts its threads from source: tsx registered in the thread first
    // (the bare specifier resolves from the working directory, the repository's root under mocha).
    const entry = JSON.stringify(new URL('../../support/runtime-metrics-thread.ts', import.meta.url).href);
    const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`;
    const worker = new Worker(bootstrap, { eval: true });
    worker.once('message', (snapshot: MetricsSnapshot) => {
      resolve(snapshot);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`thread exited (${code}) without a snapshot`)));
  });
}

describe('ThreadRuntimeMetrics: a thread’s own GC pauses and busy time', () => {
  it('names the kind of a perf_hooks gc entry from detail.kind (or the older kind field)', () => {
    expect(gcKindOf(entry({ detail: { kind: constants.NODE_PERFORMANCE_GC_MINOR } }))).to.equal('minor');
    expect(gcKindOf(entry({ detail: { kind: constants.NODE_PERFORMANCE_GC_MAJOR } }))).to.equal('major');
    expect(gcKindOf(entry({ detail: { kind: constants.NODE_PERFORMANCE_GC_INCREMENTAL } }))).to.equal(
      'incremental',
    );
    expect(gcKindOf(entry({ kind: constants.NODE_PERFORMANCE_GC_WEAKCB }))).to.equal('weakcb');
    expect(gcKindOf(entry({ detail: { kind: 12345 } }))).to.equal(undefined);
    expect(gcKindOf(entry({}))).to.equal(undefined);
  });

  it('declares every kind at 0 for its thread from the start, with GC-sized buckets', async () => {
    const registry = new Registry();
    new ThreadRuntimeMetrics(registry, '3');
    const s = new Scrape(await registry.metrics());
    expect(s.types.get(METRICS.matcherThreadGcDuration)).to.equal('histogram');
    expect(s.types.get(METRICS.matcherThreadBusy)).to.equal('counter');
    for (const kind of GC_KINDS) {
      expect(
        s.series(`${METRICS.matcherThreadGcDuration}_count`, { thread: '3', kind }),
        kind,
      ).to.have.length(1);
      expect(s.sum(`${METRICS.matcherThreadGcDuration}_count`, { thread: '3', kind })).to.equal(0);
    }
    expect(s.buckets(METRICS.matcherThreadGcDuration)).to.deep.equal([...GC_PAUSE_BUCKETS_SECONDS, Infinity]);
    expect(s.series(METRICS.matcherThreadBusy, { thread: '3' })).to.have.length(1);
  });

  it('counts the time the event loop ran code, and never more than the time that passed', async () => {
    const registry = new Registry();
    new ThreadRuntimeMetrics(registry, '0');
    const busy = async () =>
      new Scrape(await registry.metrics()).sum(METRICS.matcherThreadBusy, { thread: '0' });
    const first = await busy();
    const startedAt = performance.now();
    spin(60);
    const second = await busy();
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    expect(second - first).to.be.at.least(0.06);
    expect(second - first).to.be.at.most(elapsedSeconds + 0.001);
    // Waiting is not busy: a 100 ms timer adds far less than 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await busy();
    expect(third - second).to.be.at.least(0);
    expect(third - second).to.be.below(0.05);
  });

  it('in a worker thread, observes that thread’s scavenges, which its process can merge', async function () {
    this.timeout(20_000);
    const snapshot = await threadSnapshot();
    const merged = new Scrape(await mergeThreadMetrics(new Registry(), [snapshot]).metrics());
    const at = { thread: '7', kind: 'minor' };
    const count = merged.sum(`${METRICS.matcherThreadGcDuration}_count`, at);
    expect(count, 'scavenges observed in the thread').to.be.greaterThan(0);
    expect(merged.sum(`${METRICS.matcherThreadGcDuration}_sum`, at)).to.be.greaterThan(0);
    expect(merged.sum(`${METRICS.matcherThreadGcDuration}_bucket`, { ...at, le: '+Inf' })).to.equal(count);
    expect(merged.sum(METRICS.matcherThreadBusy, { thread: '7' })).to.be.greaterThan(0);
  });
});
