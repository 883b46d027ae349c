// A worker thread for thread-runtime-metrics.test.ts: observes its own isolate, makes garbage
// until a scavenge of it was observed (or 2 s of trying), and posts its registry's snapshot.
import { parentPort } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { METRICS } from '../../src/observability/metric-names.ts';
import { ThreadRuntimeMetrics } from '../../src/observability/thread-runtime-metrics.ts';

const registry = new Registry();
const metrics = new ThreadRuntimeMetrics(registry, '7').start();
const minorGcs = async () => {
  const histogram = (await registry.getMetricsAsJSON()).find(
    (m) => m.name === METRICS.matcherThreadGcDuration,
  )!;
  const values = histogram.values as Array<{ metricName?: string; labels: { kind?: string }; value: number }>;
  return values
    .filter((v) => v.metricName?.endsWith('_count') && v.labels.kind === 'minor')
    .reduce((sum, v) => sum + v.value, 0);
};
let kept: unknown[] = [];
const until = Date.now() + 2_000;
while ((await minorGcs()) === 0 && Date.now() < until) {
  for (let i = 0; i < 200_000; i++) kept.push({ i, text: `garbage ${i}` });
  kept = [];
  // GC entries reach the observer from a later turn of the loop.
  await new Promise((resolve) => setTimeout(resolve, 5));
}
metrics.stop();
parentPort!.postMessage(await registry.getMetricsAsJSON());
