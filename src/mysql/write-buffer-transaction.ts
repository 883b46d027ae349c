import { loadSqlStatement, SqlTemplateError } from './sql-statements.ts';
import { FencedError } from './write-buffer-errors.ts';
import type { PlannedStatement } from './write-buffer-rows.ts';
import type { SqlValue } from './write-buffer-table.ts';

/**
 * One flush attempt as one transaction on one connection: the checkpoint of every symbol the
 * buffer holds (sorted by symbol, each fenced by its epoch), then the upserts (tables in declared
 * order, rows by primary key), then COMMIT. Checkpoints go first so a fenced flush stops before it
 * takes any lock on the data tables. Any failure rolls back before it is rethrown.
 */

const CHECKPOINT_ADVANCE = loadSqlStatement('checkpoint-advance.sql');
if (CHECKPOINT_ADVANCE.parameterCount !== 7) {
  throw new SqlTemplateError(
    `${CHECKPOINT_ADVANCE.name}: takes 7 parameters, not ${CHECKPOINT_ADVANCE.parameterCount}`,
  );
}

/** A symbol's durable position, written with the rows it covers, fenced by the owner's epoch. */
export interface Checkpoint {
  readonly symbol: string;
  /** The epoch this owner got when it took the symbol over. */
  readonly epoch: number;
  /** The last stream entry whose effects the flush makes durable. */
  readonly lastStreamId: string;
  readonly lastSeq: number | bigint;
  /**
   * The book at that position, for a takeover to rebuild it exactly (migration 0008): the fees in
   * force in the engine (null or absent: not tracked) and the timestamp of the last command applied.
   */
  readonly makerFeePpm?: number | null;
  readonly takerFeePpm?: number | null;
  readonly lastTimestampMs?: number;
}

/** What the flush needs of a connection; a mysql2/promise PoolConnection fits. */
export interface WriteConnection {
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** A server-side prepared statement: the values are bound, never spliced into the text. */
  execute(sql: string, values: SqlValue[]): Promise<[unknown, unknown]>;
  /** Closes the prepared statement of `sql`, so multi-row shapes do not pile up on the server. */
  unprepare(sql: string): void;
  release(): void;
  destroy(): void;
}

/** Where flushes get their connection; a mysql2/promise Pool fits. */
export interface WriteConnectionSource {
  getConnection(): Promise<WriteConnection>;
}

export interface FlushPlan {
  /** Sorted by symbol. */
  readonly checkpoints: readonly Checkpoint[];
  readonly upserts: readonly PlannedStatement[];
}

/** The table name the statement hook sees for checkpoint updates. */
export const CHECKPOINT_TABLE = 'symbol_checkpoints';

/** The connection of one flush, kept across its retries, released (or destroyed when broken) at the end. */
export class FlushSession {
  readonly #source: WriteConnectionSource;
  readonly #onStatement: ((statement: PlannedStatement) => void) | undefined;
  #connection: WriteConnection | undefined;
  #broken = false;

  constructor(source: WriteConnectionSource, onStatement?: (statement: PlannedStatement) => void) {
    this.#source = source;
    this.#onStatement = onStatement;
  }

  /** One attempt: the whole plan in one transaction, rolled back when anything fails. */
  async run(plan: FlushPlan): Promise<void> {
    const connection = (this.#connection ??= await this.#source.getConnection());
    try {
      await connection.beginTransaction();
      for (const checkpoint of plan.checkpoints) {
        const [header] = await this.#execute(connection, {
          table: CHECKPOINT_TABLE,
          rows: 1,
          sql: CHECKPOINT_ADVANCE.sql,
          values: [
            checkpoint.lastStreamId,
            checkpoint.lastSeq,
            checkpoint.makerFeePpm ?? null,
            checkpoint.takerFeePpm ?? null,
            checkpoint.lastTimestampMs ?? 0,
            checkpoint.symbol,
            checkpoint.epoch,
          ],
        });
        if (rowsMatched(header) === 0) throw new FencedError(checkpoint.symbol, checkpoint.epoch);
      }
      for (const upsert of plan.upserts) {
        try {
          await this.#execute(connection, upsert);
        } finally {
          this.#unprepare(connection, upsert.sql);
        }
      }
      await connection.commit();
    } catch (error) {
      if ((error as { fatal?: unknown }).fatal === true) this.#broken = true;
      else await this.#rollback(connection);
      throw error;
    }
  }

  /** Gives the connection back to its pool, or destroys it when it may be in an unknown state. */
  end(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) return;
    try {
      if (this.#broken) connection.destroy();
      else connection.release();
    } catch {
      // A connection that cannot even be let go of is the pool's problem now, not the flush's.
    }
  }

  #execute(connection: WriteConnection, statement: PlannedStatement): Promise<[unknown, unknown]> {
    this.#onStatement?.(statement);
    return connection.execute(statement.sql, statement.values as SqlValue[]);
  }

  async #rollback(connection: WriteConnection): Promise<void> {
    try {
      await connection.rollback();
    } catch {
      this.#broken = true;
    }
  }

  #unprepare(connection: WriteConnection, sql: string): void {
    try {
      connection.unprepare(sql);
    } catch {
      this.#broken = true;
    }
  }
}

/**
 * Rows the UPDATE matched, changed or not. The server's info line says so whatever the client
 * flags; affectedRows counts matched rows only under CLIENT_FOUND_ROWS (mysql2's default).
 */
export function rowsMatched(header: unknown): number {
  const { info, affectedRows } = (header ?? {}) as { info?: unknown; affectedRows?: unknown };
  const matched = typeof info === 'string' ? /Rows matched:\s*(\d+)/.exec(info) : null;
  if (matched) return Number(matched[1]);
  return typeof affectedRows === 'number' ? affectedRows : 0;
}
