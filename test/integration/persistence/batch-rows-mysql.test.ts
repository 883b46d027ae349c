/**
 * A real engine batch, through the real OrderProjection and the row mappers, into a real WriteBuffer
 * on MariaDB (a migrated database of this file's own): what reads back, and what a replay, a late
 * older state and a fenced owner change.
 */
import { expect } from 'chai';
import type { RowDataPacket } from 'mysql2/promise';
import type { EngineEvent } from '../../../src/engine/types.ts';
import { compileMarket } from '../../../src/markets/market-rules.ts';
import { FencedError, WriteBuffer } from '../../../src/mysql/write-buffer.ts';
import {
  marketRow,
  orderRows,
  orderSeqs,
  tradeEvents,
  tradeRows,
} from '../../../src/persistence/batch-rows.ts';
import {
  DEPOSITS,
  DURABLE_TABLES,
  MARKETS,
  ORDERS,
  TRADES,
  WITHDRAWALS,
  type OrderRow,
  type TradeRow,
} from '../../../src/persistence/tables.ts';
import { amend, buy, cancel, sell } from '../../support/engine-fixtures.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import {
  noFunds,
  ProjectionHarness,
  withCoid,
  type BatchItem,
} from '../../unit/read-model/projection-harness.ts';

const SYMBOL = 'BTC-USDT';

/** A matcher of one symbol, without Redis: book, projection, mappers, one WriteBuffer. */
class Owner {
  readonly h = new ProjectionHarness();
  readonly buffer: WriteBuffer;

  constructor(
    t: TestMysql,
    readonly epoch: number,
  ) {
    this.buffer = new WriteBuffer({ connections: t.pool, tables: DURABLE_TABLES, autoFlush: false });
  }

  /** Runs one batch and owes its rows and checkpoint; returns what it owed. */
  async batch(items: readonly BatchItem[]) {
    const from = this.h.events.length;
    const projected = await this.h.batch(items);
    const events: EngineEvent[] = this.h.events.slice(from);
    const records = projected.orders.map((o) => o.record);
    const orders = orderRows(records, orderSeqs(events), (id) => this.h.book.getOrder(id)?.entrySeq);
    const trades = tradeRows(SYMBOL, tradeEvents(events));
    this.owe(orders, trades);
    const lastSeq = events.length > 0 ? events.at(-1)!.seq : 0;
    this.buffer.checkpoint({
      symbol: SYMBOL,
      epoch: this.epoch,
      lastStreamId: `${this.h.now - 1}-0`,
      lastSeq,
    });
    return { records, orders, trades, lastSeq };
  }

  owe(orders: readonly OrderRow[], trades: readonly TradeRow[] = []): void {
    for (const row of orders) this.buffer.add(ORDERS, row);
    for (const row of trades) this.buffer.add(TRADES, row);
  }
}

