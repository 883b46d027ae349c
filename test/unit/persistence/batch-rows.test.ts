import { expect } from 'chai';
import type { EngineEvent } from '../../../src/engine/types.ts';
import { compileMarket } from '../../../src/markets/market-rules.ts';
import {
  batchEvents,
  marketRow,
  orderRows,
  orderSeqs,
  PersistenceRowError,
  tradeEvents,
  tradeRows,
} from '../../../src/persistence/batch-rows.ts';
import { DURABLE_TABLES, ORDERS, TRADES } from '../../../src/persistence/tables.ts';
import { amend, buy, cancel, sell } from '../../support/engine-fixtures.ts';
import {
  noFunds,
  ProjectionHarness,
  T0,
  withCoid,
  type BatchItem,
} from '../read-model/projection-harness.ts';

/** A real OrderBook and OrderProjection; each batch returns its records and its own events. */
class Driver {
  readonly h = new ProjectionHarness();

  async batch(items: readonly BatchItem[]) {
    const from = this.h.events.length;
    const projected = await this.h.batch(items);
    const events = this.h.events.slice(from);
    const records = projected.orders.map((o) => o.record);
    const rows = orderRows(records, orderSeqs(events), (id) => this.h.book.getOrder(id)?.entrySeq);
    return { projected, events, records, rows, trades: tradeRows('BTC-USDT', tradeEvents(events)) };
  }
}

const seqOf = (events: readonly EngineEvent[], type: EngineEvent['type'], orderId: string) =>
  events.filter((e) => e.type === type && 'orderId' in e && e.orderId === orderId).at(-1)!.seq;

