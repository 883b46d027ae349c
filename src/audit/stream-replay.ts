import type { Pool, RowDataPacket } from 'mysql2/promise';
import { MAX_SAFE } from '../engine/integer-math.ts';
import { OrderBook } from '../engine/order-book.ts';
import type { Command, EngineEvent, PlaceCommand } from '../engine/types.ts';
import type { CompiledMarket } from '../markets/market-rules.ts';
import { tradeEvents, tradeRows } from '../persistence/batch-rows.ts';
import type { TradeRow } from '../persistence/tables.ts';
import { loadSqlStatement } from '../mysql/sql-statements.ts';
import { createBatch } from '../redis/batch.ts';
import type { RedisClient } from '../redis/connection.ts';
import type { Keys } from '../redis/keys.ts';
import { decodeEntry, isUndecodable, type StreamCommand } from '../streams/command-codec.ts';

const TRADES_OF_SYMBOL = loadSqlStatement('trades-by-symbol-select.sql');

/**
 * Replays a symbol's whole command stream into a fresh engine and returns the trades it makes, as
 * `trades` rows (DESIGN.md invariant 6: the engine is a pure function of the ordered input). Read
 * only: it never writes to Redis.
 *
 * The engine's input is the stream *plus* the funds decisions the matcher took before the engine,
 * which the balance scripts recorded for exactly this (docs/balances.md): a place whose hold was
 * refused (`R`), or that got no hold because it was malformed (no record), never reached the engine;
 * a market buy by base quantity reached it with the amount its hold decided as its budget; an amend
 * whose extra hold was refused (`<orderId>#<entryId>` → `R`) never reached it.
 *
 * Only meaningful on a stream that was never trimmed (TRIM_STREAMS=false): a trimmed stream starts
 * after the symbol's first entries.
 */
export async function replayStreamTrades(
  redis: RedisClient,
  keys: Keys,
  market: CompiledMarket,
  options: { readonly chunk?: number } = {},
): Promise<TradeRow[]> {
  const symbol = market.definition.symbol;
  const stream = keys.orderStream(symbol);
  const book = new OrderBook(market.rules);
  const chunk = options.chunk ?? 1000;
  const trades: TradeRow[] = [];
  let after = '-';
  for (;;) {
    const start = after === '-' ? '-' : `(${after}`;
    const entries = (await redis.xrange(stream, start, '+', 'COUNT', chunk)) as Array<[string, string[]]>;
    if (entries.length === 0) break;
    after = entries[entries.length - 1]![0];
    const decoded = entries
      .map(([id, fields]) => decodeEntry(id, fields))
      .filter((entry): entry is StreamCommand => !isUndecodable(entry));
    const decisions = await fundsDecisions(redis, keys, decoded);
    const events: EngineEvent[] = [];
    decoded.forEach((entry, i) => {
      const command = decisions[i];
      if (command !== null && command !== undefined) book.apply(command, events);
    });
    trades.push(...tradeRows(symbol, tradeEvents(events)));
  }
  return trades;
}

/**
 * Per entry: the command as the engine got it, or null when the funds step kept it out. One batch of
 * HGETs over the entries' users (on a Cluster: spread over every master, one round trip each).
 */
async function fundsDecisions(
  redis: RedisClient,
  keys: Keys,
  entries: readonly StreamCommand[],
): Promise<Array<Command | null>> {
  const batch = createBatch(redis);
  const asked: Array<number | null> = [];
  let n = 0;
  for (const { entryId, command } of entries) {
    const c = command as Command & { userId?: unknown; orderId?: unknown };
    const userId =
      typeof c.userId === 'number' && Number.isSafeInteger(c.userId) && c.userId > 0 ? c.userId : null;
    if (userId !== null && c.type === 'place' && typeof c.orderId === 'string') {
      batch.hget(keys.holds(userId), c.orderId);
      asked.push(n++);
    } else if (userId !== null && c.type === 'amend' && typeof c.orderId === 'string') {
      batch.hget(keys.holds(userId), `${c.orderId}#${entryId}`);
      asked.push(n++);
    } else {
      asked.push(null);
    }
  }
  const replies = n > 0 ? ((await batch.exec()) ?? []) : [];
  return entries.map(({ command }, i) => {
    const at = asked[i];
    if (at === null || at === undefined) return command.type === 'place' ? null : command;
    const [error, value] = replies[at] ?? [null, null];
    if (error) throw error;
    const record = typeof value === 'string' ? value : null;
    if (command.type === 'amend') return record !== null && record.startsWith('R') ? null : command;
    // A place: no record (malformed, never held) or R (refused) kept it out of the engine.
    if (record === null || record === 'R') return null;
    const place = command as PlaceCommand;
    if (place.side === 'buy' && place.orderType === 'market' && place.quantity > 0) {
      const decided = BigInt(decidedAmount(record));
      return { ...place, quoteLimit: decided > BigInt(MAX_SAFE) ? MAX_SAFE : Number(decided) };
    }
    return place;
  });
}

/** What a hold decided: `<asset> <held> <amount>` while active, `X <asset> <amount>` once released. */
function decidedAmount(record: string): string {
  const parts = record.split(' ');
  return parts[parts.length - 1]!;
}

/** The `trades` rows MySQL holds for the symbol, in seq order, as the row mapper writes them. */
export async function mysqlTrades(pool: Pool, symbol: string): Promise<TradeRow[]> {
  const [rows] = await pool.execute<RowDataPacket[]>(TRADES_OF_SYMBOL.sql, [symbol]);
  return rows.map((row) => {
    const out: Record<string, string> = {};
    for (const [column, value] of Object.entries(row)) out[column] = String(value);
    return out as unknown as TradeRow;
  });
}
