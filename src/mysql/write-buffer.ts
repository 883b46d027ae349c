import { withRetries, type RetryOutcome } from './flush-retry.ts';
import { FencedError, WriteBufferError } from './write-buffer-errors.ts';
import {
  resolveOptions,
  type FlushResult,
  type ResolvedOptions,
  type WriteBufferOptions,
} from './write-buffer-options.ts';
import { OwedRows, planUpserts, type OwedBatch } from './write-buffer-rows.ts';
import { rowValues, type Row, type TableSpec } from './write-buffer-table.ts';
import { FlushSession, type Checkpoint } from './write-buffer-transaction.ts';

export { FencedError, WriteBufferError, type WriteBufferErrorCode } from './write-buffer-errors.ts';
export type { FlushResult, WriteBufferOptions } from './write-buffer-options.ts';
export type { PlannedStatement } from './write-buffer-rows.ts';
export { defineTable, type Row, type SqlValue, type TableSpec } from './write-buffer-table.ts';
export type { Checkpoint, WriteConnection, WriteConnectionSource } from './write-buffer-transaction.ts';

/** One row of a batch, with its table. */
export interface BatchRow {
  readonly table: TableSpec;
  readonly row: Row<string>;
}

/** What a worker writes through: the batched WriteBuffer or the SyncWriteBuffer of tests. */
export interface WriteSink {
  /** Owes `row`; the sync variant also flushes it and resolves with that flush. */
  add<C extends string>(table: TableSpec<C>, row: Row<C>): Promise<FlushResult> | undefined;
  /** Owes the symbol's new position; from now on every flush writes it, fenced by its epoch. */
  checkpoint(checkpoint: Checkpoint): Promise<FlushResult> | undefined;
  /**
   * Owes a batch's rows and the checkpoint that covers them as one step: no flush can take some of
   * the rows without the others, so MySQL never holds rows past its checkpoint from a half batch
   * (a takeover loads the book as of the checkpoint and must find nothing newer).
   */
  addBatch(rows: readonly BatchRow[], checkpoint?: Checkpoint): Promise<FlushResult> | undefined;
  /** Stops writing (and fencing) the symbol: after a handover, once its last rows are flushed. */
  releaseSymbol(symbol: string): void;
  flush(): Promise<FlushResult>;
  close(): Promise<FlushResult>;
  /** Rows owed: pending plus in flight. */
  readonly backlog: number;
  /** The FencedError that stopped this writer for good, if one did. */
  readonly fencedBy: FencedError | undefined;
  /** The backlog reached `backpressureRows`: stop reading new entries until it falls. */
  readonly isBackpressured: boolean;
}

/**
 * Batches the matcher's rows into MySQL (DESIGN.md §5): one transaction per flush, at `flushRows`
 * distinct rows or `flushIntervalMs` after the first pending one, whichever comes first.
 *
 * Nothing is dropped: a flush that fails (after its retries) gives its rows back, merged under the
 * rows added meanwhile, and they are tried again later while the backlog drives backpressure. The
 * one exception is fencing: when a symbol's epoch moved on, the buffer stops for good (FencedError)
 * and the new owner replays what this one owed. One flush runs at a time.
 */
export class WriteBuffer implements WriteSink {
  readonly #options: ResolvedOptions;
  readonly #owed: OwedRows;
  /** The latest checkpoint of every symbol held; every flush writes them all, which fences it. */
  readonly #fences = new Map<string, Checkpoint>();
  #checkpointsDue = false;
  #inFlightRows = 0;
  #running: Promise<FlushResult> | undefined;
  #queued: Promise<FlushResult> | undefined;
  #cancelTimer: (() => void) | undefined;
  #failures = 0;
  #backpressured = false;
  #closing: Promise<FlushResult> | undefined;
  #fenced: FencedError | undefined;

  constructor(options: WriteBufferOptions) {
    this.#options = resolveOptions(options);
    this.#owed = new OwedRows(this.#options.tables);
  }

  get backlog(): number {
    return this.#owed.size + this.#inFlightRows;
  }

  get isBackpressured(): boolean {
    return this.#backpressured;
  }

  /** The FencedError that stopped this buffer, if one did. */
  get fencedBy(): FencedError | undefined {
    return this.#fenced;
  }

  add<C extends string>(table: TableSpec<C>, row: Row<C>): undefined {
    this.#assertWritable();
    this.#owed.add(table, rowValues(table, row));
    this.#pendingChanged();
    return undefined;
  }

