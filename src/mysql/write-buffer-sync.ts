import { WriteBuffer, type BatchRow, type FencedError, type WriteSink } from './write-buffer.ts';
import type { FlushResult, WriteBufferOptions } from './write-buffer-options.ts';
import type { Row, TableSpec } from './write-buffer-table.ts';
import type { Checkpoint } from './write-buffer-transaction.ts';

/**
 * The synchronous variant, for tests: every add() and checkpoint() awaits its own flush, through the
 * same statements, transaction and retry path as the batched buffer (it is one, never auto-flushing).
 * A failed flush keeps its rows owed, and the next call writes them with its own.
 */
export class SyncWriteBuffer implements WriteSink {
  readonly #buffer: WriteBuffer;

  /** Thresholds and timers do not apply: `flushRows`, `flushIntervalMs` and `autoFlush` are ignored. */
  constructor(options: WriteBufferOptions) {
    this.#buffer = new WriteBuffer({ ...options, autoFlush: false });
  }

  get backlog(): number {
    return this.#buffer.backlog;
  }

  get fencedBy(): FencedError | undefined {
    return this.#buffer.fencedBy;
  }

  get isBackpressured(): boolean {
    return this.#buffer.isBackpressured;
  }

  async add<C extends string>(table: TableSpec<C>, row: Row<C>): Promise<FlushResult> {
    this.#buffer.add(table, row);
    return this.#buffer.flush();
  }

  async checkpoint(checkpoint: Checkpoint): Promise<FlushResult> {
    this.#buffer.checkpoint(checkpoint);
    return this.#buffer.flush();
  }

  async addBatch(rows: readonly BatchRow[], checkpoint?: Checkpoint): Promise<FlushResult> {
    this.#buffer.addBatch(rows, checkpoint);
    return this.#buffer.flush();
  }

  releaseSymbol(symbol: string): void {
    this.#buffer.releaseSymbol(symbol);
  }

  flush(): Promise<FlushResult> {
    return this.#buffer.flush();
  }

  close(): Promise<FlushResult> {
    return this.#buffer.close();
  }
}
