import type { Pool, RowDataPacket } from 'mysql2/promise';
import { loadSqlStatement } from '../mysql/sql-statements.ts';
import { sqlBig, type Findings } from './mysql-audit-findings.ts';

/**
 * Orders and trades in MySQL (docs/mysql.md, "Audit"), held against each symbol's checkpoint. The
 * writer commits a batch's orders and trades with the checkpoint that covers them (WriteSink
 * .addBatch), so in any snapshot: no trade has a seq past the checkpoint's last_seq, no order a
 * version past it, and each order's filled quantity and quote are the sums of its trades. Each
 * chunk is read by one statement (one snapshot) with the checkpoint joined in, so a live writer
 * does not make these checks fail. Trade ids are unique by the primary key (symbol, seq) and a
 * CHECK ties trade_id to it: nothing to audit there.
 */

const ORDERS_CHUNK = loadSqlStatement('audit-orders-chunk.sql');
const TRADES_CHUNK = loadSqlStatement('audit-trades-chunk.sql');

export interface OrderAuditCounts {
  readonly orders: number;
  readonly trades: number;
}

/** Reports the symbols with orders or trades but no checkpoint row, then scans orders and trades. */
export async function auditOrdersAndTrades(
  pool: Pool,
  findings: Findings,
  checkpointed: ReadonlySet<string>,
  dataSymbols: readonly string[],
  chunkSize: number,
): Promise<OrderAuditCounts> {
  for (const symbol of dataSymbols) {
    if (checkpointed.has(symbol)) continue;
    findings.difference({
      kind: 'CHECKPOINT_MISSING',
      symbol,
      message:
        `${symbol}: MySQL has orders or trades but no symbol_checkpoints row (a takeover creates it ` +
        `before any write): their checkpoint checks were skipped`,
    });
  }
  const orders = await scanOrders(pool, findings, chunkSize);
  let trades = 0;
  for (const symbol of dataSymbols) trades += await scanTrades(pool, findings, symbol, chunkSize);
  return { orders, trades };
}

async function scanOrders(pool: Pool, findings: Findings, chunkSize: number): Promise<number> {
  let after = '0';
  let count = 0;
  for (;;) {
    const [rows] = await pool.query<RowDataPacket[]>(ORDERS_CHUNK.sql, [after, chunkSize]);
    for (const row of rows) checkOrder(findings, row);
    count += rows.length;
    if (rows.length < chunkSize) return count;
    after = String(rows[rows.length - 1]!.order_id);
  }
}

function checkOrder(findings: Findings, row: RowDataPacket): void {
  const orderId = String(row.order_id);
  const symbol = String(row.symbol);
  const status = String(row.status);
  const quantity = row.quantity_lots === null ? null : sqlBig(row.quantity_lots, 'orders.quantity_lots');
  const quoteLimit = row.quote_quantity === null ? null : sqlBig(row.quote_quantity, 'orders.quote_quantity');
  const filled = sqlBig(row.filled_quantity, 'orders.filled_quantity');
  const filledQuote = sqlBig(row.filled_quote, 'orders.filled_quote');
  const version = sqlBig(row.version, 'orders.version');
  const where = { symbol, orderId, userId: Number(row.user_id) };
  const name = `${symbol} order ${orderId} of user ${String(row.user_id)}`;

  const problem = statusProblem(status, quantity, quoteLimit, filled, filledQuote);
  if (problem !== undefined) {
    findings.difference({
      ...where,
      kind: 'ORDER_STATUS_MISMATCH',
      mysql: {
        status,
        quantityLots: quantity?.toString() ?? null,
        quoteQuantity: quoteLimit?.toString() ?? null,
        filledQuantity: filled.toString(),
        filledQuote: filledQuote.toString(),
      },
      message: `${name}: ${problem}`,
    });
  }

  if (row.checkpoint_seq === null) return; // CHECKPOINT_MISSING says so, once per symbol.
  const checkpointSeq = sqlBig(row.checkpoint_seq, 'symbol_checkpoints.last_seq');
  if (version > checkpointSeq) {
    findings.difference({
      ...where,
      kind: 'ORDER_AFTER_CHECKPOINT',
      mysql: { version: version.toString(), checkpointSeq: checkpointSeq.toString() },
      message:
        `${name}: version ${version} is past the checkpoint's last_seq ${checkpointSeq} ` +
        `(a row written without its checkpoint: a takeover would not expect it)`,
    });
    return;
  }
  const tradeLots =
    sqlBig(row.maker_lots, 'trades.quantity_lots sum') + sqlBig(row.taker_lots, 'trades.quantity_lots sum');
  const tradeQuote =
    sqlBig(row.maker_quote, 'trades.quote_quantity sum') +
    sqlBig(row.taker_quote, 'trades.quote_quantity sum');
  if (tradeLots !== filled || tradeQuote !== filledQuote) {
    findings.difference({
      ...where,
      kind: 'ORDER_FILL_MISMATCH',
      mysql: {
        filledQuantity: filled.toString(),
        filledQuote: filledQuote.toString(),
        tradesQuantity: tradeLots.toString(),
        tradesQuote: tradeQuote.toString(),
      },
      message:
        `${name}: filled ${filled} lots for ${filledQuote} quote, ` +
        `but its trades sum to ${tradeLots} lots for ${tradeQuote} quote`,
    });
  }
}

