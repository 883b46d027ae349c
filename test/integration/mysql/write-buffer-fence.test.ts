import { expect } from 'chai';
import { ManualClock } from '../../../src/mysql/write-buffer-clock.ts';
import type { PlannedStatement } from '../../../src/mysql/write-buffer-rows.ts';
import { FencedError, WriteBuffer } from '../../../src/mysql/write-buffer.ts';
import { FlushRecorder, openTestDatabase, order, ORDERS, type TestDatabase } from './write-buffer-fixture.ts';

interface CheckpointRow {
  symbol: string;
  epoch: string;
  last_stream_id: string;
  last_seq: string;
}

describe('mysql/write-buffer: checkpoints and fencing on MariaDB (DESIGN.md §2)', () => {
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
    await db.pool.query(
      `INSERT INTO symbol_checkpoints (symbol, epoch, last_stream_id, last_seq)
       VALUES ('ADA-USD', 3, '0-0', 0), ('BTC-USD', 1, '0-0', 0)`,
    );
    clock = new ManualClock();
    flushes = new FlushRecorder();
  });

  const buffer = (statements: PlannedStatement[] = []) =>
    new WriteBuffer({
      connections: db.pool,
      tables: [ORDERS],
      clock,
      onFlush: flushes.record,
      onStatement: (s) => statements.push(s),
    });
  const checkpoints = () =>
    db.select<CheckpointRow>(
      'SELECT symbol, epoch, last_stream_id, last_seq FROM symbol_checkpoints ORDER BY symbol',
    );
  const orderIds = async () =>
    (await db.select<{ order_id: string }>('SELECT order_id FROM test_orders ORDER BY order_id')).map(
      (r) => r.order_id,
    );
  /** What a new owner does on takeover. */
  const bumpEpoch = (symbol: string) =>
    db.pool.query('UPDATE symbol_checkpoints SET epoch = epoch + 1 WHERE symbol = ?', [symbol]);

  it('advances each symbol checkpoint in the transaction of its rows, before the rows, sorted by symbol', async () => {
    const statements: PlannedStatement[] = [];
    const writer = buffer(statements);
    writer.add(ORDERS, order(1));
    writer.checkpoint({ symbol: 'BTC-USD', epoch: 1, lastStreamId: '1700000000000-0', lastSeq: 1 });
    writer.checkpoint({ symbol: 'ADA-USD', epoch: 3, lastStreamId: '1700000000000-1', lastSeq: 7 });
    writer.checkpoint({ symbol: 'BTC-USD', epoch: 1, lastStreamId: '1700000000000-2', lastSeq: 2 }); // latest wins

    const result = await writer.flush();
    expect(result).to.include({ ok: true, rows: 1 });
    expect(result.checkpoints.map((c) => [c.symbol, c.lastSeq])).to.deep.equal([
      ['ADA-USD', 7],
      ['BTC-USD', 2],
    ]);
    expect(statements.map((s) => s.table)).to.deep.equal([
      'symbol_checkpoints',
      'symbol_checkpoints',
      'test_orders',
    ]);
    expect(await checkpoints()).to.deep.equal([
      { symbol: 'ADA-USD', epoch: '3', last_stream_id: '1700000000000-1', last_seq: '7' },
      { symbol: 'BTC-USD', epoch: '1', last_stream_id: '1700000000000-2', last_seq: '2' },
    ]);
    expect(await orderIds()).to.deep.equal(['1']);
  });

  it('a checkpoint alone is flushed on the interval too', async () => {
    const writer = buffer();
    writer.checkpoint({ symbol: 'ADA-USD', epoch: 3, lastStreamId: '5-0', lastSeq: 5 });
    clock.advance(500);
    expect(await flushes.next()).to.include({ ok: true, rows: 0, attempts: 1 });
    expect((await checkpoints())[0]).to.include({ last_stream_id: '5-0', last_seq: '5' });
  });

  it('is fenced when a new owner bumped the epoch: rolls back, raises FencedError, stops for good', async () => {
    const writer = buffer();
    writer.checkpoint({ symbol: 'ADA-USD', epoch: 3, lastStreamId: '1-0', lastSeq: 1 });
    writer.checkpoint({ symbol: 'BTC-USD', epoch: 1, lastStreamId: '1-0', lastSeq: 1 });
    expect(await writer.flush()).to.include({ ok: true });

    await bumpEpoch('BTC-USD');
    writer.add(ORDERS, order(1));
    writer.checkpoint({ symbol: 'ADA-USD', epoch: 3, lastStreamId: '2-0', lastSeq: 2 });
    writer.checkpoint({ symbol: 'BTC-USD', epoch: 1, lastStreamId: '2-0', lastSeq: 2 });
    const fenced = await writer.flush();
    expect(fenced).to.include({ ok: false, attempts: 1, rows: 1, backlogRows: 0 });
    expect(fenced.error)
      .to.be.instanceOf(FencedError)
      .and.include({ symbol: 'BTC-USD', epoch: 1, code: 'FENCED' });
    expect(await checkpoints(), 'ADA-USD was updated first, then rolled back').to.deep.equal([
      { symbol: 'ADA-USD', epoch: '3', last_stream_id: '1-0', last_seq: '1' },
      { symbol: 'BTC-USD', epoch: '2', last_stream_id: '1-0', last_seq: '1' },
    ]);
    expect(await orderIds()).to.deep.equal([]);

    expect(writer.fencedBy).to.equal(fenced.error);
    expect(() => writer.add(ORDERS, order(2))).to.throw(FencedError);
    expect(() =>
      writer.checkpoint({ symbol: 'ADA-USD', epoch: 3, lastStreamId: '3-0', lastSeq: 3 }),
    ).to.throw(FencedError);
    expect(await writer.flush()).to.include({ ok: false, attempts: 0, error: fenced.error });
    expect(writer.backlog).to.equal(0);
    expect(clock.pendingTimers).to.equal(0);
    expect(await writer.close()).to.include({ ok: false, error: fenced.error });
  });

  it('fences rows flushed apart from their checkpoint: every flush re-asserts the epochs it holds', async () => {
    const writer = buffer();
    writer.checkpoint({ symbol: 'BTC-USD', epoch: 1, lastStreamId: '1-0', lastSeq: 1 });
    expect(await writer.flush()).to.include({ ok: true });
    await bumpEpoch('BTC-USD'); // the owner paused; a new one took over
    writer.add(ORDERS, order(9)); // a zombie's row, no new checkpoint yet
    const fenced = await writer.flush();
    expect(fenced.error).to.be.instanceOf(FencedError).and.include({ symbol: 'BTC-USD' });
    expect(await orderIds()).to.deep.equal([]);
  });

  it('is fenced when the symbol has no checkpoint row', async () => {
    const writer = buffer();
    writer.checkpoint({ symbol: 'XRP-USD', epoch: 1, lastStreamId: '1-0', lastSeq: 1 });
    writer.add(ORDERS, order(1));
    expect((await writer.flush()).error)
      .to.be.instanceOf(FencedError)
      .and.include({ symbol: 'XRP-USD' });
    expect(await orderIds()).to.deep.equal([]);
  });

  it('releaseSymbol() stops fencing a symbol handed over, so the others keep flushing', async () => {
    const writer = buffer();
    writer.checkpoint({ symbol: 'ADA-USD', epoch: 3, lastStreamId: '1-0', lastSeq: 1 });
    writer.checkpoint({ symbol: 'BTC-USD', epoch: 1, lastStreamId: '1-0', lastSeq: 1 });
    expect(await writer.flush()).to.include({ ok: true });
    writer.releaseSymbol('BTC-USD');
    await bumpEpoch('BTC-USD');
    writer.add(ORDERS, order(1));
    const result = await writer.flush();
    expect(result).to.include({ ok: true, rows: 1 });
    expect(result.checkpoints.map((c) => c.symbol)).to.deep.equal(['ADA-USD']);
    await writer.close();
  });
});
