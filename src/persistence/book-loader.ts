import type { Pool, RowDataPacket } from 'mysql2/promise';
import { loadSqlStatement } from '../mysql/sql-statements.ts';
import type {
  BookSnapshot,
  MarketRules,
  OrderView,
  SelfTradePrevention,
  Side,
  TimeInForce,
} from '../engine/types.ts';
import type { ClaimedCheckpoint } from './symbol-checkpoints.ts';

/**
 * A takeover's second step (DESIGN.md §2): the book of a symbol as MySQL holds it at the symbol's
 * checkpoint, as the engine's `BookSnapshot`, for `OrderBook.restore`. The new owner then replays the
 * stream after `checkpoint.lastStreamId`.
 *
 * MySQL is consistent with the checkpoint: the WriteBuffer writes a batch's rows and advances the
 * checkpoint in one transaction, and a claim (symbol-checkpoints.ts) fences every older owner first.
 *
 * What the engine's `OrderView` needs, and where each field comes from (`orders`, migration 0002):
 *
 * | OrderView             | column                    | note |
 * |-----------------------|---------------------------|------|
 * | orderId               | order_id                  | decimal string, as the engine saw it |
 * | userId                | user_id                   | |
 * | side                  | side                      | |
 * | price                 | price_ticks               | the current limit (after amends); a resting order is a limit order |
 * | quantity              | quantity_lots             | the total after amends, filled included |
 * | filledQuantity        | filled_quantity           | |
 * | remainingQuantity     | quantity_lots − filled_quantity | not stored: must be > 0 for an open order |
 * | filledQuote           | filled_quote              | |
 * | quoteLimit            | quote_quantity ?? 0       | stored only for a market buy by quote amount, which never rests: a resting order's is 0 (the API gives limit orders none, the matcher budgets only market buys) |
 * | timeInForce           | time_in_force             | only GTC rests (IOC/FOK never do) |
 * | postOnly              | post_only                 | 0/1 |
 * | selfTradePrevention   | self_trade_prevention     | |
 * | timestamp             | created_at_ms             | the place command's timestamp (stream id ms) |
 * | entrySeq              | entry_seq                 | seq of the latest `rested` event: time priority, and cancelAll order |
 *
 * And the snapshot: `sequence` = checkpoint.lastSeq; `lastTimestamp` = the newest updated_at_ms of
 * the open orders, or 0. The live book's lastTimestamp is the timestamp of the last command it
 * applied, whatever it touched, which MySQL does not store: the two differ when that command left
 * no open order changed (a cancel, a fill that consumed its makers, a rejection). It only enters
 * snapshots and their hash, never an event. `rules` are the caller's (fees changed by a `setFees`
 * command live only in the book).
 *
 * Orders are listed as `OrderBook.snapshot()` lists them: bids then asks, best price first, then by
 * entrySeq (oldest first), so a restored book's snapshot equals the live book's.
 *
 * Anything an open order could not be in the engine is refused with a {@link BookLoadError} rather
 * than restored into a book that would diverge: no entry_seq, not a GTC limit order, quantities that
 * do not add up (filled ≥ quantity, so remaining ≤ 0), a status that contradicts its fills, a state
 * newer than the checkpoint, two orders with one entry_seq.
 */

const OPEN_ORDERS = loadSqlStatement('orders-open-select.sql');

export class BookLoadError extends Error {
  override readonly name = 'BookLoadError';
  constructor(
    readonly symbol: string,
    readonly orderId: string | undefined,
    message: string,
  ) {
    super(`${symbol}${orderId === undefined ? '' : ` order ${orderId}`}: ${message}`);
  }
}

/**
 * The part of a checkpoint the loader needs (a ClaimedCheckpoint fits). Fees and the last command
 * timestamp, when the checkpoint recorded them (migration 0008), replace the caller's rules' fees and
 * the timestamp guessed from the open orders, so the restored book is the live book exactly.
 */
export type LoadCheckpoint = Pick<ClaimedCheckpoint, 'symbol' | 'lastSeq'> &
  Partial<Pick<ClaimedCheckpoint, 'makerFeePpm' | 'takerFeePpm' | 'lastTimestampMs'>>;

/** The open orders of `rules.symbol` in MySQL, as the engine snapshot of its book at `checkpoint`. */
export async function loadBookSnapshot(
  pool: Pool,
  rules: MarketRules,
  checkpoint: LoadCheckpoint,
): Promise<BookSnapshot> {
  if (checkpoint.symbol !== rules.symbol) {
    throw new BookLoadError(rules.symbol, undefined, `checkpoint of ${checkpoint.symbol} given`);
  }
  const [rows] = await pool.execute<RowDataPacket[]>(OPEN_ORDERS.sql, [rules.symbol]);
  const { makerFeePpm, takerFeePpm, lastTimestampMs } = checkpoint;
  const atCheckpoint: MarketRules = {
    ...rules,
    makerFeePpm: makerFeePpm ?? rules.makerFeePpm,
    takerFeePpm: takerFeePpm ?? rules.takerFeePpm,
  };
  const snapshot = snapshotOfRows(atCheckpoint, checkpoint.lastSeq, rows);
  // A recorded timestamp is the live book's; without one, the newest open order's is the best guess.
  return lastTimestampMs !== undefined && lastTimestampMs > 0
    ? { ...snapshot, lastTimestamp: lastTimestampMs }
    : snapshot;
}

