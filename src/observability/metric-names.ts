/**
 * Every Prometheus metric the processes export, in one place (DESIGN.md §6): the code registers
 * them from here, and the Grafana dashboards and alert rules in the repository query exactly these
 * names (a test checks that each query's metrics exist in a real scrape).
 *
 * Labels are bounded: route patterns, status codes, symbols (one per market), outcomes and reasons
 * from closed lists, tables, errnos, a matcher thread's index (at most WORKER_THREADS per process) and
 * V8's GC kinds. Never a user, an order or a trade.
 */

/** Label values of `ORDERS` outcome: how a command ended, as the engine or the funds step decided. */
export const ORDER_OUTCOMES = [
  'new',
  'partially_filled',
  'filled',
  'canceled',
  'expired',
  'rejected',
] as const;

/**
 * Label values of `REJECTS` reason: the engine's rejections (RejectReason) and the funds step's
 * refusals before the engine (INSUFFICIENT_FUNDS, INVALID_ORDER). Every one starts at 0 per symbol.
 */
export const REJECT_REASONS = [
  'INVALID_PRICE',
  'INVALID_QUANTITY',
  'INVALID_ORDER',
  'NOTIONAL_TOO_LARGE',
  'DUPLICATE_ORDER_ID',
  'POST_ONLY_WOULD_TAKE',
  'ORDER_NOT_FOUND',
  'INVALID_FEES',
  'INSUFFICIENT_FUNDS',
] as const;

export const METRICS = {
  // API process.
  /** Histogram, labels method, route, status. */
  httpRequestDuration: 'exchange_http_request_duration_seconds',
  /** Counter, labels symbol, code: places and amends refused before the stream (4xx, 503). */
  intakeRejects: 'exchange_intake_rejects_total',
  /** Gauge, label symbol: 1 for every market the API knows (the list "a symbol with no owner" checks). */
  marketInfo: 'exchange_market_info',

  // Matcher processes (worker threads' metrics aggregated by their process).
  /** Histogram, label symbol: stream entry time (the API's append) to the engine's outcome. */
  acceptToMatched: 'exchange_order_accept_to_matched_seconds',
  /** Histogram, label symbol: stream entry time to the commit of the flush that made it durable. */
  acceptToPersisted: 'exchange_order_accept_to_persisted_seconds',
  /** Counter: accept→persisted samples not observed because a long MySQL outage filled their queue. */
  acceptToPersistedDropped: 'exchange_order_accept_to_persisted_dropped_total',
  /** Histogram, label symbol: one batch through holds, engine, settlements and the read model. */
  matchBatchDuration: 'exchange_match_batch_duration_seconds',
  /** Counter, labels symbol, outcome (ORDER_OUTCOMES): places by the state they ended their command in. */
  orders: 'exchange_orders_total',
  /** Counter, label symbol. */
  trades: 'exchange_trades_total',
  /** Counter, labels symbol, reason: engine and funds rejections (INSUFFICIENT_FUNDS, POST_ONLY_WOULD_TAKE...). */
  rejects: 'exchange_rejects_total',
  /** Gauge, label symbol: entries in the stream after the owner's position (not read yet). */
  streamLag: 'exchange_stream_lag_entries',
  /** Gauge, label symbol: entries read by the owner but not durable in MySQL yet. */
  streamPending: 'exchange_stream_pending_entries',
  /** Gauge: shards this process's threads hold a lease on. */
  shardsOwned: 'exchange_shards_owned',
  /** Gauge, label symbol: 1 while a thread of this process owns the symbol. */
  symbolOwned: 'exchange_symbol_owned',
  /** Gauge, label symbol: 1 while the symbol is halted here (refused settlement, stream gap). */
  symbolHalted: 'exchange_symbol_halted',
  /** Histogram: one WriteBuffer flush, retries included. */
  writerFlushDuration: 'exchange_writer_flush_duration_seconds',
  /** Counter, label table: rows written by committed flushes. */
  writerRows: 'exchange_writer_rows_total',
  /** Counter, label errno: transactions retried (1213 deadlock, 1205 lock-wait timeout). */
  writerRetries: 'exchange_writer_retries_total',
  /** Counter, label reason (error, fenced): flushes that did not commit. */
  writerFailures: 'exchange_writer_flush_failures_total',
  /** Gauge: rows owed to MySQL (pending and in flight). */
  writerBacklog: 'exchange_writer_backlog_rows',
  /** Gauge: 1 while a writer owes so much that its thread stops reading. */
  writerBackpressured: 'exchange_writer_backpressured',
  /**
   * Histogram, labels thread, kind (minor, major, incremental, weakcb): a GC pause of a matcher
   * thread's own isolate, which the process's nodejs_gc_* metrics do not see.
   */
  matcherThreadGcDuration: 'exchange_matcher_thread_gc_duration_seconds',
  /** Counter, label thread: seconds a matcher thread's event loop ran code; its rate is the busy share. */
  matcherThreadBusy: 'exchange_matcher_thread_busy_seconds_total',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
