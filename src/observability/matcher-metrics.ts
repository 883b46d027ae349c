import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import type { ProcessedCommand } from '../matcher/symbol-processor.ts';
import { FencedError } from '../mysql/write-buffer-errors.ts';
import type { FlushResult } from '../mysql/write-buffer-options.ts';
import { METRICS, ORDER_OUTCOMES, REJECT_REASONS } from './metric-names.ts';
import { LATENCY_BUCKETS_SECONDS } from './metrics.ts';
import { OwedEntries, type OwedEntriesLimits } from './owed-entries.ts';

/** A registry's metrics as `getMetricsAsJSON()` gives them: what a thread sends its process. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** What a thread's runtime shows at scrape time. */
export interface MatcherState {
  shardsOwned(): number;
  ownedSymbols(): Iterable<string>;
  haltedSymbols(): Iterable<string>;
  writerBacklog(): number;
  writerBackpressured(): boolean;
}

type Outcome = (typeof ORDER_OUTCOMES)[number];

/** One symbol's children, looked up once per batch rather than once per command. */
interface SymbolSeries {
  readonly matched: Histogram.Internal<'symbol'>;
  readonly persisted: Histogram.Internal<'symbol'>;
  readonly batch: Histogram.Internal<'symbol'>;
  readonly trades: Counter.Internal;
  readonly orders: Readonly<Record<Outcome, Counter.Internal>>;
  readonly rejects: Map<string, Counter.Internal>;
}

export interface MatcherMetricsOptions {
  /** Tables whose `rows_total` starts at 0 (the writer's tables). */
  readonly tables?: readonly string[];
  /** Bounds of the accept→persisted queue (owed-entries.ts). */
  readonly owed?: OwedEntriesLimits;
}

const NO_STATE: MatcherState = {
  shardsOwned: () => 0,
  ownedSymbols: () => [],
  haltedSymbols: () => [],
  writerBacklog: () => 0,
  writerBackpressured: () => false,
};

/**
 * One matcher thread's metrics (DESIGN.md §6, names in metric-names.ts), in a registry of its own
 * that the process merges with its other threads' (thread-metrics.ts). The runtime, the symbol
 * processor and the durable recorder call it once per batch or per flush; gauges of ownership and of
 * the writer are read from the runtime at scrape time.
 *
 * Batches of a takeover's replay are not counted: their commands were matched (and counted) by the
 * previous owner, and their latency would measure the outage, not the system.
 */
export class MatcherMetrics {
  readonly registry = new Registry();
  private state: MatcherState = NO_STATE;
  private readonly owedEntries: OwedEntries;
  private readonly series = new Map<string, SymbolSeries>();
  private readonly acceptToMatched: Histogram<'symbol'>;
  private readonly acceptToPersisted: Histogram<'symbol'>;
  private readonly persistedDropped: Counter;
  private readonly batchDuration: Histogram<'symbol'>;
  private readonly orders: Counter<'symbol' | 'outcome'>;
  private readonly trades: Counter<'symbol'>;
  private readonly rejects: Counter<'symbol' | 'reason'>;
  private readonly streamLag: Gauge<'symbol'>;
  private readonly streamPending: Gauge<'symbol'>;
  private readonly flushDuration: Histogram;
  private readonly writerRows: Counter<'table'>;
  private readonly writerRetries: Counter<'errno'>;
  private readonly writerFailures: Counter<'reason'>;

  constructor(options: MatcherMetricsOptions = {}) {
    this.owedEntries = new OwedEntries(options.owed);
    const registers = [this.registry];
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Histogram<L>({ name, help, labelNames, buckets: LATENCY_BUCKETS_SECONDS, registers });
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    // Threads of a process add up: shards, rows owed, streams (each symbol has one owner).
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      collect?: (this: Gauge<L>) => void,
    ) => new Gauge<L>({ name, help, labelNames, registers, aggregator: 'sum', ...(collect && { collect }) });
    const state = () => this.state;