describe('persistence/batch-rows: engine output into rows of the durable tables', () => {
  it('maps every record of a batch to its orders row, column for column, as exact strings', async () => {
    const d = new Driver();
    const { records, rows, events } = await d.batch([
      withCoid(sell('101', 1, 100, 10), 'maker-a'),
      sell('102', 2, 101, 5),
      buy('201', 3, 101, 12),
      noFunds(buy('301', 4, 100, 1)),
      buy('202', 3, 99, 3, { postOnly: true }),
    ]);
    expect(rows.map((r) => r.order_id)).to.deep.equal(records.map((r) => r.orderId));
    const byId = new Map(rows.map((r) => [r.order_id, r]));

    expect(byId.get('101')).to.deep.equal({
      order_id: '101',
      symbol: 'BTC-USDT',
      user_id: '1',
      client_order_id: 'maker-a',
      side: 'sell',
      type: 'limit',
      price_ticks: '100',
      quantity_lots: '10',
      quote_quantity: null,
      time_in_force: 'GTC',
      post_only: false,
      self_trade_prevention: 'expire_taker',
      status: 'filled',
      filled_quantity: '10',
      filled_quote: '1000',
      reject_reason: null,
      // It rested, then left the book in the same batch: the seq of its rested event.
      entry_seq: String(seqOf(events, 'rested', '101')),
      created_at_ms: String(T0),
      updated_at_ms: String(T0 + 2),
      version: String(seqOf(events, 'done', '101')),
    });
    // Still resting, partially filled: the book's entry seq; its last event is the trade with 201.
    const r102 = byId.get('102')!;
    expect(r102.status).to.equal('partially_filled');
    expect(r102.entry_seq).to.equal(String(d.h.book.getOrder('102')!.entrySeq));
    const lastTrade = tradeEvents(events).at(-1)!;
    expect(r102.version).to.equal(String(lastTrade.seq));
    // The taker never rested.
    expect(byId.get('201')).to.include({ status: 'filled', entry_seq: null, filled_quantity: '12' });
    expect(byId.get('201')!.version).to.equal(String(seqOf(events, 'done', '201')));
    // Refused for funds before the engine: no event, version 0, never changes.
    expect(byId.get('301')).to.include({
      status: 'rejected',
      reject_reason: 'INSUFFICIENT_FUNDS',
      version: '0',
      entry_seq: null,
    });
    expect(byId.get('202')).to.include({ post_only: true, status: 'new' });

    // Each record's fields, as the projection has them.
    for (const record of records) {
      const row = byId.get(record.orderId)!;
      expect(row.status).to.equal(record.status);
      expect(row.filled_quantity).to.equal(String(record.filledQuantity));
      expect(row.filled_quote).to.equal(String(record.filledQuote));
      expect(row.price_ticks).to.equal(record.price === null ? null : String(record.price));
      expect(row.updated_at_ms).to.equal(String(record.updatedAt));
    }
  });

  it('maps every trade event to its trades row, keyed (symbol, seq)', async () => {
    const d = new Driver();
    await d.batch([sell('101', 1, 100, 10), sell('102', 2, 101, 5)]);
    const { trades, events, projected } = await d.batch([buy('201', 3, 101, 12)]);
    const [first, second] = tradeEvents(events);
    expect(trades).to.have.length(2);
    expect(trades[0]).to.deep.equal({
      symbol: 'BTC-USDT',
      seq: String(first!.seq),
      trade_id: `BTC-USDT:${first!.seq}`,
      price_ticks: '100',
      quantity_lots: '10',
      quote_quantity: String(first!.quoteQuantity),
      taker_side: 'buy',
      maker_order_id: '101',
      taker_order_id: '201',
      maker_user_id: '1',
      taker_user_id: '3',
      maker_fee: String(first!.makerFee),
      taker_fee: String(first!.takerFee),
      time_ms: String(first!.timestamp),
    });
    expect(trades[1]).to.include({ maker_order_id: '102', quantity_lots: '2', price_ticks: '101' });
    expect(trades[1]!.seq).to.equal(String(second!.seq));
    // The projection's public trades carry the same ids.
    expect(trades.map((t) => t.trade_id)).to.deep.equal(projected.publicTrades.map((t) => t.tradeId));
  });

  it('raises an order version batch after batch; entry_seq follows the book and is null once it left', async () => {
    const d = new Driver();
    const b1 = await d.batch([sell('101', 1, 100, 10)]);
    const b2 = await d.batch([amend('101', 1, 105, 0)]); // a new price loses priority: rests again
    const b3 = await d.batch([cancel('101', 1)]);
    const versions = [b1, b2, b3].map((b) => BigInt(b.rows[0]!.version as string));
    expect(versions[0]! < versions[1]! && versions[1]! < versions[2]!).to.equal(true);
    expect(b1.rows[0]!.entry_seq).to.equal(String(seqOf(b1.events, 'rested', '101')));
    expect(b2.rows[0]!.entry_seq).to.equal(String(seqOf(b2.events, 'rested', '101')));
    expect(b2.rows[0]!.entry_seq).to.not.equal(b1.rows[0]!.entry_seq);
    expect(b2.rows[0]!.price_ticks).to.equal('105');
    // Canceled in a later batch: neither the book nor the batch knows it; the upsert keeps the stored one.
    expect(b3.rows[0]).to.include({ status: 'canceled', entry_seq: null });
    expect(b3.rows[0]!.version).to.equal(String(seqOf(b3.events, 'done', '101')));
  });

  it('gives the same rows when the same commands are replayed on a fresh book', async () => {
    const items = [sell('101', 1, 100, 10), buy('201', 2, 100, 4), cancel('101', 1)];
    const a = await new Driver().batch(items);
    const b = await new Driver().batch(items);
    expect(b.rows).to.deep.equal(a.rows);
    expect(b.trades).to.deep.equal(a.trades);
  });

  it('collects the events of processed commands in engine order', async () => {
    const d = new Driver();
    const { events } = await d.batch([sell('101', 1, 100, 10), buy('201', 2, 100, 4)]);
    const commands = [{ events: events.slice(0, 2) }, { events: events.slice(2) }, { events: [] }];
    expect(batchEvents(commands)).to.deep.equal(events);
  });

  it('refuses what the schema could not store, before the buffer owes it', async () => {
    const d = new Driver();
    const { records, events } = await d.batch([sell('101', 1, 100, 10)]);
    const seqs = orderSeqs(events);
    const none = () => undefined;
    const bad = (patch: object) => () => orderRows([{ ...records[0]!, ...patch }], seqs, none);
    expect(() =>
      orderRows([{ ...records[0]!, orderId: 'abc' }], new Map([['abc', seqs.get('101')!]]), none),
    ).to.throw(PersistenceRowError, /BIGINT UNSIGNED/);
    expect(() =>
      orderRows(
        [{ ...records[0]!, orderId: '18446744073709551616' }],
        new Map([['18446744073709551616', seqs.get('101')!]]),
        none,
      ),
    ).to.throw(PersistenceRowError);
    expect(bad({ clientOrderId: 'x'.repeat(37) })).to.throw(PersistenceRowError, /client_order_id/);
    expect(bad({ filledQuote: -1 })).to.throw(PersistenceRowError, /filled_quote/);
    expect(bad({ filledQuote: 0.5 })).to.throw(PersistenceRowError, /filled_quote/);
    expect(() => orderRows(records, new Map(), none)).to.throw(PersistenceRowError, /no version/);
    expect(
      orderRows(
        [{ ...records[0]!, orderId: '18446744073709551615' }],
        new Map([['18446744073709551615', seqs.get('101')!]]),
        none,
      )[0]!.order_id,
    ).to.equal('18446744073709551615');
  });

  it('maps a compiled market to its markets row, fees in ppm', () => {
    const market = compileMarket({
      symbol: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      basePrecision: 8,
      quotePrecision: 6,
      tickSize: '0.10',
      lotSize: '0.00001',
      minNotional: '5',
      makerFee: '0.001',
      takerFee: '0.002',
      status: 'trading',
    });
    expect(marketRow(market)).to.deep.equal({
      symbol: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      base_precision: 8,
      quote_precision: 6,
      tick_size: '0.1',
      lot_size: '0.00001',
      min_notional: '5',
      maker_fee_ppm: 1000,
      taker_fee_ppm: 2000,
      status: 'trading',
    });
  });

  it('declares the tables against their templates, orders version-guarded', () => {
    expect(DURABLE_TABLES.map((t) => t.name)).to.deep.equal([
      'markets',
      'orders',
      'trades',
      'balances',
      'deposits',
      'withdrawals',
    ]);
    expect(ORDERS.version).to.equal('version');
    expect(ORDERS.upsert.assignments.at(-1)!.column).to.equal('version');
    expect(TRADES.primaryKey).to.deep.equal(['symbol', 'seq']);
    expect(TRADES.upsert.assignments).to.deep.equal([{ column: 'seq', expression: 'seq' }]);
  });
});
