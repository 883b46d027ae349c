import { expect } from 'chai';
import { parseUpsertTemplate } from '../../../src/mysql/sql-statements.ts';
import { ManualClock } from '../../../src/mysql/write-buffer-clock.ts';
import {
  defineTable,
  WriteBuffer,
  WriteBufferError,
  type FlushResult,
  type WriteBufferOptions,
  type WriteConnection,
  type WriteConnectionSource,
} from '../../../src/mysql/write-buffer.ts';

/**
 * The WriteBuffer's scheduling (thresholds, coalescing, failure delays, close) against an in-memory
 * connection: no server. What the SQL does is the integration tests' business.
 */

const ORDERS = defineTable({
  name: 'orders',
  columns: ['id', 'status'],
  primaryKey: ['id'],
  upsert: parseUpsertTemplate(
    'orders',
    'INSERT INTO orders (id, status) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE status = VALUES(status)',
  ),
});

/** The epoch the fake's checkpoint rows carry: every checkpoint of these tests is its owner's. */
const OWNER_EPOCH = 1;

/** Commits each transaction's upserted order ids; fails or hangs on request. */
class FakeDatabase implements WriteConnectionSource {
  readonly transactions: unknown[][] = [];
  down = false;
  hang = false;
  /** false: START TRANSACTION resolves with nothing, like a driver that drops the server status. */
  reportsStatus = true;

