import { loadSqlStatement, loadUpsertTemplate, SqlTemplateError } from './sql-statements.ts';
import { FencedError, WriteBufferError } from './write-buffer-errors.ts';
import type { PlannedStatement, StatementValue } from './write-buffer-rows.ts';
import type { SqlValue } from './write-buffer-table.ts';

/**
 * One flush attempt as one transaction on one connection: the checkpoints of the symbols the buffer
 * holds (two statements whatever their number: lock and check the fences, then advance them all),
 * then the upserts (tables in declared order, rows by primary key), then COMMIT. Checkpoints go
 * first so a fenced flush stops before it takes any lock on the data tables. Any failure rolls back
 * before it is rethrown.
 *
 * Every statement goes through the text protocol (`query`): mysql2 escapes the values into the `?`
 * placeholders on the client, so a statement is one packet and one round trip, and the server
 * prepares nothing (a prepared upsert cost a PREPARE and a close besides, and MariaDB parsed its
 * hundreds of placeholders on every flush). mysql2 writes a bigint or number as its digits, a
 * string quoted with backslash escapes, null as NULL, a Buffer as X'hex' and a Date as a literal in
 * the pool's timezone. That is exact only on the sessions createMysqlPool opens: utf8mb4 (no
 * multi-byte character holds a backslash byte), timezone 'Z' with session.sql's time_zone +00:00
 * (a Date's literal is UTC and read as UTC), and session.sql's strict sql_mode, which leaves out
 * NO_BACKSLASH_ESCAPES (with it the server reads `\'` as a backslash, then the string's end).
 * The server reports that mode in the status flags of every OK packet, so each flush reads it from
 * its START TRANSACTION's answer, at no extra round trip, and sends no value on a session in it.
 */

const CHECKPOINTS_LOCK = loadSqlStatement('checkpoints-lock.sql');
const CHECKPOINTS_ADVANCE = loadUpsertTemplate('checkpoints-advance.sql');

/** The table name the statement hook sees for both checkpoint statements. */
export const CHECKPOINT_TABLE = 'symbol_checkpoints';

/** The columns of checkpoints-advance.sql, in the order {@link checkpointValues} gives them. */
const CHECKPOINT_COLUMNS = [
  'symbol',
  'epoch',
  'last_stream_id',
  'last_seq',
  'maker_fee_ppm',
  'taker_fee_ppm',
  'last_timestamp_ms',
] as const;

checkCheckpointStatements();