  checkpoint(checkpoint: Checkpoint): undefined {
    this.#assertWritable();
    this.#fences.set(checkpoint.symbol, checkedCheckpoint(checkpoint));
    this.#checkpointsDue = true;
    this.#pendingChanged();
    return undefined;
  }

  addBatch(rows: readonly BatchRow[], checkpoint?: Checkpoint): undefined {
    this.#assertWritable();
    const checked = checkpoint === undefined ? undefined : checkedCheckpoint(checkpoint);
    const values = rows.map(({ table, row }) => {
      if (!this.#options.tables.includes(table)) {
        throw new WriteBufferError(
          'INVALID_TABLE',
          `table ${table.name} is not declared in this WriteBuffer`,
        );
      }
      return [table, rowValues(table, row)] as const;
    });
    // Everything is checked before anything is owed: a bad row refuses the whole batch.
    for (const [table, row] of values) this.#owed.add(table, row);
    if (checked !== undefined) {
      this.#fences.set(checked.symbol, checked);
      this.#checkpointsDue = true;
    }
    this.#pendingChanged();
    return undefined;
  }

  releaseSymbol(symbol: string): void {
    this.#fences.delete(symbol);
  }

  /** Symbols whose checkpoint (and fence) every flush writes. */
  heldSymbols(): string[] {
    return [...this.#fences.keys()].sort();
  }

  /** Waits for a running flush, then writes everything owed. Resolves (never rejects) with what it did. */
  flush(): Promise<FlushResult> {
    return this.#enqueue();
  }

  /** Refuses new rows, stops the timer and makes one last (bounded) flush. */
  close(): Promise<FlushResult> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<FlushResult> {
    this.#stopTimer();
    let cancelTimeout = (): void => {};
    const timeout = new Promise<FlushResult>((resolve) => {
      cancelTimeout = this.#options.clock.schedule(() => {
        const error = new WriteBufferError(
          'CLOSE_TIMEOUT',
          `close: the final flush took longer than closeTimeoutMs (${this.#options.closeTimeoutMs})`,
        );
        resolve({ ...emptyResult(this.backlog), ok: false, error });
      }, this.#options.closeTimeoutMs);
    });
    try {
      return await Promise.race([this.#enqueue(), timeout]);
    } finally {
      cancelTimeout();
      this.#stopTimer();
    }
  }

  /** Starts a flush now when none runs (it takes the rows at once), else queues one behind it. */
  #enqueue(): Promise<FlushResult> {
    if (this.#queued) return this.#queued;
    if (!this.#running) return this.#start();
    const next = () => {
      this.#queued = undefined;
      return this.#start();
    };
    const queued = this.#running.then(next, next);
    this.#queued = queued;
    return queued;
  }

  #start(): Promise<FlushResult> {
    const running = this.#runFlush().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  async #runFlush(): Promise<FlushResult> {
    this.#stopTimer();
    if (this.#fenced) return { ...emptyResult(0), ok: false, error: this.#fenced };
    if (this.#owed.size === 0 && !this.#checkpointsDue) return emptyResult(0);
    const { clock, connections, onStatement, retry, sleep, random } = this.#options;
    const started = clock.now();
    const batch = this.#owed.take();
    const checkpoints = [...this.#fences.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
    this.#checkpointsDue = false;
    this.#inFlightRows = batch.size;
    const session = new FlushSession(connections, onStatement);
    let outcome: RetryOutcome<void>;
    try {
      const plan = { checkpoints, upserts: planUpserts(batch, this.#options.maxRowsPerStatement) };
      outcome = await withRetries(() => session.run(plan), retry, { sleep, random });
    } catch (error) {
      outcome = { ok: false, error, attempts: 1, retried: [] };
    } finally {
      session.end();
    }
    this.#inFlightRows = 0;
    this.#settle(outcome, batch, checkpoints.length > 0);
    const result: FlushResult = {
      rows: batch.size,
      tables: Object.fromEntries(batch.tables.map(({ table, rows }) => [table.name, rows.length])),
      checkpoints,
      attempts: outcome.attempts,
      retriedErrnos: outcome.retried,
      durationMs: clock.now() - started,
      ok: outcome.ok,
      ...(outcome.ok ? {} : { error: outcome.error }),
      backlogRows: this.backlog,
    };
    this.#updateBackpressure();
    this.#schedule();
    const { onFlush } = this.#options;
    if (onFlush) notify(() => onFlush(result));
    return result;
  }

  #settle(outcome: RetryOutcome<void>, batch: OwedBatch, wroteCheckpoints: boolean): void {
    if (outcome.ok) {
      this.#failures = 0;
    } else if (outcome.error instanceof FencedError) {
      this.#fenced = outcome.error;
      this.#owed.take();
      this.#fences.clear();
      this.#checkpointsDue = false;
    } else {
      this.#failures++;
      this.#owed.restore(batch);
      if (wroteCheckpoints) this.#checkpointsDue = true;
    }
  }

  /** After add() or checkpoint(): the row-count trigger, else the interval timer. */
  #pendingChanged(): void {
    this.#updateBackpressure();
    if (!this.#options.autoFlush || this.#closing) return;
    if (this.#owed.size >= this.#options.flushRows && this.#failures === 0) void this.#enqueue();
    else if (!this.#cancelTimer && !this.#queued) this.#armTimer(this.#options.flushIntervalMs);
  }

  /** After a flush: what is owed now decides the next one. */
  #schedule(): void {
    if (!this.#options.autoFlush || this.#closing || this.#fenced) return;
    const { flushRows, flushIntervalMs, maxFailedFlushDelayMs } = this.#options;
    if (this.#owed.size === 0 && !this.#checkpointsDue) {
      this.#stopTimer();
    } else if (this.#failures > 0) {
      this.#stopTimer();
      const backoff = Math.min(
        maxFailedFlushDelayMs,
        flushIntervalMs * 2 ** Math.min(this.#failures - 1, 30),
      );
      this.#armTimer(Math.max(flushIntervalMs, backoff));
    } else if (this.#owed.size >= flushRows) {
      void this.#enqueue();
    } else if (!this.#cancelTimer) {
      this.#armTimer(flushIntervalMs);
    }
  }

  #armTimer(delayMs: number): void {
    this.#cancelTimer = this.#options.clock.schedule(() => {
      this.#cancelTimer = undefined;
      void this.#enqueue();
    }, delayMs);
  }

  #stopTimer(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #updateBackpressure(): void {
    const backlog = this.backlog;
    const backpressured = backlog >= this.#options.backpressureRows;
    if (backpressured === this.#backpressured) return;
    this.#backpressured = backpressured;
    const { onBackpressure } = this.#options;
    if (onBackpressure) notify(() => onBackpressure(backlog, backpressured));
  }

  #assertWritable(): void {
    if (this.#fenced) throw this.#fenced;
    if (this.#closing) throw new WriteBufferError('CLOSED', 'this WriteBuffer is closed');
  }
}

function emptyResult(backlogRows: number): FlushResult {
  return {
    rows: 0,
    tables: {},
    checkpoints: [],
    attempts: 0,
    retriedErrnos: [],
    durationMs: 0,
    ok: true,
    backlogRows,
  };
}

function checkedCheckpoint(checkpoint: Checkpoint): Checkpoint {
  const { symbol, epoch, lastStreamId, lastSeq, makerFeePpm, takerFeePpm, lastTimestampMs } = checkpoint;
  const integer = (value: unknown) =>
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
    (typeof value === 'bigint' && value >= 0n);
  if (
    typeof symbol !== 'string' ||
    symbol === '' ||
    typeof lastStreamId !== 'string' ||
    lastStreamId === ''
  ) {
    throw new WriteBufferError('INVALID_CHECKPOINT', 'a checkpoint needs a symbol and a lastStreamId');
  }
  if (!integer(epoch) || typeof epoch !== 'number' || !integer(lastSeq)) {
    throw new WriteBufferError(
      'INVALID_CHECKPOINT',
      `checkpoint of ${symbol}: epoch and lastSeq are integers ≥ 0`,
    );
  }
  const fee = (value: unknown) =>
    value === undefined || value === null || (Number.isSafeInteger(value) && (value as number) >= 0);
  if (!fee(makerFeePpm) || !fee(takerFeePpm) || !fee(lastTimestampMs)) {
    throw new WriteBufferError(
      'INVALID_CHECKPOINT',
      `checkpoint of ${symbol}: fees and lastTimestampMs are integers ≥ 0 when given`,
    );
  }
  return Object.freeze({
    symbol,
    epoch,
    lastStreamId,
    lastSeq,
    makerFeePpm: makerFeePpm ?? null,
    takerFeePpm: takerFeePpm ?? null,
    lastTimestampMs: lastTimestampMs ?? 0,
  });
}

/** A hook that throws must not corrupt the buffer: its error surfaces on its own, uncaught. */
function notify(hook: () => void): void {
  try {
    hook();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
