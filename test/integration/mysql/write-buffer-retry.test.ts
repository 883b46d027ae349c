import { expect } from 'chai';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { ManualClock } from '../../../src/mysql/write-buffer-clock.ts';
import { WriteBuffer, type WriteConnection } from '../../../src/mysql/write-buffer.ts';
import {
  FlushRecorder,
  openTestDatabase,
  order,
  ORDERS,
  waitForLockWait,
  type TestDatabase,
} from './write-buffer-fixture.ts';

/** A pooled connection that logs its transaction calls and can fail its next upserts. */
function instrumented(
  connection: PoolConnection,
  calls: string[],
  failUpserts: { count: number; errno: number } = { count: 0, errno: 0 },
): WriteConnection {
  return {
    beginTransaction: () => (calls.push('begin'), connection.beginTransaction()),
    commit: () => (calls.push('commit'), connection.commit()),
    rollback: () => (calls.push('rollback'), connection.rollback()),
    async query(sql, values) {
      if (sql.startsWith('INSERT') && failUpserts.count > 0) {
        failUpserts.count--;
        throw Object.assign(new Error('injected'), { errno: failUpserts.errno });
      }
      return connection.query(sql, values);
    },
    release: () => connection.release(),
    destroy: () => connection.destroy(),
  };
}