describe('persistence: engine batches into MariaDB through the WriteBuffer', () => {
  let t: TestMysql;
  const owners: Owner[] = [];

  before(async () => {
    t = await openTestMysql();
  });
  after(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    for (const table of ['orders', 'trades', 'markets', 'deposits', 'withdrawals', 'symbol_checkpoints']) {
      await t.pool.query(`DELETE FROM ${table}`);
    }
    await t.pool.query(
      "INSERT INTO symbol_checkpoints (symbol, epoch, last_stream_id, last_seq) VALUES (?, 1, '0-0', 0)",
      [SYMBOL],
    );
  });
  afterEach(async () => {
    for (const owner of owners.splice(0)) await owner.buffer.close();
  });

  const owner = (epoch = 1) => {
    const o = new Owner(t, epoch);
    owners.push(o);
    return o;
  };
  const select = async (sql: string, values: unknown[] = []) => {
    const [rows] = await t.pool.query<RowDataPacket[]>(sql, values);
    return rows.map((row) => ({ ...row }));
  };
  const orderTable = () => select(`SELECT ${ORDERS.columns.join(', ')} FROM orders ORDER BY order_id`);
  const tradeTable = () => select(`SELECT ${TRADES.columns.join(', ')} FROM trades ORDER BY seq`);
  const checkpoint = async () =>
    (
      await select('SELECT epoch, last_stream_id, last_seq FROM symbol_checkpoints WHERE symbol = ?', [
        SYMBOL,
      ])
    )[0];
  /** A row as the pool reads it back: BIGINTs as strings, BOOLEAN as 0/1. */
  const stored = (row: OrderRow) => ({ ...row, post_only: row.post_only ? 1 : 0 });
  const byOrderId = (rows: readonly OrderRow[]) =>
    [...rows].sort((a, b) => (BigInt(a.order_id as string) < BigInt(b.order_id as string) ? -1 : 1));

  const FIRST: BatchItem[] = [
    withCoid(sell('101', 1, 100, 10), 'maker-a'),
    sell('102', 2, 101, 5, { postOnly: true }),
    buy('201', 3, 101, 12),
    noFunds(buy('301', 4, 100, 1)),
    buy('202', 3, 99, 3),
  ];

  it('writes the rows of a batch and its checkpoint in one flush; they read back as the projection has them', async () => {
    const o = owner();
    const { records, orders, trades, lastSeq } = await o.batch(FIRST);
    const result = await o.buffer.flush();
    expect(result.ok, String(result.error)).to.equal(true);
    expect(result.tables).to.deep.equal({ orders: 5, trades: 2 });

    expect(await orderTable()).to.deep.equal(byOrderId(orders).map(stored));
    expect(await tradeTable()).to.deep.equal(trades);
    // The projection's records, field by field.
    const rows = new Map((await orderTable()).map((r) => [r.order_id as string, r]));
    for (const record of records) {
      const row = rows.get(record.orderId)!;
      expect(row).to.include({
        symbol: record.symbol,
        user_id: String(record.userId),
        client_order_id: record.clientOrderId,
        side: record.side,
        type: record.type,
        status: record.status,
        filled_quantity: String(record.filledQuantity),
        filled_quote: String(record.filledQuote),
        reject_reason: record.rejectReason,
        post_only: record.postOnly ? 1 : 0,
        created_at_ms: String(record.createdAt),
        updated_at_ms: String(record.updatedAt),
      });
      expect(row.price_ticks).to.equal(record.price === null ? null : String(record.price));
      expect(row.quantity_lots).to.equal(record.quantity === null ? null : String(record.quantity));
    }
    expect(await checkpoint()).to.deep.equal({
      epoch: '1',
      last_stream_id: `${o.h.now - 1}-0`,
      last_seq: String(lastSeq),
    });
  });

  it('changes nothing when the same batch is written again, or replayed on a fresh book', async () => {
    const o = owner();
    const first = await o.batch(FIRST);
    await o.buffer.flush();
    const orders = await orderTable();
    const trades = await tradeTable();

    o.owe(first.orders, first.trades); // the same rows again
    expect((await o.buffer.flush()).ok).to.equal(true);
    // A takeover replays the same entries on a fresh book: same events, same keys, same versions.
    const replay = owner();
    const again = await replay.batch(FIRST);
    expect(again.orders).to.deep.equal(first.orders);
    expect((await replay.buffer.flush()).ok).to.equal(true);

    expect(await orderTable()).to.deep.equal(orders);
    expect(await tradeTable()).to.deep.equal(trades);
    expect(trades).to.have.length(2);
  });

  it('never lets an older state of an order overwrite a newer one, in the buffer or in the table', async () => {
    const o = owner();
    const b1 = await o.batch([sell('101', 1, 100, 10), sell('102', 2, 100, 5)]);
    await o.buffer.flush();
    const b2 = await o.batch([amend('102', 2, 0, 8), cancel('101', 1)]);
    await o.buffer.flush();
    const after2 = await orderTable();
    expect(after2.map((r) => r.status)).to.deep.equal(['canceled', 'new']);
    // The canceled order keeps the entry_seq it rested with (its new row says null: unknown).
    expect(after2[0]!.entry_seq).to.equal(b1.orders[0]!.entry_seq);
    expect(after2[1]!.quantity_lots).to.equal('8');

    // A late flush of the first batch's states (another buffer, or a retry) changes nothing.
    const late = owner();
    late.owe(b1.orders);
    expect((await late.buffer.flush()).ok).to.equal(true);
    expect(await orderTable()).to.deep.equal(after2);

    // Within one buffer, the highest version of a key wins whatever the order it was added in.
    await t.pool.query('DELETE FROM orders');
    const mixed = owner();
    mixed.owe(b2.orders);
    mixed.owe(b1.orders);
    await mixed.buffer.flush();
    expect((await orderTable()).map((r) => r.version)).to.deep.equal(
      byOrderId(b2.orders).map((r) => r.version),
    );
  });

  it('never writes a trade twice: a replayed trade with other values leaves the first row', async () => {
    const o = owner();
    const { trades } = await o.batch(FIRST);
    await o.buffer.flush();
    const altered = trades.map((row) => ({ ...row, quantity_lots: '999', maker_fee: '0' }));
    const again = owner();
    again.owe([], altered);
    expect((await again.buffer.flush()).ok).to.equal(true);
    expect(await tradeTable()).to.deep.equal(trades);
    const [count] = await select('SELECT COUNT(*) AS n FROM trades');
    expect(Number(count!.n)).to.equal(2);
  });

  it("fences a flush whose epoch is no longer the symbol's: it rolls back and writes nothing", async () => {
    const o = owner();
    await o.batch(FIRST);
    await o.buffer.flush();
    const orders = await orderTable();
    const trades = await tradeTable();
    const before = await checkpoint();

    await t.pool.query('UPDATE symbol_checkpoints SET epoch = 2 WHERE symbol = ?', [SYMBOL]);
    const fenced = await o.batch([sell('103', 5, 102, 1), buy('203', 6, 102, 1), cancel('202', 3)]);
    expect(fenced.trades).to.have.length(1);
    const result = await o.buffer.flush();
    expect(result.ok).to.equal(false);
    expect(result.error).to.be.instanceOf(FencedError);
    expect(o.buffer.fencedBy).to.be.instanceOf(FencedError);

    expect(await orderTable()).to.deep.equal(orders);
    expect(await tradeTable()).to.deep.equal(trades);
    expect(await checkpoint()).to.deep.equal({ ...before, epoch: '2' });
    // The buffer stopped for good: the new owner replays what it owed.
    expect(() => o.buffer.add(ORDERS, fenced.orders[0]!)).to.throw(FencedError);
  });

  it('upserts markets (the latest definition wins) and writes deposits and withdrawals once', async () => {
    const o = owner();
    const definition = {
      symbol: SYMBOL,
      base: 'BTC',
      quote: 'USDT',
      basePrecision: 8,
      quotePrecision: 6,
      tickSize: '0.1',
      lotSize: '0.00001',
      minNotional: '5',
      makerFee: '0.001',
      takerFee: '0.002',
      status: 'trading' as const,
    };
    o.buffer.add(MARKETS, marketRow(compileMarket(definition)));
    o.buffer.add(DEPOSITS, { deposit_id: 'dep-1', user_id: '7', asset: 'USDT', amount: '1000000' });
    o.buffer.add(WITHDRAWALS, {
      withdrawal_id: 'wd-1',
      user_id: '7',
      asset: 'USDT',
      amount: '5',
      status: 'insufficient_funds',
    });
    expect((await o.buffer.flush()).ok).to.equal(true);

    o.buffer.add(MARKETS, marketRow(compileMarket({ ...definition, takerFee: '0.003', status: 'halted' })));
    o.buffer.add(DEPOSITS, { deposit_id: 'dep-1', user_id: '7', asset: 'USDT', amount: '1' });
    o.buffer.add(WITHDRAWALS, {
      withdrawal_id: 'wd-1',
      user_id: '7',
      asset: 'USDT',
      amount: '5',
      status: 'ok',
    });
    expect((await o.buffer.flush()).ok).to.equal(true);

    expect(
      await select('SELECT symbol, taker_fee_ppm, maker_fee_ppm, status, tick_size FROM markets'),
    ).to.deep.equal([
      { symbol: SYMBOL, taker_fee_ppm: 3000, maker_fee_ppm: 1000, status: 'halted', tick_size: '0.1' },
    ]);
    expect(await select('SELECT deposit_id, amount FROM deposits')).to.deep.equal([
      { deposit_id: 'dep-1', amount: '1000000' },
    ]);
    expect(await select('SELECT withdrawal_id, status FROM withdrawals')).to.deep.equal([
      { withdrawal_id: 'wd-1', status: 'insufficient_funds' },
    ]);
  });
});