/** What is wrong with an order's status given its quantities (docs/engine.md), or undefined. */
function statusProblem(
  status: string,
  quantity: bigint | null,
  quoteLimit: bigint | null,
  filled: bigint,
  filledQuote: bigint,
): string | undefined {
  if (quantity !== null && filled > quantity) return `filled ${filled} of only ${quantity} ordered`;
  if (quoteLimit !== null && filledQuote > quoteLimit) {
    return `spent ${filledQuote} quote, more than its limit ${quoteLimit}`;
  }
  const complete = quantity !== null && filled === quantity;
  switch (status) {
    case 'new':
    case 'rejected':
      return filled === 0n ? undefined : `${status} but ${filled} lots filled`;
    case 'partially_filled':
      if (filled === 0n) return 'partially_filled with nothing filled';
      return complete ? `partially_filled but all ${quantity} lots filled` : undefined;
    case 'filled':
      // A market buy by quote amount (no quantity) is filled once it spent what it could.
      if (quantity === null) return filled === 0n ? 'filled with nothing filled' : undefined;
      return complete ? undefined : `filled but only ${filled} of ${quantity} lots filled`;
    case 'canceled':
    case 'expired':
      return complete ? `${status} but all ${quantity} lots filled: should be filled` : undefined;
    default:
      return `unknown status ${JSON.stringify(status)}`;
  }
}

/** One symbol's trades, chunk by chunk; returns how many. */
async function scanTrades(
  pool: Pool,
  findings: Findings,
  symbol: string,
  chunkSize: number,
): Promise<number> {
  let after = '0';
  let count = 0;
  /** Trades past the checkpoint: reported once per symbol, with their range. */
  let past: { count: number; first: string; last: string; checkpointSeq: bigint } | undefined;
  for (;;) {
    const [rows] = await pool.query<RowDataPacket[]>(TRADES_CHUNK.sql, [symbol, after, chunkSize]);
    for (const row of rows) {
      const seq = String(row.seq);
      if (row.checkpoint_seq !== null) {
        const checkpointSeq = sqlBig(row.checkpoint_seq, 'symbol_checkpoints.last_seq');
        if (sqlBig(row.seq, 'trades.seq') > checkpointSeq) {
          if (past === undefined) past = { count: 0, first: seq, last: seq, checkpointSeq };
          past.count += 1;
          past.last = seq;
          past.checkpointSeq = checkpointSeq;
        }
      }
      for (const side of ['maker', 'taker'] as const) checkTradeOrder(findings, symbol, seq, side, row);
    }
    count += rows.length;
    if (rows.length < chunkSize) break;
    after = String(rows[rows.length - 1]!.seq);
  }
  if (past !== undefined) {
    findings.difference({
      kind: 'TRADE_AFTER_CHECKPOINT',
      symbol,
      seq: past.first,
      mysql: {
        trades: String(past.count),
        firstSeq: past.first,
        lastSeq: past.last,
        checkpointSeq: past.checkpointSeq.toString(),
      },
      message:
        `${symbol}: ${past.count} trade${past.count === 1 ? '' : 's'} (seq ${past.first} to ${past.last}) ` +
        `past the checkpoint's last_seq ${past.checkpointSeq}: written without their checkpoint`,
    });
  }
  return count;
}

function checkTradeOrder(
  findings: Findings,
  symbol: string,
  seq: string,
  side: 'maker' | 'taker',
  row: RowDataPacket,
): void {
  const orderId = String(row[`${side}_order_id`]);
  const tradeUser = String(row[`${side}_user_id`]);
  const orderSymbol = row[`${side}_symbol`] as string | null;
  const orderOwner = row[`${side}_owner`] as string | null;
  const where = { symbol, seq, orderId, userId: Number(tradeUser) };
  const name = `${symbol} trade ${seq}: its ${side} order ${orderId} (user ${tradeUser})`;
  if (orderSymbol === null) {
    findings.difference({
      ...where,
      kind: 'TRADE_ORDER_MISSING',
      mysql: { orderId, userId: tradeUser },
      message: `${name} has no row in orders`,
    });
  } else if (orderSymbol !== symbol || String(orderOwner) !== tradeUser) {
    findings.difference({
      ...where,
      kind: 'TRADE_ORDER_MISMATCH',
      mysql: { tradeSymbol: symbol, tradeUserId: tradeUser, orderSymbol, orderUserId: String(orderOwner) },
      message: `${name} is an order of user ${String(orderOwner)} on ${orderSymbol}`,
    });
  }
}