/** SERVER_STATUS_NO_BACKSLASH_ESCAPES among the status flags of an OK packet (MySQL protocol). */
const STATUS_NO_BACKSLASH_ESCAPES = 0x200;

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
  /**
   * START TRANSACTION. mysql2 resolves with `[ResultSetHeader, undefined]`, whose `serverStatus`
   * tells whether the session reads backslash escapes; a flush refuses to go on without that.
   */
  beginTransaction(): Promise<unknown>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /**
   * A text-protocol statement: the driver escapes `values` into the `?` placeholders (an array
   * becomes a list) and sends the result as one packet. Resolves with `[rows or header, fields]`.
   */
  query(sql: string, values: StatementValue[]): Promise<[unknown, unknown]>;
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
      this.#assertBackslashEscapes(await connection.beginTransaction());
      if (plan.checkpoints.length > 0) await this.#advanceCheckpoints(connection, plan.checkpoints);
      for (const upsert of plan.upserts) await this.#query(connection, upsert);
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

  /**
   * Locks every held symbol's checkpoint row and checks its fence (the first symbol, in sorted
   * order, without a row or with another epoch throws FencedError), then advances them all.
   */
  async #advanceCheckpoints(connection: WriteConnection, checkpoints: readonly Checkpoint[]): Promise<void> {
    const rows = checkpoints.length;
    const [locked] = await this.#query(connection, {
      table: CHECKPOINT_TABLE,
      rows,
      sql: CHECKPOINTS_LOCK.sql,
      values: [checkpoints.map((checkpoint) => checkpoint.symbol)],
    });
    const epochs = new Map<unknown, unknown>();
    for (const row of Array.isArray(locked) ? locked : []) {
      const { symbol, epoch } = row as { symbol?: unknown; epoch?: unknown };
      epochs.set(symbol, epoch);
    }
    for (const { symbol, epoch } of checkpoints) {
      // BIGINT UNSIGNED comes back as a decimal string (bigNumberStrings): compare as decimals.
      if (!epochs.has(symbol) || String(epochs.get(symbol)) !== String(epoch)) {
        throw new FencedError(symbol, epoch);
      }
    }
    await this.#query(connection, {
      table: CHECKPOINT_TABLE,
      rows,
      sql: CHECKPOINTS_ADVANCE.sqlFor(rows),
      values: checkpoints.flatMap(checkpointValues),
    });
  }

  #query(connection: WriteConnection, statement: PlannedStatement): Promise<[unknown, unknown]> {
    this.#onStatement?.(statement);
    return connection.query(statement.sql, statement.values as StatementValue[]);
  }

  /**
   * Throws, before any value is sent, when the session would read the driver's `\'` as a backslash
   * followed by the end of the string: a value could then close its quotes and run as SQL. The
   * connection is destroyed, not pooled again. Also throws when the answer carries no status (a
   * driver that stopped passing it on): an unchecked session is not taken for a safe one.
   */
  #assertBackslashEscapes(begun: unknown): void {
    const header: unknown = Array.isArray(begun) ? begun[0] : begun;
    const status = (header as { serverStatus?: unknown } | null | undefined)?.serverStatus;
    if (typeof status === 'number' && (status & STATUS_NO_BACKSLASH_ESCAPES) === 0) return;
    this.#broken = true;
    throw new WriteBufferError(
      'UNSAFE_SESSION',
      typeof status === 'number'
        ? "the connection's sql_mode has NO_BACKSLASH_ESCAPES: the driver's escaping of values " +
            'would not hold; use createMysqlPool, whose session.sql sets the sql_mode'
        : 'START TRANSACTION answered without a server status: cannot tell whether the session ' +
            "reads the driver's backslash escapes",
    );
  }

  async #rollback(connection: WriteConnection): Promise<void> {
    try {
      await connection.rollback();
    } catch {
      this.#broken = true;
    }
  }
}

/** One tuple of checkpoints-advance.sql, in {@link CHECKPOINT_COLUMNS} order. */
function checkpointValues(checkpoint: Checkpoint): SqlValue[] {
  return [
    checkpoint.symbol,
    checkpoint.epoch,
    checkpoint.lastStreamId,
    checkpoint.lastSeq,
    checkpoint.makerFeePpm ?? null,
    checkpoint.takerFeePpm ?? null,
    checkpoint.lastTimestampMs ?? 0,
  ];
}

/** The two checkpoint files must say what this module sends, or nothing loads. */
function checkCheckpointStatements(): void {
  const fail = (problem: string): never => {
    throw new SqlTemplateError(problem);
  };
  if (CHECKPOINTS_LOCK.parameterCount !== 1) {
    fail(`${CHECKPOINTS_LOCK.name}: takes 1 parameter (the symbols), not ${CHECKPOINTS_LOCK.parameterCount}`);
  }
  const { name, table, columns, assignments } = CHECKPOINTS_ADVANCE;
  if (table !== CHECKPOINT_TABLE) fail(`${name}: writes ${table}, not ${CHECKPOINT_TABLE}`);
  if (columns.join() !== CHECKPOINT_COLUMNS.join()) {
    fail(`${name}: columns [${columns.join(', ')}], expected [${CHECKPOINT_COLUMNS.join(', ')}]`);
  }
  for (const { column } of assignments) {
    if (column === 'symbol' || column === 'epoch') fail(`${name}: must never update ${column}`);
  }
}