  async getConnection(): Promise<WriteConnection> {
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    let pending: unknown[] = [];
    return {
      // mysql2's answer to START TRANSACTION: status 3 (in a transaction, autocommit), so without
      // the NO_BACKSLASH_ESCAPES flag (0x200).
      beginTransaction: async () => {
        pending = [];
        return this.reportsStatus ? [{ serverStatus: 3 }, undefined] : undefined;
      },
      query: async (sql, values) => {
        if (this.hang) await new Promise(() => {});
        if (sql.startsWith('SELECT')) {
          // The checkpoint lock: every symbol has its row, at its owner's epoch.
          const symbols = values[0] as string[];
          return [symbols.map((symbol) => ({ symbol, epoch: String(OWNER_EPOCH) })), undefined];
        }
        if (sql.startsWith('INSERT INTO orders')) pending.push(...values.filter((_, i) => i % 2 === 0));
        return [{ affectedRows: 1 }, undefined];
      },
      commit: async () => void this.transactions.push(pending),
      rollback: async () => void (pending = []),
      release: () => {},
      destroy: () => {},
    };
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('mysql/write-buffer: scheduling', () => {
  let database: FakeDatabase;
  let clock: ManualClock;
  let results: FlushResult[];
  beforeEach(() => {
    database = new FakeDatabase();
    clock = new ManualClock();
    results = [];
  });
  const buffer = (options: Partial<WriteBufferOptions> = {}) =>
    new WriteBuffer({
      connections: database,
      tables: [ORDERS],
      clock,
      flushRows: 3,
      flushIntervalMs: 100,
      onFlush: (result) => results.push(result),
      ...options,
    });

  it('runs one flush at a time; calls made meanwhile share the next flush', async () => {
    const writer = buffer({ autoFlush: false });
    writer.add(ORDERS, { id: 1, status: 'new' });
    const first = writer.flush();
    writer.add(ORDERS, { id: 2, status: 'new' });
    const second = writer.flush();
    writer.add(ORDERS, { id: 3, status: 'new' });
    expect(writer.flush()).to.equal(second);
    expect((await first).rows).to.equal(1);
    expect((await second).rows).to.equal(2);
    expect(database.transactions).to.deep.equal([[1], [2, 3]]);
  });

  it('addBatch owes a batch and its checkpoint as one step: past flushRows, one flush takes all of it', async () => {
    const writer = buffer();
    const rows = [1, 2, 3, 4, 5].map((id) => ({ table: ORDERS, row: { id, status: 'new' } }));
    const checkpoint = { symbol: 'BTC-USDT', epoch: OWNER_EPOCH, lastStreamId: '5-0', lastSeq: 9 };
    writer.addBatch(rows, checkpoint);
    await settle();
    expect(results).to.have.length(1);
    expect(results[0]).to.include({ ok: true, rows: 5 });
    expect(results[0]!.checkpoints.map((c) => c.lastStreamId)).to.deep.equal(['5-0']);
    // The same rows added one by one flush at the third, before the checkpoint exists.
    const oneByOne = buffer();
    results.length = 0;
    for (const { row } of rows) oneByOne.add(ORDERS, row);
    oneByOne.checkpoint({ ...checkpoint, symbol: 'ETH-USDT' });
    await settle();
    expect(results[0]!.rows).to.equal(3);
    expect(results[0]!.checkpoints).to.deep.equal([]);
  });

  it('addBatch refuses a batch with a row of an undeclared table, owing none of it', () => {
    const writer = buffer();
    const OTHER = defineTable({
      name: 'other',
      columns: ['id', 'status'],
      primaryKey: ['id'],
      upsert: parseUpsertTemplate(
        'other',
        'INSERT INTO other (id, status) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE status = VALUES(status)',
      ),
    });
    expect(() =>
      writer.addBatch([
        { table: ORDERS, row: { id: 1, status: 'new' } },
        { table: OTHER, row: { id: 2, status: 'new' } },
      ]),
    ).to.throw(WriteBufferError, /not declared/);
    expect(writer.backlog).to.equal(0);
  });

  it('times rows that arrive during a flush from their own arrival', async () => {
    const writer = buffer();
    writer.add(ORDERS, { id: 1, status: 'new' });
    const flushing = writer.flush();
    writer.add(ORDERS, { id: 2, status: 'new' }); // arrives while the flush runs
    await flushing;
    clock.advance(99);
    await settle();
    expect(database.transactions).to.have.length(1);
    clock.advance(1);
    await settle();
    expect(database.transactions).to.deep.equal([[1], [2]]);
  });

  it('after a failure: the row count waits, retries come flushIntervalMs later, doubling up to the cap', async () => {
    database.down = true;
    const writer = buffer({ maxFailedFlushDelayMs: 350 });
    for (let id = 1; id <= 3; id++) writer.add(ORDERS, { id, status: 'new' }); // count trigger
    await settle();
    expect(results.map((r) => r.ok)).to.deep.equal([false]);
    writer.add(ORDERS, { id: 4, status: 'new' }); // over flushRows, but the buffer is failing: no flush
    await settle();
    expect(results).to.have.length(1);
    const failuresAt: number[] = [];
    for (let t = 0; t < 1200; t += 10) {
      clock.advance(10);
      await settle();
      if (results.length > failuresAt.length + 1) failuresAt.push(clock.now());
    }
    expect(failuresAt).to.deep.equal([100, 300, 650, 1000]); // +100, +200, +350 (cap), +350
    database.down = false;
    clock.advance(350);
    await settle();
    expect(results.at(-1)).to.include({ ok: true, rows: 4, backlogRows: 0 });
    expect(clock.pendingTimers).to.equal(0);
  });

  it('close() gives its final flush closeTimeoutMs, then answers CLOSE_TIMEOUT', async () => {
    database.hang = true;
    const writer = buffer({ closeTimeoutMs: 1000 });
    writer.add(ORDERS, { id: 1, status: 'new' });
    const closing = writer.close();
    await settle();
    clock.advance(1000);
    const result = await closing;
    expect(result.ok).to.equal(false);
    expect(result.error).to.be.instanceOf(WriteBufferError).with.property('code', 'CLOSE_TIMEOUT');
    expect(result.backlogRows).to.equal(1);
    expect(writer.close()).to.equal(closing);
  });

  it('checks options and checkpoints once, naming what is wrong', () => {
    expect(() => buffer({ flushRows: 0 }))
      .to.throw(WriteBufferError, /flushRows must be an integer ≥ 1/)
      .with.property('code', 'INVALID_OPTION');
    expect(() => buffer({ connections: {} as WriteConnectionSource })).to.throw(
      WriteBufferError,
      /connections/,
    );
    const writer = buffer();
    expect(() => writer.checkpoint({ symbol: 'BTC-USD', epoch: -1, lastStreamId: '1-0', lastSeq: 1 }))
      .to.throw(WriteBufferError)
      .with.property('code', 'INVALID_CHECKPOINT');
    expect(() => writer.checkpoint({ symbol: '', epoch: 1, lastStreamId: '1-0', lastSeq: 1 })).to.throw(
      WriteBufferError,
    );
  });

  it('sends nothing on a connection that does not say whether it reads backslash escapes', async () => {
    database.reportsStatus = false;
    const writer = buffer({ autoFlush: false });
    writer.add(ORDERS, { id: 1, status: 'new' });
    const result = await writer.flush();
    expect(result).to.include({ ok: false, attempts: 1, backlogRows: 1 });
    expect(result.error).to.be.instanceOf(WriteBufferError).with.property('code', 'UNSAFE_SESSION');
    expect(database.transactions).to.deep.equal([]);
  });

  it('an empty flush does nothing and reports nothing', async () => {
    const writer = buffer();
    expect(await writer.flush()).to.include({ ok: true, rows: 0, attempts: 0 });
    expect(results).to.have.length(0);
  });
});
