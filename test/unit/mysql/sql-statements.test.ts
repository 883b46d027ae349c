import { expect } from 'chai';
import {
  loadSqlStatement,
  loadUpsertTemplate,
  parseSqlStatement,
  parseUpsertTemplate,
  SqlTemplateError,
} from '../../../src/mysql/sql-statements.ts';
import { defineTable, WriteBufferError } from '../../../src/mysql/write-buffer.ts';

const ORDERS_SQL = `-- orders: the latest state wins.
-- Parameters: the rows, 3 per row.
INSERT INTO \`orders\` (order_id, status, filled) VALUES /*:rows*/
ON DUPLICATE KEY UPDATE status = VALUES(status), filled = VALUES(filled);
`;

const BALANCES_SQL = `INSERT INTO balances (user_id, asset, available, version) VALUES /*:rows*/
ON DUPLICATE KEY UPDATE
  available = IF(VALUES(version) > version, VALUES(available), available),
  version = IF(VALUES(version) > version, VALUES(version), version)`;

function expectTemplateError(text: string, pattern: RegExp): void {
  expect(() => parseUpsertTemplate('t.sql', text))
    .to.throw(SqlTemplateError)
    .with.property('message')
    .that.matches(pattern);
}

describe('mysql/sql-statements', () => {
  it('loads checkpoints-lock.sql: one locking SELECT by primary key, one parameter (the symbols), no header', () => {
    const statement = loadSqlStatement('checkpoints-lock.sql');
    expect(statement.parameterCount).to.equal(1);
    expect(statement.sql).to.match(/^SELECT symbol, epoch\s+FROM symbol_checkpoints FORCE INDEX \(PRIMARY\)/);
    expect(statement.sql).to.match(/WHERE symbol IN \(\?\)\s+FOR UPDATE$/);
    expect(statement.sql).not.to.contain('--');
  });

  it('loads checkpoints-advance.sql: an upsert of every checkpoint column that never updates symbol or epoch', () => {
    const template = loadUpsertTemplate('checkpoints-advance.sql');
    expect(template.table).to.equal('symbol_checkpoints');
    expect(template.columns).to.deep.equal([
      'symbol',
      'epoch',
      'last_stream_id',
      'last_seq',
      'maker_fee_ppm',
      'taker_fee_ppm',
      'last_timestamp_ms',
    ]);
    expect(template.assignments.map((a) => a.column)).to.deep.equal([
      'last_stream_id',
      'last_seq',
      'maker_fee_ppm',
      'taker_fee_ppm',
      'last_timestamp_ms',
      'updated_at',
    ]);
    expect(template.assignments.at(-1)!.expression).to.equal('CURRENT_TIMESTAMP(3)');
    expect(template.sqlFor(2)).to.contain(
      'VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)\nON DUPLICATE',
    );
    expect(template.sqlFor(8).split('?')).to.have.length(8 * 7 + 1);
    expect(template.sqlFor(1)).not.to.contain('--');
  });

  it('expands the rows marker to N tuples of one placeholder per column, nothing else', () => {
    const template = parseUpsertTemplate('orders.sql', ORDERS_SQL);
    expect(template).to.include({ name: 'orders.sql', table: 'orders' });
    expect(template.columns).to.deep.equal(['order_id', 'status', 'filled']);
    expect(template.assignments).to.deep.equal([
      { column: 'status', expression: 'VALUES(status)' },
      { column: 'filled', expression: 'VALUES(filled)' },
    ]);
    expect(template.sqlFor(1)).to.equal(
      'INSERT INTO `orders` (order_id, status, filled) VALUES (?, ?, ?)\n' +
        'ON DUPLICATE KEY UPDATE status = VALUES(status), filled = VALUES(filled)',
    );
    expect(template.sqlFor(3)).to.contain('VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)\nON DUPLICATE');
    expect(template.sqlFor(250).split('?')).to.have.length(750 + 1);
    expect(() => template.sqlFor(0)).to.throw(SqlTemplateError);
  });

  it('splits the update clause at top-level commas only', () => {
    const template = parseUpsertTemplate('balances.sql', BALANCES_SQL);
    expect(template.assignments.map((a) => a.column)).to.deep.equal(['available', 'version']);
    expect(template.assignments[0]!.expression).to.equal(
      'IF(VALUES(version) > version, VALUES(available), available)',
    );
  });

  it('refuses templates that are not one multi-row upsert with one marker and no other parameter', () => {
    expectTemplateError('INSERT INTO t (a) VALUES (?) ON DUPLICATE KEY UPDATE a = VALUES(a)', /marker/);
    expectTemplateError(
      'INSERT INTO t (a) VALUES /*:rows*/, /*:rows*/ ON DUPLICATE KEY UPDATE a = 1',
      /marker/,
    );
    expectTemplateError('INSERT INTO t (a) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE a = ?', /no other \?/);
    expectTemplateError('INSERT INTO t (a) VALUES /*:rows*/', /is not INSERT INTO/);
    expectTemplateError('REPLACE INTO t (a) VALUES /*:rows*/', /is not INSERT INTO/);
    expectTemplateError('INSERT INTO t (a, a) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE a = 1', /twice/);
    expectTemplateError(
      'INSERT INTO t (a) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE a = 1; SELECT 1',
      /2 statements/,
    );
    expectTemplateError(
      'INSERT INTO t (a) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE 1',
      /column = expression/,
    );
  });

  it('keeps the marker out of plain statements', () => {
    expect(parseSqlStatement('s.sql', '-- x\nSELECT ? FROM t WHERE a = ?').parameterCount).to.equal(2);
    expect(() => parseSqlStatement('s.sql', 'SELECT /*:rows*/')).to.throw(SqlTemplateError);
  });
});