describe('mysql/write-buffer: retries, outages and backpressure on MariaDB', () => {
  let db: TestDatabase;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.reset();
    await db.pool.query("INSERT INTO test_orders VALUES (1, 'BTC-USD', 'new', 0), (2, 'BTC-USD', 'new', 0)");
  });

  const statuses = async () =>
    (await db.select<{ status: string }>('SELECT status FROM test_orders ORDER BY order_id')).map(
      (r) => r.status,
    );

  it('retries a real deadlock, in which InnoDB chose the flush as victim, and succeeds', async () => {
    const holder = await db.connect();
    await holder.beginTransaction();
    // Undo records make the holder the heavier transaction, so InnoDB rolls back the flush.
    await holder.query(
      `INSERT INTO test_ballast VALUES ${Array.from({ length: 60 }, (_, i) => `(${i})`).join()}`,
    );
    await holder.query('SELECT * FROM test_orders WHERE order_id = 2 FOR UPDATE');
    let holderDone!: () => void;
    const released = new Promise<void>((resolve) => (holderDone = resolve));
    const sleeps: number[] = [];
    const writer = new WriteBuffer({
      connections: db.pool,
      tables: [ORDERS],
      autoFlush: false,
      sleep: async (ms) => {
        sleeps.push(ms);
        await released;
      },
      random: () => 0.5,
    });
    writer.add(ORDERS, order(2, 'filled'));
    writer.add(ORDERS, order(1, 'filled'));

    const flushing = writer.flush(); // locks order 1 (sorted first), then waits for order 2
    await waitForLockWait(db);
    await holder.query('SELECT * FROM test_orders WHERE order_id = 1 FOR UPDATE'); // closes the cycle
    await holder.rollback();
    holderDone();

    const result = await flushing;
    expect(result).to.include({ ok: true, attempts: 2, rows: 2 });
    expect(result.retriedErrnos).to.deep.equal([1213]);
    expect(sleeps).to.deep.equal([15]); // 20 ms base: half fixed, half jittered
    expect(await statuses()).to.deep.equal(['filled', 'filled']);
  });

  it('rolls back explicitly after a real lock-wait timeout and retries', async () => {
    const pool: Pool = db.newPool();
    const calls: string[] = [];
    const writer = new WriteBuffer({
      connections: {
        async getConnection() {
          const connection = await pool.getConnection();
          await connection.query('SET SESSION innodb_lock_wait_timeout = 1');
          return instrumented(connection, calls);
        },
      },
      tables: [ORDERS],
      autoFlush: false,
      sleep: async () => {
        calls.push('sleep');
        await holder.rollback(); // the lock goes away after the first attempt
      },
    });
    const holder = await db.connect();
    await holder.beginTransaction();
    await holder.query('SELECT * FROM test_orders WHERE order_id = 2 FOR UPDATE');
    writer.add(ORDERS, order(1, 'canceled'));
    writer.add(ORDERS, order(2, 'canceled'));

    const result = await writer.flush();
    expect(result).to.include({ ok: true, attempts: 2 });
    expect(result.retriedErrnos).to.deep.equal([1205]);
    expect(calls).to.deep.equal(['begin', 'rollback', 'sleep', 'begin', 'commit']);
    expect(await statuses()).to.deep.equal(['canceled', 'canceled']);
  });

  it('keeps the rows owed when the retries run out, and writes them with the next flush', async () => {
    const calls: string[] = [];
    const failUpserts = { count: 4, errno: 1213 };
    const sleeps: number[] = [];
    const writer = new WriteBuffer({
      connections: {
        getConnection: async () => instrumented(await db.pool.getConnection(), calls, failUpserts),
      },
      tables: [ORDERS],
      autoFlush: false,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0,
    });
    writer.add(ORDERS, order(1, 'filled'));
    const failed = await writer.flush();
    expect(failed).to.include({ ok: false, attempts: 4, rows: 1, backlogRows: 1 });
    expect(failed.retriedErrnos).to.deep.equal([1213, 1213, 1213]);
    expect((failed.error as { errno: number }).errno).to.equal(1213);
    expect(sleeps).to.deep.equal([10, 20, 40]); // exponential (jitter 0: half of each step)
    expect(calls.filter((c) => c === 'rollback')).to.have.length(4);
    expect(await statuses()).to.deep.equal(['new', 'new']);

    writer.add(ORDERS, order(2, 'filled'));
    expect(await writer.flush()).to.include({ ok: true, attempts: 1, rows: 2, backlogRows: 0 });
    expect(await statuses()).to.deep.equal(['filled', 'filled']);
  });

  it('keeps the rows owed while the server is unreachable and writes them once it is back', async () => {
    const clock = new ManualClock();
    const flushes = new FlushRecorder();
    let target = db.deadPool();
    const writer = new WriteBuffer({
      connections: { getConnection: () => target.getConnection() },
      tables: [ORDERS],
      clock,
      onFlush: flushes.record,
    });
    writer.add(ORDERS, order(1, 'filled'));
    writer.add(ORDERS, order(2, 'new'));
    clock.advance(500);
    const down = await flushes.next();
    expect(down).to.include({ ok: false, attempts: 1, rows: 2, backlogRows: 2 });
    expect((down.error as { code?: string }).code).to.equal('ECONNREFUSED');

    writer.add(ORDERS, order(2, 'filled')); // merges into the owed row: still 2 owed
    expect(writer.backlog).to.equal(2);
    clock.advance(500); // the owed rows are tried again flushIntervalMs after a failure...
    expect(await flushes.next()).to.include({ ok: false, backlogRows: 2 });
    clock.advance(999); // ...then twice as late after a second one
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(flushes.results).to.have.length(2);

    target = db.pool;
    clock.advance(1);
    expect(await flushes.next()).to.include({ ok: true, rows: 2, backlogRows: 0 });
    expect(await statuses()).to.deep.equal(['filled', 'filled']);
    expect(clock.pendingTimers).to.equal(0);
    await writer.close();
  });

  it('turns backpressure on while rows pile up behind failing flushes, and off once written', async () => {
    let target = db.deadPool();
    const events: [number, boolean][] = [];
    const writer = new WriteBuffer({
      connections: { getConnection: () => target.getConnection() },
      tables: [ORDERS],
      autoFlush: false,
      backpressureRows: 5,
      onBackpressure: (backlog, on) => events.push([backlog, on]),
    });
    for (let id = 10; id < 14; id++) writer.add(ORDERS, order(id));
    expect(await writer.flush()).to.include({ ok: false, backlogRows: 4 });
    expect(writer.isBackpressured).to.equal(false);
    writer.add(ORDERS, order(14));
    expect(writer.isBackpressured).to.equal(true);
    expect(events).to.deep.equal([[5, true]]);
    writer.add(ORDERS, order(14, 'filled')); // the same key: the backlog stays bounded
    expect(writer.backlog).to.equal(5);

    target = db.pool;
    expect(await writer.flush()).to.include({ ok: true, rows: 5, backlogRows: 0 });
    expect(writer.isBackpressured).to.equal(false);
    expect(events).to.deep.equal([
      [5, true],
      [0, false],
    ]);
  });
});
