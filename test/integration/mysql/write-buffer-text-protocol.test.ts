/**
 * The WriteBuffer sends its statements through the text protocol: mysql2 escapes every value into
 * the statement's text (write-buffer-transaction.ts). These tests read back, from the real MariaDB,
 * values chosen to break a wrong escaping (quotes, backslashes, NUL, multi-byte characters, integers
 * past 2^53, 30-digit decimals, dates, bytes), and check that a session whose sql_mode would read
 * the escapes differently gets no value at all.
 */
import { expect } from 'chai';
import type { PlannedStatement } from '../../../src/mysql/write-buffer-rows.ts';
import {
  WriteBuffer,
  WriteBufferError,
  type Row,
  type WriteConnection,
} from '../../../src/mysql/write-buffer.ts';
import { openTestDatabase, VALUES, type TestDatabase } from './write-buffer-fixture.ts';

type ValuesRow = Row<(typeof VALUES.columns)[number]>;

/** Each of them ends a string literal, or changes its meaning, when it is not escaped right. */
const STRINGS = [
  "it's",
  'say "hi"',
  'back\\slash',
  'ends with a backslash\\',
  "\\'; DELETE FROM test_values; -- ",
  "' OR '1'='1",
  'nul\0byte',
  'line\nfeed, carriage\rreturn, tab\t',
  'ctrl-z \x1a and backspace \b',
  '100% of a_b: LIKE wildcards',
  '? and ?? are no placeholders in a value',
  '/*:rows*/ -- # not comments either',
  '🚀 4-byte UTF-8: 𝄞 𠜎, and ünïcødé',
  '',
];

/** Integers past 2^53, at the ends of their columns' ranges, and a 30-digit decimal. */
const NUMBERS: ValuesRow[] = [
  {
    id: 100,
    label: null,
    signed_big: 9223372036854775807n, // 2^63 - 1
    unsigned_big: 18446744073709551615n, // 2^64 - 1
    amount: '123456789012345678901234567890',
    happened_at: new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)),
    raw_bytes: Buffer.from([0x00, 0x27, 0x22, 0x5c, 0x0a, 0x1a, 0xff]),
  },
  {
    id: 101,
    label: null,
    signed_big: -9223372036854775808n, // -2^63
    unsigned_big: 0n,
    amount: '-99999999999999999999999999999999999999', // 38 digits
    happened_at: new Date(Date.UTC(1970, 0, 1, 0, 0, 1, 1)),
    raw_bytes: Buffer.alloc(0),
  },
  {
    id: 102,
    label: null,
    signed_big: Number.MAX_SAFE_INTEGER,
    unsigned_big: '18446744073709551615', // as a decimal string, as the mappers give ids
    amount: '0',
    happened_at: null,
    raw_bytes: null,
  },
];

/** How the pool reads a row back: BIGINT and DECIMAL as decimal strings, DATETIME as a UTC Date. */
function readBack(row: ValuesRow): Record<string, unknown> {
  const text = (value: unknown) => (value === null ? null : String(value));
  return { ...row, signed_big: text(row.signed_big), unsigned_big: text(row.unsigned_big) };
}

describe('mysql/write-buffer: values through the text protocol, exactly, on MariaDB', () => {
  let db: TestDatabase;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.reset();
  });

  const stored = async () =>
    (await db.select<Record<string, unknown>>('SELECT * FROM test_values ORDER BY id')).map((row) => ({
      ...row,
    }));

  it('reads back every string, integer, decimal, date, byte string and null as it was given', async () => {
    const statements: PlannedStatement[] = [];
    const writer = new WriteBuffer({
      connections: db.pool,
      tables: [VALUES],
      autoFlush: false,
      onStatement: (statement) => statements.push(statement),
    });
    const strings = STRINGS.map((label, i): ValuesRow => ({
      id: i + 1,
      label,
      signed_big: null,
      unsigned_big: null,
      amount: null,
      happened_at: null,
      raw_bytes: null,
    }));
    for (const row of [...strings, ...NUMBERS]) writer.add(VALUES, row);

    expect(await writer.flush()).to.include({ ok: true, rows: strings.length + NUMBERS.length, attempts: 1 });
    expect(
      statements.map((s) => s.rows),
      'all of them in one statement',
    ).to.deep.equal([strings.length + NUMBERS.length]);
    expect(await stored()).to.deep.equal([...strings, ...NUMBERS].map(readBack));

    // The same rows again: the upsert's update branch reads the escaped values alike.
    for (const row of strings) writer.add(VALUES, { ...row, label: `${row.label}'\\` });
    expect(await writer.flush()).to.include({ ok: true });
    const updated = strings.map((row) => readBack({ ...row, label: `${row.label}'\\` }));
    expect((await stored()).slice(0, strings.length)).to.deep.equal(updated);
  });

  it('sends no value on a session with NO_BACKSLASH_ESCAPES: it destroys that connection instead', async () => {
    const pool = db.newPool();
    const calls: string[] = [];
    let opened = 0;
    const writer = new WriteBuffer({
      connections: {
        async getConnection(): Promise<WriteConnection> {
          const connection = await pool.getConnection();
          // The first connection reads `\'` as a backslash and the end of the string.
          if (opened++ === 0) {
            await connection.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
          }
          return {
            beginTransaction: () => (calls.push('begin'), connection.beginTransaction()),
            commit: () => (calls.push('commit'), connection.commit()),
            rollback: () => (calls.push('rollback'), connection.rollback()),
            query: (sql, values) => (calls.push(sql.split(/\s/, 1)[0]!), connection.query(sql, values)),
            release: () => (calls.push('release'), connection.release()),
            destroy: () => (calls.push('destroy'), connection.destroy()),
          };
        },
      },
      tables: [VALUES],
      autoFlush: false,
    });
    const row: ValuesRow = {
      id: 1,
      label: "\\'), (2, 'injected', NULL, NULL, NULL, NULL, NULL) -- ",
      signed_big: null,
      unsigned_big: null,
      amount: null,
      happened_at: null,
      raw_bytes: null,
    };
    writer.add(VALUES, row);

    const refused = await writer.flush();
    expect(refused).to.include({ ok: false, attempts: 1, backlogRows: 1 });
    expect(refused.error).to.be.instanceOf(WriteBufferError).with.property('code', 'UNSAFE_SESSION');
    expect(calls, 'no statement sent; the connection is not pooled again').to.deep.equal([
      'begin',
      'rollback',
      'destroy',
    ]);
    expect(await stored()).to.deep.equal([]);

    calls.length = 0;
    expect(await writer.flush(), 'a new connection, set up by session.sql').to.include({ ok: true, rows: 1 });
    expect(calls).to.deep.equal(['begin', 'INSERT', 'commit', 'release']);
    expect(await stored()).to.deep.equal([readBack(row)]);
  });
});
