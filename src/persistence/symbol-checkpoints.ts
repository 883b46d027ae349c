import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { withRetries, type RetryPolicy } from '../mysql/flush-retry.ts';
import { loadSqlStatement } from '../mysql/sql-statements.ts';

/**
 * The MySQL side of a takeover's first step (DESIGN.md §2, docs/mysql.md "Fencing"): a new owner of
 * a symbol creates its `symbol_checkpoints` row if missing and bumps its epoch, in one transaction,
 * and reads back where the durable state stands. From the commit on, a WriteBuffer holding an older
 * epoch is fenced (checkpoints-lock finds another epoch); the new owner passes the returned epoch
 * to every `WriteBuffer.checkpoint`, loads the book as of `lastStreamId` (book-loader.ts) and
 * replays the stream after it.
 *
 * Concurrent claims of one symbol serialize on the row's lock (taken by the create's no-op update),
 * so each gets its own epoch and the last to commit holds the fence. A deadlock or lock-wait timeout
 * (possible when several takeovers create the same missing row at once) is retried.
 */

const CREATE = loadSqlStatement('checkpoint-create.sql');
const BUMP_EPOCH = loadSqlStatement('checkpoint-bump-epoch.sql');
const SELECT = loadSqlStatement('checkpoint-select.sql');

/** A symbol's checkpoint and fence as a claim left it. */
export interface ClaimedCheckpoint {
  readonly symbol: string;
  /** The claimer's epoch: pass it to every WriteBuffer.checkpoint of the symbol. */
  readonly epoch: number;
  /** The last stream entry whose effects are in MySQL ('0-0': none); replay after it. */
  readonly lastStreamId: string;
  /** The engine seq of the symbol after that entry: the loaded book's sequence. */
  readonly lastSeq: number;
  /** Fees in force in the engine at that entry; null before the first checkpoint recorded them. */
  readonly makerFeePpm: number | null;
  readonly takerFeePpm: number | null;
  /** Timestamp of the last command applied at that entry (0: none). */
  readonly lastTimestampMs: number;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

export interface ClaimOptions {
  /** Retries of a deadlock or lock-wait timeout. Default: 3 retries, 20 ms doubling to 500 ms. */
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 500 };

/** Takes the symbol's fence: create the row if missing, epoch + 1, read back; one transaction. */
export async function claimSymbol(
  pool: Pool,
  symbol: string,
  options: ClaimOptions = {},
): Promise<ClaimedCheckpoint> {
  const outcome = await withRetries(
    async () => {
      const connection = await pool.getConnection();
      try {
        return await claimOn(connection, symbol);
      } finally {
        connection.release();
      }
    },
    options.retry ?? DEFAULT_RETRY,
    {
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
    },
  );
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

async function claimOn(connection: PoolConnection, symbol: string): Promise<ClaimedCheckpoint> {
  await connection.beginTransaction();
  try {
    await connection.execute(CREATE.sql, [symbol]);
    await connection.execute(BUMP_EPOCH.sql, [symbol]);
    const [rows] = await connection.execute<RowDataPacket[]>(SELECT.sql, [symbol]);
    if (rows.length !== 1) throw new CheckpointError(`${symbol}: no checkpoint row after the claim`);
    const claimed = checkpointOf(rows[0]!);
    await connection.commit();
    return claimed;
  } catch (error) {
    // A deadlock victim is rolled back already; a lock-wait timeout leaves the transaction open.
    await connection.rollback().catch(() => undefined);
    throw error;
  }
}

/** A `symbol_checkpoints` row (BIGINTs read back as decimal strings) as a ClaimedCheckpoint. */
function checkpointOf(row: RowDataPacket): ClaimedCheckpoint {
  const symbol = String(row.symbol);
  const int = (value: unknown, what: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0 || String(n) !== String(value)) {
      throw new CheckpointError(`${symbol}: ${what} ${String(value)} is not a safe integer ≥ 0`);
    }
    return n;
  };
  const lastStreamId = String(row.last_stream_id);
  if (!/^\d{1,20}-\d{1,20}$/.test(lastStreamId)) {
    throw new CheckpointError(`${symbol}: last_stream_id "${lastStreamId}" is not a stream id`);
  }
  return {
    symbol,
    epoch: int(row.epoch, 'epoch'),
    lastStreamId,
    lastSeq: int(row.last_seq, 'last_seq'),
    makerFeePpm: row.maker_fee_ppm === null ? null : int(row.maker_fee_ppm, 'maker_fee_ppm'),
    takerFeePpm: row.taker_fee_ppm === null ? null : int(row.taker_fee_ppm, 'taker_fee_ppm'),
    lastTimestampMs: int(row.last_timestamp_ms, 'last_timestamp_ms'),
  };
}