/** A row of orders-open-select.sql as the pool reads it (BIGINTs as decimal strings, BOOLEAN 0/1). */
export interface OpenOrderRow {
  readonly order_id: string;
  readonly user_id: string;
  readonly side: string;
  readonly type: string;
  readonly price_ticks: string | null;
  readonly quantity_lots: string | null;
  readonly quote_quantity: string | null;
  readonly time_in_force: string;
  readonly post_only: number | boolean;
  readonly self_trade_prevention: string;
  readonly status: string;
  readonly filled_quantity: string;
  readonly filled_quote: string;
  readonly entry_seq: string | null;
  readonly created_at_ms: string;
  readonly updated_at_ms: string;
  readonly version: string;
}

/** The snapshot of the given open-order rows (pure: the checks and the mapping of the table above). */
export function snapshotOfRows(
  rules: MarketRules,
  lastSeq: number,
  rows: readonly OpenOrderRow[] | readonly RowDataPacket[],
): BookSnapshot {
  const symbol = rules.symbol;
  const bids: OrderView[] = [];
  const asks: OrderView[] = [];
  const entrySeqs = new Map<number, string>();
  let lastTimestamp = 0;
  for (const raw of rows as readonly OpenOrderRow[]) {
    const orderId = String(raw.order_id);
    const fail = (message: string): never => {
      throw new BookLoadError(symbol, orderId, message);
    };
    const int = (value: unknown, column: string): number => {
      if (value === null || value === undefined) return fail(`${column} is NULL`);
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0 || String(n) !== String(value)) {
        fail(`${column} ${String(value)} is not a safe integer ≥ 0`);
      }
      return n;
    };

    if (raw.entry_seq === null) fail('is open but has no entry_seq: its time priority is unknown');
    if (raw.type !== 'limit') fail(`is open but is a ${raw.type} order: only limit orders rest`);
    if (raw.time_in_force !== 'GTC') fail(`is open but is ${raw.time_in_force}: only GTC orders rest`);
    const entrySeq = int(raw.entry_seq, 'entry_seq');
    const version = int(raw.version, 'version');
    const price = int(raw.price_ticks, 'price_ticks');
    const quantity = int(raw.quantity_lots, 'quantity_lots');
    const filledQuantity = int(raw.filled_quantity, 'filled_quantity');
    const filledQuote = int(raw.filled_quote, 'filled_quote');
    const quoteLimit = raw.quote_quantity === null ? 0 : int(raw.quote_quantity, 'quote_quantity');
    const userId = int(raw.user_id, 'user_id');
    const timestamp = int(raw.created_at_ms, 'created_at_ms');
    const updatedAt = int(raw.updated_at_ms, 'updated_at_ms');
    const remainingQuantity = quantity - filledQuantity;

    if (price === 0) fail('price_ticks is 0');
    if (userId === 0) fail('user_id is 0');
    if (remainingQuantity <= 0) {
      fail(
        `quantities do not add up for an open order: filled ${filledQuantity} + remaining ` +
          `${remainingQuantity} = quantity ${quantity}, remaining must be > 0`,
      );
    }
    if ((raw.status === 'new') !== (filledQuantity === 0)) {
      fail(`status ${raw.status} with filled_quantity ${filledQuantity}`);
    }
    if ((filledQuantity === 0) !== (filledQuote === 0)) {
      fail(`filled_quantity ${filledQuantity} with filled_quote ${filledQuote}`);
    }
    if (entrySeq === 0 || entrySeq > version) fail(`entry_seq ${entrySeq} with version ${version}`);
    if (version > lastSeq) {
      fail(`version ${version} is newer than the checkpoint's seq ${lastSeq}: MySQL is ahead of it`);
    }
    const other = entrySeqs.get(entrySeq);
    if (other !== undefined) fail(`shares entry_seq ${entrySeq} with order ${other}`);
    entrySeqs.set(entrySeq, orderId);

    const view: OrderView = {
      orderId,
      userId,
      side: oneOf<Side>(raw.side, ['buy', 'sell'], 'side', fail),
      price,
      quantity,
      remainingQuantity,
      filledQuantity,
      filledQuote,
      quoteLimit,
      timeInForce: raw.time_in_force as TimeInForce,
      postOnly: raw.post_only === 1 || raw.post_only === true,
      selfTradePrevention: oneOf<SelfTradePrevention>(
        raw.self_trade_prevention,
        ['expire_taker', 'expire_maker', 'expire_both', 'none'],
        'self_trade_prevention',
        fail,
      ),
      timestamp,
      entrySeq,
    };
    (view.side === 'buy' ? bids : asks).push(view);
    if (updatedAt > lastTimestamp) lastTimestamp = updatedAt;
  }
  // Best price first (bids high to low, asks low to high), then time priority.
  bids.sort((a, b) => b.price - a.price || a.entrySeq - b.entrySeq);
  asks.sort((a, b) => a.price - b.price || a.entrySeq - b.entrySeq);
  return { version: 1, rules: { ...rules }, sequence: lastSeq, lastTimestamp, bids, asks };
}

function oneOf<T extends string>(
  value: string,
  allowed: readonly T[],
  column: string,
  fail: (message: string) => never,
): T {
  if (!(allowed as readonly string[]).includes(value)) fail(`${column} ${value} is not one of ${allowed}`);
  return value as T;
}
