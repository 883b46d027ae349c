import { expect } from 'chai';
import { loadConfig } from '../../../src/config/config.ts';
import { ManualClock } from '../../../src/mysql/write-buffer-clock.ts';
import { createWriteBuffer } from '../../../src/mysql/write-buffer-factory.ts';
import type { PlannedStatement } from '../../../src/mysql/write-buffer-rows.ts';
import { SyncWriteBuffer } from '../../../src/mysql/write-buffer-sync.ts';
import { WriteBuffer, WriteBufferError, type WriteBufferOptions } from '../../../src/mysql/write-buffer.ts';
import {
  BALANCES,
  FlushRecorder,
  openTestDatabase,
  order,
  ORDERS,
  type TestDatabase,
} from './write-buffer-fixture.ts';

describe('mysql/write-buffer: thresholds and upserts on MariaDB', () => {
  let db: TestDatabase;
  let clock: ManualClock;
  let flushes: FlushRecorder;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.reset();
    clock = new ManualClock();
    flushes = new FlushRecorder();
  });

  const buffer = (options: Partial<WriteBufferOptions> = {}) =>
    new WriteBuffer({
      connections: db.pool,
      tables: [ORDERS, BALANCES],
      clock,
      onFlush: flushes.record,
      ...options,
    });
  const count = async (table: string) =>
    Number((await db.select<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  const orders = () =>
    db.select<{ order_id: string; status: string; filled: string }>(
      'SELECT order_id, status, filled FROM test_orders ORDER BY order_id',
    );
  const balances = () => db.select('SELECT * FROM test_balances ORDER BY user_id, asset');

  it('flushes when the 100th distinct row arrives (default flushRows), not before', async () => {
    const writer = buffer();
    for (let id = 1; id <= 99; id++) writer.add(ORDERS, order(id));
    writer.add(ORDERS, order(5, 'filled')); // same key: still 99 pending rows
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(flushes.results).to.have.length(0);
    expect(writer.backlog).to.equal(99);
    expect(await count('test_orders')).to.equal(0);

    writer.add(ORDERS, order(100));
    const result = await flushes.next();
    expect(result).to.include({ rows: 100, attempts: 1, ok: true, backlogRows: 0 });
    expect(result.tables).to.deep.equal({ test_orders: 100 });
    expect(await count('test_orders')).to.equal(100);
    expect(clock.pendingTimers, 'the interval timer is cleared by the flush').to.equal(0);
    await writer.close();
  });

  it('flushes 500 ms (default flushIntervalMs) after the first pending row, on the injected clock', async () => {
    const writer = buffer();
    writer.add(ORDERS, order(1));
    clock.advance(300);
    writer.add(ORDERS, order(2)); // does not push the deadline back
    clock.advance(199);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(flushes.results).to.have.length(0);

    clock.advance(1);
    expect(await flushes.next()).to.include({ rows: 2, ok: true });
    expect(await count('test_orders')).to.equal(2);
    expect(clock.pendingTimers).to.equal(0);
    await writer.close();
  });

  it('writes a flush in one transaction: a statement that fails leaves no row of the flush', async () => {
    const statements: PlannedStatement[] = [];
    const writer = buffer({
      autoFlush: false,
      tables: [BALANCES, ORDERS],
      onStatement: (s) => statements.push(s),
    });
    writer.add(BALANCES, { user_id: 1, asset: 'USD', available: '100', locked: '0', version: 1 });
    writer.add(BALANCES, { user_id: 2, asset: 'USD', available: '50', locked: '0', version: 1 });
    writer.add(ORDERS, order(7, 'filled', '-1')); // breaks CHECK (filled >= 0)

    const failed = await writer.flush();
    expect(failed).to.include({ ok: false, rows: 3, attempts: 1, backlogRows: 3 });
    expect((failed.error as { errno?: number }).errno).to.equal(4025); // ER_CONSTRAINT_FAILED
    expect(statements.map((s) => s.table)).to.deep.equal(['test_balances', 'test_orders']);
    expect(await count('test_balances'), 'the balances statement ran, then rolled back').to.equal(0);
    expect(await count('test_orders')).to.equal(0);

    writer.add(ORDERS, order(7, 'filled', '10')); // the corrected row replaces the owed one
    expect(await writer.flush()).to.include({ ok: true, rows: 3, backlogRows: 0 });
    expect(await count('test_balances')).to.equal(2);
    expect(await orders()).to.deep.equal([{ order_id: '7', status: 'filled', filled: '10' }]);
  });

  it('upserts idempotently: the same rows twice leave the same state; the latest row of a key wins', async () => {
    const writer = buffer({ autoFlush: false });
    const write = async () => {
      writer.add(ORDERS, order(1, 'new'));
      writer.add(ORDERS, order(1, 'partially_filled', '3')); // deduplicated: the latest wins
      writer.add(ORDERS, order(2, 'canceled'));
      writer.add(BALANCES, { user_id: 9, asset: 'BTC', available: '5', locked: '1', version: 3 });
      return writer.flush();
    };
    expect(await write()).to.include({ ok: true, rows: 3 });
    const first = { orders: await orders(), balances: await balances() };
    expect(await write()).to.include({ ok: true, rows: 3 });
    expect({ orders: await orders(), balances: await balances() }).to.deep.equal(first);
    expect(first.orders).to.deep.equal([
      { order_id: '1', status: 'partially_filled', filled: '3' },
      { order_id: '2', status: 'canceled', filled: '0' },
    ]);
  });

  it('never lets an older balance version overwrite a newer one, in the buffer or in the table', async () => {
    const writer = buffer({ autoFlush: false });
    const balance = (available: string, version: number) => ({
      user_id: 1,
      asset: 'USD',
      available,
      locked: '0',
      version,
    });
    writer.add(BALANCES, balance('500', 5));
    await writer.flush();
    writer.add(BALANCES, balance('400', 4)); // a stale write from an earlier flush or a replay
    expect(await writer.flush()).to.include({ ok: true, rows: 1 });
    expect(await balances()).to.deep.equal([
      { user_id: '1', asset: 'USD', available: '500', locked: '0', version: '5' },
    ]);

    writer.add(BALANCES, balance('700', 7));
    writer.add(BALANCES, balance('600', 6)); // lower version after a higher one: ignored in the buffer
    expect(await writer.flush()).to.include({ ok: true, rows: 1 });
    expect(await balances()).to.deep.equal([
      { user_id: '1', asset: 'USD', available: '700', locked: '0', version: '7' },
    ]);
  });

  it('sorts rows by primary key, one multi-row statement per table, values apart from the text', async () => {
    const statements: PlannedStatement[] = [];
    const writer = buffer({ autoFlush: false, onStatement: (s) => statements.push(s) });
    for (const id of [5, 3, 10, 1, 2]) writer.add(ORDERS, order(id, 'new', '0', `SYM-${id}`));
    writer.add(BALANCES, { user_id: 2, asset: 'USD', available: '1', locked: '0', version: 1 });
    writer.add(BALANCES, { user_id: 1, asset: 'USD', available: '2', locked: '0', version: 1 });
    writer.add(BALANCES, { user_id: 1, asset: 'BTC', available: '3', locked: '0', version: 1 });
    await writer.flush();

    expect(statements.map((s) => [s.table, s.rows])).to.deep.equal([
      ['test_orders', 5],
      ['test_balances', 3],
    ]);
    const [ordersStatement, balancesStatement] = statements as [PlannedStatement, PlannedStatement];
    expect(ordersStatement.sql).to.contain(
      'VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)',
    );
    expect(ordersStatement.sql).not.to.match(/SYM-|'/);
    // The driver escapes the values into the placeholders; the text we hand it is the template's.
    expect(ordersStatement.sql).to.equal(ORDERS.upsert.sqlFor(5));
    expect(balancesStatement.sql).to.equal(BALANCES.upsert.sqlFor(3));
    expect(ordersStatement.values.filter((_, i) => i % 4 === 0)).to.deep.equal([1, 2, 3, 5, 10]);
    expect(balancesStatement.values.filter((_, i) => i % 5 < 2)).to.deep.equal([
      1,
      'BTC',
      1,
      'USD',
      2,
      'USD',
    ]);
    expect(await count('test_orders')).to.equal(5);
  });

  it('splits a table of many rows into statements of at most maxRowsPerStatement', async () => {
    const statements: PlannedStatement[] = [];
    const writer = buffer({
      autoFlush: false,
      maxRowsPerStatement: 7,
      onStatement: (s) => statements.push(s),
    });
    for (let id = 20; id >= 1; id--) writer.add(ORDERS, order(id));
    expect(await writer.flush()).to.include({ ok: true, rows: 20, attempts: 1 });
    expect(statements.map((s) => s.rows)).to.deep.equal([7, 7, 6]);
    expect(statements[1]!.values[0], 'the chunks continue the one sorted order').to.equal(8);
    expect(await count('test_orders')).to.equal(20);
  });

  it('close() flushes what is pending, stops the timer and refuses new rows', async () => {
    const writer = buffer();
    writer.add(ORDERS, order(1));
    expect(clock.pendingTimers).to.equal(1);
    expect(await writer.close()).to.include({ ok: true, rows: 1 });
    expect(clock.pendingTimers).to.equal(0);
    expect(await count('test_orders')).to.equal(1);
    expect(() => writer.add(ORDERS, order(2)))
      .to.throw(WriteBufferError)
      .with.property('code', 'CLOSED');
    expect(await writer.flush()).to.include({ ok: true, rows: 0, attempts: 0 });
  });

  it('SyncWriteBuffer: every add() resolves with its own flush, through the same statements', async () => {
    const statements: PlannedStatement[] = [];
    const writer = new SyncWriteBuffer({
      connections: db.pool,
      tables: [ORDERS],
      onStatement: (s) => statements.push(s),
    });
    expect(await writer.add(ORDERS, order(1))).to.include({ ok: true, rows: 1, attempts: 1 });
    expect(await count('test_orders')).to.equal(1);
    expect(await writer.add(ORDERS, order(2))).to.include({ ok: true, rows: 1 });
    expect(await count('test_orders')).to.equal(2);
    expect(statements.map((s) => s.sql)).to.deep.equal([ORDERS.upsert.sqlFor(1), ORDERS.upsert.sqlFor(1)]);
    await writer.close();
  });

  it('createWriteBuffer picks the variant, with the thresholds of the config', async () => {
    const config = loadConfig({ NODE_ENV: 'test', FLUSH_ROWS: '3', FLUSH_INTERVAL_MS: '250' });
    const common = { connections: db.pool, tables: [ORDERS], clock, onFlush: flushes.record };
    expect(createWriteBuffer('sync', { ...config.writer, ...common })).to.be.instanceOf(SyncWriteBuffer);
    const batched = createWriteBuffer('batched', { ...config.writer, ...common });
    expect(batched).to.be.instanceOf(WriteBuffer);
    batched.add(ORDERS, order(1));
    batched.add(ORDERS, order(2));
    clock.advance(249);
    expect(flushes.results).to.have.length(0);
    batched.add(ORDERS, order(3));
    expect(await flushes.next()).to.include({ rows: 3, ok: true });
    await batched.close();
  });
});
