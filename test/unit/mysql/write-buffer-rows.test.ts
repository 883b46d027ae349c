import { expect } from 'chai';
import fc from 'fast-check';
import { parseUpsertTemplate } from '../../../src/mysql/sql-statements.ts';
import { compareKeys, OwedRows, planUpserts } from '../../../src/mysql/write-buffer-rows.ts';
import { rowValues, type SqlValue } from '../../../src/mysql/write-buffer-table.ts';
import { defineTable, WriteBufferError } from '../../../src/mysql/write-buffer.ts';

const ORDERS = defineTable({
  name: 'orders',
  columns: ['id', 'status'],
  primaryKey: ['id'],
  upsert: parseUpsertTemplate(
    'orders',
    'INSERT INTO orders (id, status) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE status = VALUES(status)',
  ),
});
const BALANCES = defineTable({
  name: 'balances',
  columns: ['user_id', 'asset', 'available', 'version'],
  primaryKey: ['user_id', 'asset'],
  version: 'version',
  upsert: parseUpsertTemplate(
    'balances',
    `INSERT INTO balances (user_id, asset, available, version) VALUES /*:rows*/ ON DUPLICATE KEY UPDATE
       available = IF(VALUES(version) > version, VALUES(available), available),
       version = IF(VALUES(version) > version, VALUES(version), version)`,
  ),
});

const orderRow = (id: SqlValue, status: string) => rowValues(ORDERS, { id, status });
const balanceRow = (user: number, asset: string, available: string, version: number | bigint | string) =>
  rowValues(BALANCES, { user_id: user, asset, available, version });
const statusesOf = (owed: OwedRows) =>
  owed.take().tables.flatMap(({ rows }) => rows.map((row) => row.values.join(':')));