describe('mysql/write-buffer-table: defineTable', () => {
  const orders = parseUpsertTemplate('orders.sql', ORDERS_SQL);
  const balances = parseUpsertTemplate('balances.sql', BALANCES_SQL);
  const expectInvalid = (define: () => unknown, pattern: RegExp) =>
    expect(define).to.throw(WriteBufferError).with.property('message').that.matches(pattern);

  it('accepts a spec that matches its template, and freezes it', () => {
    const table = defineTable({
      name: 'balances',
      columns: ['user_id', 'asset', 'available', 'version'],
      primaryKey: ['user_id', 'asset'],
      version: 'version',
      upsert: balances,
    });
    expect(Object.isFrozen(table)).to.equal(true);
    expect(table.primaryKey).to.deep.equal(['user_id', 'asset']);
  });

  it('refuses a spec that contradicts its template', () => {
    const spec = {
      name: 'orders',
      columns: ['order_id', 'status', 'filled'],
      primaryKey: ['order_id'],
    } as const;
    expectInvalid(() => defineTable({ ...spec, name: 'trades', upsert: orders }), /writes table orders/);
    expectInvalid(
      () => defineTable({ ...spec, columns: ['order_id', 'filled', 'status'], upsert: orders }),
      /differ from the template/,
    );
    expectInvalid(() => defineTable({ ...spec, primaryKey: [], upsert: orders }), /needs a primary key/);
    expectInvalid(
      () => defineTable({ ...spec, primaryKey: ['nope' as 'order_id'], upsert: orders }),
      /key column nope/,
    );
    expectInvalid(
      () => defineTable({ ...spec, version: 'order_id', upsert: orders }),
      /cannot be part of the key/,
    );
  });

  it('refuses a versioned table whose template does not guard every assignment, version last', () => {
    const columns = ['user_id', 'asset', 'available', 'version'] as const;
    const define = (updates: string) =>
      defineTable({
        name: 'balances',
        columns,
        primaryKey: ['user_id', 'asset'],
        version: 'version',
        upsert: parseUpsertTemplate(
          'b.sql',
          `INSERT INTO balances (user_id, asset, available, version) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE ${updates}`,
        ),
      });
    expectInvalid(
      () =>
        define(
          'version = GREATEST(version, VALUES(version)), available = IF(VALUES(version) > version, 1, 2)',
        ),
      /assign version last/,
    );
    expectInvalid(
      () => define('available = VALUES(available), version = GREATEST(version, VALUES(version))'),
      /update of available is not guarded/,
    );
  });
});
