import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Metrics } from '../api/ports.ts';

/**
 * The API process's Prometheus registry. Histogram buckets are dense below 1 ms so that a P99 of a
 * few milliseconds can be read (DESIGN.md §6). Labels are the route pattern and status, never a
 * user or an order.
 */
export const LATENCY_BUCKETS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
  0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5,
];

export class ApiMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'exchange_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [this.registry],
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  observeRequest(sample: { method: string; route: string; statusCode: number; seconds: number }): void {
    this.requestDuration.observe(
      { method: sample.method, route: sample.route, status: String(sample.statusCode) },
      sample.seconds,
    );
  }
}
