import type { OrderRecord } from '../api/ports.ts';
import type { EngineEvent, TradeEvent } from '../engine/types.ts';
import type { CompiledMarket } from '../markets/market-rules.ts';
import type { MarketRow, OrderRow, TradeRow } from './tables.ts';

/**
 * What the matcher hands the WriteBuffer for a batch (docs/mysql.md): the rows of the durable tables
 * (src/persistence/tables.ts), mapped from the read model's records and the engine's events exactly
 * as the schema stores them. Pure: no I/O, no clock.
 *
 * Every value is checked against its column here, before the buffer owes it: a row the database
 * would refuse (an id that is not a BIGINT UNSIGNED, a client order id over 36 characters) would
 * otherwise fail every flush it is part of, and the buffer never drops rows. BIGINT columns travel
 * as decimal strings (exact, and what the pool reads back).
 */

export class PersistenceRowError extends Error {
  override readonly name = 'PersistenceRowError';
}

/** Where each order stands in the batch's events. */
export interface OrderSeqs {
  /** Seq of the last event that names the order: the version of its state after the batch. */
  readonly version: number;
  /** Seq of its last `rested` event in the batch (its time priority then), if it rested. */
  readonly restedSeq: number | undefined;
}

/**
 * The entry seq of an order resting in the book now (the engine's `OrderView.entrySeq`), or
 * undefined when it is not in the book; e.g. `(id) => book.getOrder(id)?.entrySeq`. Asked right after
 * the batch, before the next one is applied.
 */
export type EntrySeqLookup = (orderId: string) => number | undefined;

/** Every event of a batch, in engine order: the `events` of each processed command. */
export function batchEvents(commands: readonly { readonly events: readonly EngineEvent[] }[]): EngineEvent[] {
  return commands.flatMap((command) => command.events);
}

/** The trade events among `events`, in order. */
export function tradeEvents(events: Iterable<EngineEvent>): TradeEvent[] {
  const trades: TradeEvent[] = [];
  for (const event of events) if (event.type === 'trade') trades.push(event);
  return trades;
}

/**
 * The versions (and rested seqs) of the orders the events name. A trade names its maker and its
 * taker; a rejection names the order of the command (a rejected place's own order).
 */
export function orderSeqs(events: Iterable<EngineEvent>): Map<string, OrderSeqs> {
  const seqs = new Map<string, OrderSeqs>();
  const see = (orderId: string, seq: number, rested: boolean) => {
    if (orderId === '') return;
    const held = seqs.get(orderId);
    const version = held === undefined ? seq : Math.max(held.version, seq);
    seqs.set(orderId, { version, restedSeq: rested ? seq : held?.restedSeq });
  };
  for (const event of events) {
    switch (event.type) {
      case 'trade':
        see(event.takerOrderId, event.seq, false);
        see(event.makerOrderId, event.seq, false);
        break;
      case 'rested':
        see(event.orderId, event.seq, true);
        break;
      case 'accepted':
      case 'amended':
      case 'canceled':
      case 'expired':
      case 'rejected':
      case 'done':
        see(event.orderId, event.seq, false);
        break;
      case 'feesChanged':
        break;
    }
  }
  return seqs;
}

/**
 * The `orders` rows of the records a batch changed (ProjectedBatch.orders[i].record).
 *
 * version: the seq of the last event of the order in the batch; a place refused for funds before
 * the engine has no event and gets version 0 (its row never changes). Any other record without an
 * event in `seqs` is a caller's mistake and throws.
 *
 * entry_seq: the book's entry seq while the order rests, else the seq of its last `rested` event in
 * the batch, else null, which the upsert reads as "unchanged" (an order that rested in an earlier
 * batch and left the book in this one keeps its stored entry_seq).
 */
