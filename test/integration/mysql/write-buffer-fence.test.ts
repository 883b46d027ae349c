import { expect } from 'chai';
import { ManualClock } from '../../../src/mysql/write-buffer-clock.ts';
import type { PlannedStatement } from '../../../src/mysql/write-buffer-rows.ts';
import { FencedError, WriteBuffer } from '../../../src/mysql/write-buffer.ts';
import {
  FlushRecorder,
  openTestDatabase,
  order,
  ORDERS,
  waitForLockWait,
  type TestDatabase,
} from './write-buffer-fixture.ts';

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
  /** Checkpoint rows as a takeover leaves them: [symbol, epoch], nothing durable yet. */
  const addCheckpointRows = (...rows: [string, number][]) =>
    db.pool.query('INSERT INTO symbol_checkpoints (symbol, epoch, last_stream_id, last_seq) VALUES ?', [
      rows.map(([symbol, epoch]) => [symbol, epoch, '0-0', 0]),
    ]);
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
    expect(statements.map((s) => [s.table, s.rows])).to.deep.equal([
      ['symbol_checkpoints', 2],
      ['symbol_checkpoints', 2],
      ['test_orders', 1],
    ]);
    const [lock, advance] = statements as [PlannedStatement, PlannedStatement];
    expect(lock.sql).to.match(/^SELECT symbol, epoch\b[\s\S]*\bFOR UPDATE$/);
    expect(lock.values).to.deep.equal([['ADA-USD', 'BTC-USD']]);
    expect(advance.sql).to.match(/^INSERT INTO symbol_checkpoints\b/);
    expect(
      advance.values.filter((_, i) => i % 7 === 0),
      'one tuple per symbol, sorted',
    ).to.deep.equal(['ADA-USD', 'BTC-USD']);
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
    expect(await checkpoints(), 'the lock found the fence: no checkpoint was written').to.deep.equal([
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

  it('writes the checkpoints of any number of symbols in two statements: the lock, then one upsert', async () => {
    await addCheckpointRows(['DOT-USD', 5], ['ETH-USD', 5], ['SOL-USD', 5], ['XRP-USD', 5]);
    const statements: PlannedStatement[] = [];
    const writer = buffer(statements);
    const held = ['XRP-USD', 'SOL-USD', 'ETH-USD', 'DOT-USD', 'BTC-USD', 'ADA-USD'];
    const epochOf = (symbol: string) => ({ 'ADA-USD': 3, 'BTC-USD': 1 })[symbol] ?? 5;
    for (const [i, symbol] of held.entries()) {
      writer.checkpoint({
        symbol,
        epoch: epochOf(symbol),
        lastStreamId: `9-${i}`,
        lastSeq: 10n ** 18n + BigInt(i),
        // Fees on every other symbol, none tracked on the rest: both reach their columns.
        ...(i % 2 === 0
          ? { makerFeePpm: 100 + i, takerFeePpm: 200 + i, lastTimestampMs: 1_700_000_000_000 + i }
          : {}),
      });
    }
    writer.add(ORDERS, order(1));
    expect(await writer.flush()).to.include({ ok: true, rows: 1, attempts: 1 });

    expect(statements.map((s) => [s.table, s.rows])).to.deep.equal([
      ['symbol_checkpoints', 6],
      ['symbol_checkpoints', 6],
      ['test_orders', 1],
    ]);
    const rows = await db.select<Record<string, unknown>>(
      `SELECT symbol, epoch, last_stream_id, last_seq, maker_fee_ppm, taker_fee_ppm, last_timestamp_ms
       FROM symbol_checkpoints ORDER BY symbol`,
    );
    expect(rows.map((row) => ({ ...row }))).to.deep.equal(
      [...held].sort().map((symbol) => {
        const i = held.indexOf(symbol);
        return {
          symbol,
          epoch: String(epochOf(symbol)),
          last_stream_id: `9-${i}`,
          last_seq: String(10n ** 18n + BigInt(i)),
          maker_fee_ppm: i % 2 === 0 ? 100 + i : null,
          taker_fee_ppm: i % 2 === 0 ? 200 + i : null,
          last_timestamp_ms: i % 2 === 0 ? String(1_700_000_000_000 + i) : '0',
        };
      }),
    );
  });

  it('a fence on the 2nd of 3 symbols stops at the lock: rolled back, no checkpoint row changed', async () => {
    await addCheckpointRows(['ETH-USD', 2]);
    const statements: PlannedStatement[] = [];
    const writer = buffer(statements);
    const owned = [
      ['ADA-USD', 3],
      ['BTC-USD', 1],
      ['ETH-USD', 2],
    ] as const;
    for (const [symbol, epoch] of owned)
      writer.checkpoint({ symbol, epoch, lastStreamId: '1-0', lastSeq: 1 });
    expect(await writer.flush()).to.include({ ok: true });
    await bumpEpoch('BTC-USD');
    const before = await checkpoints();

    statements.length = 0;
    for (const [symbol, epoch] of owned)
      writer.checkpoint({ symbol, epoch, lastStreamId: '2-0', lastSeq: 2 });
    writer.add(ORDERS, order(1));
    const fenced = await writer.flush();
    expect(fenced.error).to.be.instanceOf(FencedError).and.include({ symbol: 'BTC-USD', epoch: 1 });
    expect(
      statements.map((s) => s.sql.split(/\s/, 1)[0]),
      'the lock, and nothing after it',
    ).to.deep.equal(['SELECT']);
    expect(await checkpoints()).to.deep.equal(before);
    expect(before.map((row) => row.last_seq)).to.deep.equal(['1', '1', '1']);
    expect(await orderIds()).to.deep.equal([]);
    // The rollback let the rows go: taking them at once (NOWAIT) would fail while a lock remained.
    await db.select('SELECT symbol FROM symbol_checkpoints WHERE symbol IN (?) FOR UPDATE NOWAIT', [
      owned.map(([symbol]) => symbol),
    ]);
  });

  it("locks its own symbols' rows only: a writer of other symbols flushes while this one waits", async () => {
    // Eight symbols, as in production. Writer A holds seven of them, around B's BTC-USD: a lock that
    // scanned the table instead of reading A's keys would take BTC-USD too (MariaDB prefers a scan
    // for most of a small table's keys), and B would wait.
    const others = ['DOT-USD', 'ETH-USD', 'LTC-USD', 'SOL-USD', 'TRX-USD', 'XRP-USD'];
    await addCheckpointRows(...others.map((symbol): [string, number] => [symbol, 1]));
    await db.pool.query('ANALYZE TABLE symbol_checkpoints'); // statistics that know the 8 rows
    const holder = await db.connect();
    await holder.beginTransaction();
    await holder.query("SELECT * FROM symbol_checkpoints WHERE symbol = 'ETH-USD' FOR UPDATE");

    const a = buffer();
    a.checkpoint({ symbol: 'ADA-USD', epoch: 3, lastStreamId: '3-0', lastSeq: 3 });
    for (const symbol of others) a.checkpoint({ symbol, epoch: 1, lastStreamId: '3-0', lastSeq: 3 });
    a.add(ORDERS, order(1, 'new', '0', 'ADA-USD'));
    let aSettled = false;
    const aFlush = a.flush().finally(() => (aSettled = true));
    await waitForLockWait(db); // A locked ADA-USD and DOT-USD, and waits for ETH-USD

    // B gives up after 1 s of lock wait, without retrying: a wait fails the test quickly.
    const pool = db.newPool();
    const b = new WriteBuffer({
      connections: {
        async getConnection() {
          const connection = await pool.getConnection();
          await connection.query('SET SESSION innodb_lock_wait_timeout = 1');
          return connection;
        },
      },
      tables: [ORDERS],
      autoFlush: false,
      maxRetries: 0,
    });
    b.checkpoint({ symbol: 'BTC-USD', epoch: 1, lastStreamId: '4-0', lastSeq: 4 });
    b.add(ORDERS, order(2, 'new', '0', 'BTC-USD'));
    expect(await b.flush()).to.include({ ok: true, attempts: 1 });
    expect(aSettled, 'A still waits for the holder').to.equal(false);

    await holder.rollback();
    expect(await aFlush).to.include({ ok: true, attempts: 1 });
    expect(await orderIds()).to.deep.equal(['1', '2']);
    expect((await checkpoints()).map((row) => [row.symbol, row.last_seq])).to.deep.equal([
      ['ADA-USD', '3'],
      ['BTC-USD', '4'],
      ...others.map((symbol) => [symbol, '3']),
    ]);
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
