/**
 * The errors of the WriteBuffer, each with a stable code. Database errors (deadlocks, lost
 * connections, constraint violations) are not wrapped: a FlushResult carries them as mysql2 raised
 * them, so their `errno` and `code` stay readable.
 */

export type WriteBufferErrorCode =
  /** Another owner bumped a symbol's epoch: this buffer stopped for good (DESIGN.md §2). */
  | 'FENCED'
  /** add() or checkpoint() after close(). */
  | 'CLOSED'
  /** A row that does not fit its table spec: a missing, extra or unbindable value. */
  | 'INVALID_ROW'
  /** A checkpoint with a missing or malformed field. */
  | 'INVALID_CHECKPOINT'
  /** A table spec that contradicts itself or its upsert template, or an undeclared table. */
  | 'INVALID_TABLE'
  /** An option out of range. */
  | 'INVALID_OPTION'
  /** close() gave up waiting for its final flush after `closeTimeoutMs`. */
  | 'CLOSE_TIMEOUT'
  /**
   * The flush's connection would not read backslash escapes (its sql_mode has NO_BACKSLASH_ESCAPES,
   * or the server did not say): the flush sent no value and destroyed the connection. Connections
   * must come from createMysqlPool, whose session.sql sets the sql_mode.
   */
  | 'UNSAFE_SESSION';

export class WriteBufferError extends Error {
  override readonly name: string = 'WriteBufferError';

  constructor(
    readonly code: WriteBufferErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A flush found that `symbol` is no longer this owner's: its checkpoint row has another epoch (or is
 * gone). The flush rolled back, the buffer dropped what it owed and refuses any further work; the
 * worker must stop touching the symbol, and the new owner replays it from the durable checkpoint.
 */
export class FencedError extends WriteBufferError {
  override readonly name = 'FencedError';

  constructor(
    readonly symbol: string,
    readonly epoch: number | bigint,
  ) {
    super(
      'FENCED',
      `symbol ${symbol}: the checkpoint no longer has epoch ${epoch}; another owner took over, ` +
        'this writer stopped for good',
    );
  }
}
