import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MarketDirectory, Metrics } from '../api/ports.ts';
import { METRICS } from './metric-names.ts';

/**
 * The API process's Prometheus registry. Histogram buckets are dense below 1 ms so that a P99 of a
 * few milliseconds can be read (DESIGN.md §6). Labels are the route pattern and status, a market's
 * symbol and a closed list of error codes, never a user or an order.
 */
export const LATENCY_BUCKETS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
  0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5,
];

/** The `symbol` label of a refusal whose symbol names no market: never the raw input. */
export const UNKNOWN_SYMBOL_LABEL = 'unknown';

/** Intake refusals that start at 0 for every market, so that their rate is a series from the start. */
const SEEDED_INTAKE_CODES = [
  'VALIDATION_ERROR',
  'INVALID_PRICE',
  'INVALID_QUANTITY',
  'MIN_NOTIONAL',
  'MARKET_HALTED',
  'SYMBOL_BACKLOGGED',
] as const;

export interface ApiMetricsOptions {
  /** The markets the API knows: `exchange_market_info`, and the intake refusals seeded per market. */
  readonly markets?: Pick<MarketDirectory, 'list'>;
}

export class ApiMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly intakeRejects: Counter<'symbol' | 'code'>;

  constructor(options: ApiMetricsOptions = {}) {
    const { markets } = options;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: METRICS.httpRequestDuration,
      help: 'HTTP request duration by route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.intakeRejects = new Counter({
      name: METRICS.intakeRejects,
      help: 'Places and amends refused before the stream, by market and error code.',
      labelNames: ['symbol', 'code'],
      registers,
      async collect() {
        this.inc({ symbol: UNKNOWN_SYMBOL_LABEL, code: 'UNKNOWN_SYMBOL' }, 0);
        for (const market of (await markets?.list()) ?? []) {
          for (const code of SEEDED_INTAKE_CODES) this.inc({ symbol: market.definition.symbol, code }, 0);
        }
      },
    });
    new Gauge({
      name: METRICS.marketInfo,
      help: '1 for every market the API knows.',
      labelNames: ['symbol'],
      registers,
      async collect() {
        this.reset();
        for (const market of (await markets?.list()) ?? []) this.set({ symbol: market.definition.symbol }, 1);
      },
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

  intakeRejected(sample: { symbol: string; code: string }): void {
    this.intakeRejects.inc({ symbol: sample.symbol, code: sample.code });
  }
}
