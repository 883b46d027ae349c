import type { RetryPolicy } from './flush-retry.ts';
import { sleep, systemClock, type FlushClock } from './write-buffer-clock.ts';
import { WriteBufferError } from './write-buffer-errors.ts';
import type { PlannedStatement } from './write-buffer-rows.ts';
import type { TableSpec } from './write-buffer-table.ts';
import type { Checkpoint, WriteConnectionSource } from './write-buffer-transaction.ts';

/** What one flush did; feeds the metrics (flush duration, retries, failures, backlog). */
export interface FlushResult {
  /** Distinct rows the flush wrote (or tried to). */
  readonly rows: number;
  /** Those rows per table. */
  readonly tables: Readonly<Record<string, number>>;
  /** Checkpoints written (durable when `ok`): what the worker may acknowledge and trim up to. */
  readonly checkpoints: readonly Checkpoint[];
  /** Transactions tried: 1 without retries, 0 when there was nothing to write. */
  readonly attempts: number;
  /** The errno of each attempt that was retried: 1213 (deadlock) or 1205 (lock-wait timeout). */
  readonly retriedErrnos: readonly number[];
  readonly durationMs: number;
  readonly ok: boolean;
  /** Why it failed: a mysql2 error, a FencedError, or a WriteBufferError. */
  readonly error?: unknown;
  /** Rows still owed after the flush. */
  readonly backlogRows: number;
}

export interface WriteBufferOptions {
  /** Where each flush gets its one connection; a mysql2/promise Pool fits. Required. */
  readonly connections: WriteConnectionSource;
  /** The tables rows may be added for, in the order every flush writes them. Required. */
  readonly tables: readonly TableSpec[];
  /** Flush as soon as this many distinct rows are pending. Default 100 (config `writer.flushRows`). */
  readonly flushRows?: number;
  /** Flush this long after the first pending row or checkpoint. Default 500 (config `writer.flushIntervalMs`). */
  readonly flushIntervalMs?: number;
  /** false: flush only on flush() and close() (the sync variant). Default true. */
  readonly autoFlush?: boolean;
  /** Retries of a flush that hit a deadlock or a lock-wait timeout. Default 3. */
  readonly maxRetries?: number;
  /** Backoff before the first retry, doubled for each next one, jittered. Default 20. */
  readonly retryBaseDelayMs?: number;
  /** Longest backoff between retries. Default 1000. */
  readonly retryMaxDelayMs?: number;
  /**
   * After a failed flush the owed rows are tried again `flushIntervalMs` later, doubled for each
   * consecutive failure up to this (never less than `flushIntervalMs`); the row-count trigger
   * waits meanwhile. Default 5000.
   */
  readonly maxFailedFlushDelayMs?: number;
  /** `isBackpressured` turns on when this many rows are owed. Default 10 × flushRows. */
  readonly backpressureRows?: number;
  /** Most rows in one INSERT (a statement also stays under 65535 parameters). Default 500. */
  readonly maxRowsPerStatement?: number;
  /** How long close() waits for its final flush. Default 10000. */
  readonly closeTimeoutMs?: number;
  /**
   * Called with the result of every flush that had something to write, the ones started by the
   * thresholds included (an empty flush() reports nothing). Default none.
   */
  readonly onFlush?: (result: FlushResult) => void;
  /** Called when backpressure turns on (the worker stops reading) or off. Default none. */
  readonly onBackpressure?: (backlogRows: number, backpressured: boolean) => void;
  /** Called with each statement before it runs: tracing and tests. Default none. */
  readonly onStatement?: (statement: PlannedStatement) => void;
  /** Time of the interval flush and of durationMs. Default the system clock (timers unref'd). */
  readonly clock?: FlushClock;
  /** The retry backoff's wait. Default a setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The backoff's jitter, in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

export interface ResolvedOptions {
  readonly connections: WriteConnectionSource;
  readonly tables: readonly TableSpec[];
  readonly flushRows: number;
  readonly flushIntervalMs: number;
  readonly autoFlush: boolean;
  readonly retry: RetryPolicy;
  readonly maxFailedFlushDelayMs: number;
  readonly backpressureRows: number;
  readonly maxRowsPerStatement: number;
  readonly closeTimeoutMs: number;
  readonly onFlush: ((result: FlushResult) => void) | undefined;
  readonly onBackpressure: ((backlogRows: number, backpressured: boolean) => void) | undefined;
  readonly onStatement: ((statement: PlannedStatement) => void) | undefined;
  readonly clock: FlushClock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/** Applies the defaults and checks every number once, naming the option at fault. */
export function resolveOptions(options: WriteBufferOptions): ResolvedOptions {
  const count = (name: keyof WriteBufferOptions, fallback: number, min: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new WriteBufferError('INVALID_OPTION', `WriteBuffer option ${name} must be an integer ≥ ${min}`);
    }
    return value;
  };
  if (typeof options.connections?.getConnection !== 'function') {
    throw new WriteBufferError('INVALID_OPTION', 'WriteBuffer option connections needs getConnection()');
  }
  if (!Array.isArray(options.tables)) {
    throw new WriteBufferError('INVALID_OPTION', 'WriteBuffer option tables lists the tables (defineTable)');
  }
  const flushRows = count('flushRows', 100, 1);
  const flushIntervalMs = count('flushIntervalMs', 500, 1);
  return Object.freeze({
    connections: options.connections,
    tables: Object.freeze([...options.tables]),
    flushRows,
    flushIntervalMs,
    autoFlush: options.autoFlush ?? true,
    retry: Object.freeze({
      maxRetries: count('maxRetries', 3, 0),
      baseDelayMs: count('retryBaseDelayMs', 20, 0),
      maxDelayMs: count('retryMaxDelayMs', 1000, 0),
    }),
    maxFailedFlushDelayMs: count('maxFailedFlushDelayMs', 5000, 1),
    backpressureRows: count('backpressureRows', 10 * flushRows, 1),
    maxRowsPerStatement: count('maxRowsPerStatement', 500, 1),
    closeTimeoutMs: count('closeTimeoutMs', 10_000, 1),
    onFlush: options.onFlush,
    onBackpressure: options.onBackpressure,
    onStatement: options.onStatement,
    clock: options.clock ?? systemClock,
    sleep: options.sleep ?? sleep,
    random: options.random ?? Math.random,
  });
}