    this.acceptToMatched = histogram(
      METRICS.acceptToMatched,
      'Stream entry time (the API append) to the engine outcome, its Redis effects applied.',
      ['symbol'],
    );
    this.acceptToPersisted = histogram(
      METRICS.acceptToPersisted,
      'Stream entry time to the commit of the MySQL flush that made it durable.',
      ['symbol'],
    );
    this.persistedDropped = counter(
      METRICS.acceptToPersistedDropped,
      'Accept-to-persisted samples dropped because their queue was full (a long MySQL outage).',
      [],
    );
    this.batchDuration = histogram(
      METRICS.matchBatchDuration,
      'One batch through holds, engine, settlements and the read model.',
      ['symbol'],
    );
    this.orders = counter(METRICS.orders, 'Places by the state their command left them in.', [
      'symbol',
      'outcome',
    ]);
    this.trades = counter(METRICS.trades, 'Trades matched.', ['symbol']);
    this.rejects = counter(METRICS.rejects, 'Commands refused by the engine or for funds.', [
      'symbol',
      'reason',
    ]);
    this.streamLag = gauge(METRICS.streamLag, 'Entries in the stream after the owner position.', ['symbol']);
    this.streamPending = gauge(
      METRICS.streamPending,
      'Entries the owner handled that MySQL has not made durable yet.',
      ['symbol'],
    );
    gauge(METRICS.shardsOwned, 'Shards whose lease a thread of this process holds.', [], function () {
      this.set(state().shardsOwned());
    });
    gauge(METRICS.symbolOwned, '1 for each symbol a thread of this process owns.', ['symbol'], function () {
      this.reset();
      for (const symbol of state().ownedSymbols()) this.set({ symbol }, 1);
    });
    gauge(
      METRICS.symbolHalted,
      '1 for a symbol halted here (refused settlement, stream gap); 0 for the others owned.',
      ['symbol'],
      function () {
        this.reset();
        for (const symbol of state().ownedSymbols()) this.set({ symbol }, 0);
        for (const symbol of state().haltedSymbols()) this.set({ symbol }, 1);
      },
    );
    this.flushDuration = histogram(
      METRICS.writerFlushDuration,
      'One WriteBuffer flush, retries included.',
      [],
    );
    this.writerRows = counter(METRICS.writerRows, 'Rows written by committed flushes.', ['table']);
    this.writerRetries = counter(METRICS.writerRetries, 'Flush transactions retried, by MySQL errno.', [
      'errno',
    ]);
    this.writerFailures = counter(METRICS.writerFailures, 'Flushes that did not commit.', ['reason']);
    gauge(METRICS.writerBacklog, 'Rows owed to MySQL, pending and in flight.', [], function () {
      this.set(state().writerBacklog());
    });
    gauge(
      METRICS.writerBackpressured,
      '1 while a writer owes so much that its thread stops reading.',
      [],
      function () {
        this.set(state().writerBackpressured() ? 1 : 0);
      },
    );

