import { AggregatorRegistry, Registry } from 'prom-client';
import type { MetricsSnapshot } from './matcher-metrics.ts';

/** A thread as the collector sees it: something to post a metrics request to (a Worker). */
export interface MetricsThread {
  postMessage(message: { readonly type: 'metrics'; readonly requestId: number }): void;
}

/**
 * What a process serves: its own registry (default process metrics) as it is, beside its threads'
 * registries merged metric by metric with prom-client's AggregatorRegistry.aggregate (counters and
 * histograms add up, so do the matcher's gauges, declared `aggregator: 'sum'`). The process's own
 * metrics are not aggregated: there is one of each, and aggregation would omit some
 * (process_start_time_seconds has the `omit` aggregator).
 */
export function mergeThreadMetrics(own: Registry, threads: readonly MetricsSnapshot[]): Registry {
  return Registry.merge([own, AggregatorRegistry.aggregate([...threads])]);
}

/**
 * The process side of the threads' metrics: asks each thread for its registry's snapshot over its
 * port and waits at most `timeoutMs` for each. A thread that does not answer in time (busy, stuck,
 * starting) is left out of that scrape, so one thread cannot hang the scrape; its late answer is
 * ignored. The process routes every `{ type: 'metrics' }` message of its threads to `answer()`.
 */
export class ThreadMetricsCollector {
  private nextRequestId = 0;
  private readonly waiting = new Map<number, (snapshot: MetricsSnapshot) => void>();

  constructor(private readonly timeoutMs = 1_000) {}

  /** The snapshots of the threads that answered in time; `skipped` counts the others. */
  async collect(
    threads: Iterable<MetricsThread>,
  ): Promise<{ snapshots: MetricsSnapshot[]; skipped: number }> {
    const answers = await Promise.all([...threads].map((thread) => this.ask(thread)));
    const snapshots = answers.filter((a): a is MetricsSnapshot => a !== undefined);
    return { snapshots, skipped: answers.length - snapshots.length };
  }

  /** A thread's answer to a request (ignored when the request timed out already). */
  answer(message: { readonly requestId: number; readonly metrics: MetricsSnapshot }): void {
    this.waiting.get(message.requestId)?.(message.metrics);
  }

  private ask(thread: MetricsThread): Promise<MetricsSnapshot | undefined> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const done = (snapshot: MetricsSnapshot | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(requestId);
        resolve(snapshot);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      this.waiting.set(requestId, done);
      try {
        thread.postMessage({ type: 'metrics', requestId });
      } catch {
        // A thread that has just exited: leave it out.
        done(undefined);
      }
    });
  }
}