describe('mysql/write-buffer-rows', () => {
  describe('rowValues', () => {
    it('lists the values in column order', () => {
      expect(rowValues(BALANCES, { version: 2, asset: 'BTC', user_id: 1, available: '5' })).to.deep.equal([
        1,
        'BTC',
        '5',
        2,
      ]);
    });

    it('refuses missing, extra and unbindable values, and a version that is no integer', () => {
      const invalid = (row: Record<string, unknown>, pattern: RegExp) =>
        expect(() => rowValues(ORDERS, row))
          .to.throw(WriteBufferError)
          .with.property('message')
          .that.matches(pattern);
      invalid({ id: 1 }, /status is missing/);
      invalid({ id: 1, status: 'new', extra: 1 }, /unknown columns extra/);
      invalid({ id: { nested: true }, status: 'new' }, /id is not bindable \(object\)/);
      invalid({ id: Number.NaN, status: 'new' }, /not bindable/);
      invalid({ id: undefined, status: 'new' }, /id is missing/);
      expect(() => balanceRow(1, 'BTC', '1', '1.5')).to.throw(WriteBufferError, /not an integer/);
    });
  });

  describe('OwedRows', () => {
    it('keeps one row per key, the latest; 1 and 1n are the same key', () => {
      const owed = new OwedRows([ORDERS]);
      owed.add(ORDERS, orderRow(1, 'new'));
      owed.add(ORDERS, orderRow(2, 'new'));
      owed.add(ORDERS, orderRow(1n, 'filled'));
      expect(owed.size).to.equal(2);
      expect(statusesOf(owed)).to.deep.equal(['1:filled', '2:new']);
      expect(owed.size).to.equal(0);
    });

    it('keeps the highest version of a versioned key; an equal version replaces', () => {
      const owed = new OwedRows([BALANCES]);
      owed.add(BALANCES, balanceRow(1, 'BTC', '7', 7));
      owed.add(BALANCES, balanceRow(1, 'BTC', '6', 6n));
      owed.add(BALANCES, balanceRow(1, 'USD', '1', '1'));
      owed.add(BALANCES, balanceRow(1, 'USD', '2', 1));
      expect(statusesOf(owed)).to.deep.equal(['1:BTC:7:7', '1:USD:2:1']);
    });

    it('restores a failed batch under the rows added since (or under a higher version)', () => {
      const owed = new OwedRows([ORDERS, BALANCES]);
      owed.add(ORDERS, orderRow(1, 'new'));
      owed.add(ORDERS, orderRow(2, 'new'));
      owed.add(BALANCES, balanceRow(1, 'BTC', '5', 5));
      owed.add(BALANCES, balanceRow(2, 'BTC', '5', 5));
      const failed = owed.take();
      owed.add(ORDERS, orderRow(2, 'filled'));
      owed.add(BALANCES, balanceRow(1, 'BTC', '6', 6)); // newer version: stays
      owed.add(BALANCES, balanceRow(2, 'BTC', '4', 4)); // older version arrived late: the owed one wins
      owed.restore(failed);
      expect(owed.size).to.equal(4);
      expect(statusesOf(owed)).to.deep.equal(['2:filled', '1:new', '1:BTC:6:6', '2:BTC:5:5']);
    });

    it('refuses an undeclared table and a table declared twice', () => {
      expect(() => new OwedRows([ORDERS]).add(BALANCES, balanceRow(1, 'BTC', '1', 1))).to.throw(
        WriteBufferError,
        /not declared/,
      );
      expect(() => new OwedRows([ORDERS, ORDERS])).to.throw(WriteBufferError, /twice/);
    });
  });

  describe('planUpserts', () => {
    it('writes tables in declaration order, rows sorted by primary key, values row after row', () => {
      const owed = new OwedRows([BALANCES, ORDERS]);
      for (const id of [10, 9, 100, '11', 2n]) owed.add(ORDERS, orderRow(id, `s${id}`));
      owed.add(BALANCES, balanceRow(2, 'BTC', '1', 1));
      owed.add(BALANCES, balanceRow(1, 'USD', '1', 1));
      owed.add(BALANCES, balanceRow(1, 'BTC', '1', 1));
      const [balances, orders] = planUpserts(owed.take(), 500);
      expect(balances).to.deep.include({ table: 'balances', rows: 3 });
      expect(balances!.values).to.deep.equal([1, 'BTC', '1', 1, 1, 'USD', '1', 1, 2, 'BTC', '1', 1]);
      expect(orders!.sql).to.equal(ORDERS.upsert.sqlFor(5));
      expect(orders!.values.filter((_, i) => i % 2 === 0)).to.deep.equal([2n, 9, 10, 100, '11']);
    });

    it('chunks by maxRowsPerStatement and by the 65535-parameter limit, keeping the one order', () => {
      const owed = new OwedRows([ORDERS]);
      for (let id = 1; id <= 10; id++) owed.add(ORDERS, orderRow(11 - id, 'new'));
      const statements = planUpserts(owed.take(), 4);
      expect(statements.map((s) => s.rows)).to.deep.equal([4, 4, 2]);
      expect(statements.flatMap((s) => s.values.filter((_, i) => i % 2 === 0))).to.deep.equal([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
      for (let id = 1; id <= 40_000; id++) owed.add(ORDERS, orderRow(id, 'new'));
      expect(planUpserts(owed.take(), 100_000).map((s) => s.rows)).to.deep.equal([32_767, 7_233]);
    });
  });

  describe('planUpserts and compareKeys agree', () => {
    it('sorts random composite keys exactly as compareKeys orders them, big decimal ids included', () => {
      const decimal = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String);
      const value = fc.oneof(
        decimal,
        fc.integer({ min: -1000, max: 1000 }),
        fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
        fc.constantFrom('BTC', 'USD', '0', '-1', '07', ''),
      );
      fc.assert(
        fc.property(fc.uniqueArray(fc.tuple(value, value), { minLength: 1, maxLength: 60 }), (keys) => {
          const owed = new OwedRows([BALANCES]);
          for (const [user, asset] of keys)
            owed.add(BALANCES, rowValues(BALANCES, { user_id: user, asset, available: '1', version: 1 }));
          const [statement] = planUpserts(owed.take(), 1000);
          const planned: SqlValue[][] = [];
          for (let i = 0; i < statement!.values.length; i += 4)
            planned.push(statement!.values.slice(i, i + 2) as SqlValue[]);
          const expected = [...planned].sort((a, b) => compareKeys(a, b, [0, 1]));
          expect(planned).to.deep.equal(expected);
        }),
      );
    });

    it('orders decimal integer strings as the integers they are, past 2^64', () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
          fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
          (a, b) => {
            const expected = a < b ? -1 : a > b ? 1 : 0;
            expect(Math.sign(compareKeys([String(a)], [String(b)], [0]))).to.equal(expected);
          },
        ),
      );
    });
  });

  describe('compareKeys', () => {
    it('orders numbers exactly across number and bigint, integer strings numerically before other strings', () => {
      const sorted = ([3, '10', 'b', null, 2n ** 60n, '9', 'a', -1, 2.5, '-3'] as SqlValue[]).sort((a, b) =>
        compareKeys([a], [b], [0]),
      );
      expect(sorted).to.deep.equal([null, -1, 2.5, 3, 2n ** 60n, '-3', '9', '10', 'a', 'b']);
    });

    it('is a total order on mixed keys (so every flush locks in the same order)', () => {
      const value = fc.oneof(
        fc.integer({ min: -50, max: 50 }),
        fc.bigInt({ min: -50n, max: 50n }),
        fc.constantFrom('0', '7', '-7', '07', '10', 'x', 'X', ''),
        fc.constant(null),
      );
      const cmp = (a: SqlValue[], b: SqlValue[]) => Math.sign(compareKeys(a, b, [0, 1]));
      fc.assert(
        fc.property(fc.tuple(value, value), fc.tuple(value, value), fc.tuple(value, value), (a, b, c) => {
          expect(cmp(a, b)).to.equal(-cmp(b, a) || 0);
          if (cmp(a, b) <= 0 && cmp(b, c) <= 0) expect(cmp(a, c)).to.be.at.most(0);
        }),
      );
    });
  });
});