    // Series that may stay at 0 exist from the start, so that queries over them return data.
    for (const table of options.tables ?? []) this.writerRows.labels({ table }).inc(0);
    for (const errno of ['1213', '1205']) this.writerRetries.labels({ errno }).inc(0);
    for (const reason of ['error', 'fenced']) this.writerFailures.labels({ reason }).inc(0);
  }

  /** Where the scrape-time gauges read from: the thread's runtime. */
  watch(state: MatcherState): void {
    this.state = state;
  }

  /** This registry's metrics, for the process to aggregate. */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /** A symbol is owned here from now on: its per-symbol series exist, its gauges start. */
  symbolTakenOver(symbol: string): void {
    this.seriesOf(symbol);
    this.streamLag.set({ symbol }, 0);
    this.streamPending.set({ symbol }, this.owedEntries.pending(symbol));
  }

  /** The symbol left this thread: its gauges go (another owner reports them), and what it owed. */
  symbolDropped(symbol: string): void {
    this.owedEntries.forget(symbol);
    this.streamLag.remove({ symbol });
    this.streamPending.remove({ symbol });
  }

  /**
   * A live batch's Redis pipeline succeeded: accept→matched for each command, the batch's duration,
   * and what its commands did.
   */
  matched(
    symbol: string,
    commands: readonly ProcessedCommand[],
    batchSeconds: number,
    nowMs = Date.now(),
  ): void {
    const series = this.seriesOf(symbol);
    series.batch.observe(batchSeconds);
    for (const processed of commands) {
      series.matched.observe(Math.max(0, nowMs - processed.entry.command.timestamp) / 1000);
      if (processed.refusal !== null) this.rejected(series, symbol, processed.refusal);
      const outcome = placeOutcome(processed);
      if (outcome !== undefined) series.orders[outcome].inc();
      for (const event of processed.events) {
        if (event.type === 'trade') series.trades.inc();
        else if (event.type === 'rejected') this.rejected(series, symbol, event.reason);
      }
    }
  }

  /** The DurableRecorder owes a batch (with its checkpoint at `lastStreamId`) to MySQL. */
  owed(
    symbol: string,
    lastStreamId: string,
    commands: readonly ProcessedCommand[],
    replaying: boolean,
  ): void {
    const dropped = this.owedEntries.dropped;
    const timestamps = replaying ? null : commands.map((c) => c.entry.command.timestamp);
    this.owedEntries.owe(symbol, lastStreamId, commands.length, timestamps);
    if (this.owedEntries.dropped > dropped) this.persistedDropped.inc(this.owedEntries.dropped - dropped);
    this.streamPending.set({ symbol }, this.owedEntries.pending(symbol));
  }

  /** Every flush of the thread's writer: the writer's metrics, and accept→persisted for what it made durable. */
  flushed(result: FlushResult, nowMs = Date.now()): void {
    this.flushDuration.observe(result.durationMs / 1000);
    for (const errno of result.retriedErrnos) this.writerRetries.inc({ errno: String(errno) });
    if (!result.ok) {
      this.writerFailures.inc({ reason: result.error instanceof FencedError ? 'fenced' : 'error' });
      return;
    }
    for (const [table, rows] of Object.entries(result.tables))
      if (rows > 0) this.writerRows.inc({ table }, rows);
    for (const { symbol, lastStreamId } of result.checkpoints) {
      if (!this.owedEntries.has(symbol)) continue;
      const timestamps = this.owedEntries.durable(symbol, lastStreamId);
      if (timestamps.length > 0) {
        const persisted = this.seriesOf(symbol).persisted;
        for (const t of timestamps) persisted.observe(Math.max(0, nowMs - t) / 1000);
      }
      this.streamPending.set({ symbol }, this.owedEntries.pending(symbol));
    }
  }

  /** The entries of `symbol`'s stream after its owner's position (stream-lag.ts). */
  lag(symbol: string, entries: number): void {
    this.streamLag.set({ symbol }, entries);
  }

  private rejected(series: SymbolSeries, symbol: string, reason: string): void {
    let child = series.rejects.get(reason);
    if (child === undefined) {
      child = this.rejects.labels({ symbol, reason });
      series.rejects.set(reason, child);
    }
    child.inc();
  }

  private seriesOf(symbol: string): SymbolSeries {
    let series = this.series.get(symbol);
    if (series !== undefined) return series;
    const orders = Object.fromEntries(
      ORDER_OUTCOMES.map((outcome) => [outcome, this.orders.labels({ symbol, outcome })]),
    ) as Record<Outcome, Counter.Internal>;
    for (const child of Object.values(orders)) child.inc(0);
    const rejects = new Map(
      REJECT_REASONS.map((reason) => [reason as string, this.rejects.labels({ symbol, reason })]),
    );
    for (const child of rejects.values()) child.inc(0);
    const trades = this.trades.labels({ symbol });
    trades.inc(0);
    for (const h of [this.acceptToMatched, this.acceptToPersisted, this.batchDuration]) h.zero({ symbol });
    series = {
      matched: this.acceptToMatched.labels({ symbol }),
      persisted: this.acceptToPersisted.labels({ symbol }),
      batch: this.batchDuration.labels({ symbol }),
      trades,
      orders,
      rejects,
    };
    this.series.set(symbol, series);
    return series;
  }
}

/** The state a place command left its order in, from its events; undefined for other commands. */
export function placeOutcome(processed: ProcessedCommand): Outcome | undefined {
  const command = processed.entry.command;
  if (command.type !== 'place') return undefined;
  if (processed.refusal !== null) return 'rejected';
  let outcome: Outcome | undefined;
  for (const event of processed.events) {
    if (event.type === 'rested' && event.orderId === command.orderId)
      outcome = event.filledQuantity > 0 ? 'partially_filled' : 'new';
    else if (event.type === 'done' && event.orderId === command.orderId) outcome = event.status;
    else if (event.type === 'rejected' && event.orderId === command.orderId) outcome = 'rejected';
  }
  return outcome;
}