export function orderRows(
  records: readonly OrderRecord[],
  seqs: ReadonlyMap<string, OrderSeqs>,
  entrySeqOf: EntrySeqLookup,
): OrderRow[] {
  return records.map((record) => {
    const at = seqs.get(record.orderId);
    let version: number;
    if (at !== undefined) version = at.version;
    else if (record.status === 'rejected' && record.fills.length === 0) version = 0;
    else {
      throw new PersistenceRowError(
        `order ${record.orderId}: no event of the batch names it, so it has no version`,
      );
    }
    const entrySeq = entrySeqOf(record.orderId) ?? at?.restedSeq;
    const column = `orders ${record.orderId}`;
    return {
      order_id: bigintId(record.orderId, `${column}: order_id`),
      symbol: text(record.symbol, 25, `${column}: symbol`),
      user_id: count(record.userId, `${column}: user_id`),
      client_order_id:
        record.clientOrderId === null ? null : text(record.clientOrderId, 36, `${column}: client_order_id`),
      side: record.side,
      type: record.type,
      price_ticks: nullableCount(record.price, `${column}: price_ticks`),
      quantity_lots: nullableCount(record.quantity, `${column}: quantity_lots`),
      quote_quantity: nullableCount(record.quoteQuantity, `${column}: quote_quantity`),
      time_in_force: record.timeInForce,
      post_only: record.postOnly,
      self_trade_prevention: record.selfTradePrevention,
      status: record.status,
      filled_quantity: count(record.filledQuantity, `${column}: filled_quantity`),
      filled_quote: count(record.filledQuote, `${column}: filled_quote`),
      reject_reason:
        record.rejectReason === null ? null : text(record.rejectReason, 64, `${column}: reject_reason`),
      entry_seq: nullableCount(entrySeq ?? null, `${column}: entry_seq`),
      created_at_ms: count(record.createdAt, `${column}: created_at_ms`),
      updated_at_ms: count(record.updatedAt, `${column}: updated_at_ms`),
      version: count(version, `${column}: version`),
    };
  });
}

/** The `trades` rows of a batch's trade events on `symbol`: one per event, keyed (symbol, seq). */
export function tradeRows(symbol: string, events: readonly TradeEvent[]): TradeRow[] {
  text(symbol, 25, 'trades: symbol');
  return events.map((event) => {
    const column = `trades ${symbol}:${event.seq}`;
    return {
      symbol,
      seq: count(event.seq, `${column}: seq`),
      trade_id: text(`${symbol}:${event.seq}`, 64, `${column}: trade_id`),
      price_ticks: count(event.price, `${column}: price_ticks`),
      quantity_lots: count(event.quantity, `${column}: quantity_lots`),
      quote_quantity: count(event.quoteQuantity, `${column}: quote_quantity`),
      taker_side: event.takerSide,
      maker_order_id: bigintId(event.makerOrderId, `${column}: maker_order_id`),
      taker_order_id: bigintId(event.takerOrderId, `${column}: taker_order_id`),
      maker_user_id: count(event.makerUserId, `${column}: maker_user_id`),
      taker_user_id: count(event.takerUserId, `${column}: taker_user_id`),
      maker_fee: count(event.makerFee, `${column}: maker_fee`),
      taker_fee: count(event.takerFee, `${column}: taker_fee`),
      time_ms: count(event.timestamp, `${column}: time_ms`),
    };
  });
}

/** The `markets` row of a compiled market: its shortest-form decimals and its fees in ppm. */
export function marketRow(market: CompiledMarket): MarketRow {
  const { definition: d, rules } = market;
  return {
    symbol: text(d.symbol, 25, 'markets: symbol'),
    base: text(d.base, 12, 'markets: base'),
    quote: text(d.quote, 12, 'markets: quote'),
    base_precision: d.basePrecision,
    quote_precision: d.quotePrecision,
    tick_size: d.tickSize,
    lot_size: d.lotSize,
    min_notional: d.minNotional,
    maker_fee_ppm: rules.makerFeePpm,
    taker_fee_ppm: rules.takerFeePpm,
    status: d.status,
  };
}

const MAX_BIGINT_UNSIGNED = 2n ** 64n - 1n;

/** An id of a BIGINT UNSIGNED column (a snowflake), as its canonical decimal string. */
function bigintId(id: string, what: string): string {
  if (!/^(0|[1-9]\d{0,19})$/.test(id) || BigInt(id) > MAX_BIGINT_UNSIGNED) {
    throw new PersistenceRowError(`${what}: "${id}" is not a BIGINT UNSIGNED decimal id`);
  }
  return id;
}

/** A non-negative exact integer, as a decimal string. */
function count(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new PersistenceRowError(`${what}: ${value} is not an integer ≥ 0`);
  }
  return String(value);
}

function nullableCount(value: number | null, what: string): string | null {
  return value === null ? null : count(value, what);
}

function text(value: string, maxLength: number, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new PersistenceRowError(`${what}: "${value}" is not 1 to ${maxLength} characters`);
  }
  return value;
}
