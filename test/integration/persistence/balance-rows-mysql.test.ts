/**
 * Balance rows (src/persistence/balance-rows.ts) through a real WriteBuffer into MariaDB (a migrated
 * database of this file's own): a copy is overwritten only by a strictly higher version, in the
 * database and in the buffer, amounts are exact up to 2^63 − 1, and a row read from the real
 * Redis balances (readAccounts) lands as it was read.
 */
import { expect } from 'chai';
import type { RowDataPacket } from 'mysql2/promise';
import { SyncWriteBuffer } from '../../../src/mysql/write-buffer-sync.ts';
import { WriteBuffer } from '../../../src/mysql/write-buffer.ts';
import { balanceRows } from '../../../src/persistence/balance-rows.ts';
import { PersistenceRowError } from '../../../src/persistence/batch-rows.ts';
import { BALANCES, DEPOSITS, DURABLE_TABLES, WITHDRAWALS } from '../../../src/persistence/tables.ts';
import { BalanceStore, type AccountSnapshot } from '../../../src/redis/balance-store.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

const MAX = 2n ** 63n - 1n;

const account = (
  over: Partial<AccountSnapshot> & Pick<AccountSnapshot, 'userId' | 'asset'>,
): AccountSnapshot => ({
  available: 0n,
  locked: 0n,
  feesPaid: 0n,
  version: 1n,
  ...over,
});

describe('persistence/balance-rows: versioned balance rows in MariaDB', () => {
  let t: TestMysql;
  let sync: SyncWriteBuffer;
  before(async () => {
    t = await openTestMysql();
    sync = new SyncWriteBuffer({ connections: t.pool, tables: DURABLE_TABLES });
  });
  after(async () => {
    await sync?.close();
    await t?.close();
  });

  async function select(sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
    const [rows] = await t.pool.query<RowDataPacket[]>(sql, values);
    return rows.map((row) => ({ ...row }));
  }

  const stored = (userId: number) =>
    select(
      'SELECT asset, available, locked, fees_paid, version FROM balances WHERE user_id = ? ORDER BY asset',
      [userId],
    );

  async function write(accounts: AccountSnapshot[]): Promise<void> {
    for (const row of balanceRows(accounts)) {
      const result = await sync.add(BALANCES, row);
      expect(result.ok, String(result.error)).to.equal(true);
    }
  }

  it('maps snapshots to rows of decimal strings, exact at 2^63 - 1', () => {
    expect(
      balanceRows([
        account({
          userId: 9,
          asset: 'BTC',
          available: MAX,
          locked: 2n,
          feesPaid: 3n,
          version: 2n ** 64n - 1n,
        }),
      ]),
    ).to.deep.equal([
      {
        user_id: '9',
        asset: 'BTC',
        available: '9223372036854775807',
        locked: '2',
        fees_paid: '3',
        version: '18446744073709551615',
      },
    ]);
  });

  it('refuses a value its column would refuse (PersistenceRowError), before the buffer owes it', () => {
    const bad: AccountSnapshot[] = [
      account({ userId: 1, asset: 'BTC', available: -1n }),
      account({ userId: 1, asset: 'BTC', locked: MAX + 1n }),
      account({ userId: 1, asset: 'BTC', feesPaid: -5n }),
      account({ userId: 1, asset: 'BTC', version: -1n }),
      account({ userId: 0, asset: 'BTC' }),
      account({ userId: 1.5, asset: 'BTC' }),
      account({ userId: 1, asset: 'btc' }),
      account({ userId: 1, asset: 'A' }),
    ];
    for (const snapshot of bad) {
      expect(
        () => balanceRows([snapshot]),
        JSON.stringify(snapshot, (_, v) => String(v)),
      ).to.throw(PersistenceRowError);
    }
  });

  it('overwrites a row only with a strictly higher version', async () => {
    const user = 10;
    await write([
      account({ userId: user, asset: 'USDT', available: 500n, locked: 100n, feesPaid: 1n, version: 5n }),
    ]);
    const v5 = { asset: 'USDT', available: '500', locked: '100', fees_paid: '1', version: '5' };
    expect(await stored(user)).to.deep.equal([v5]);
    // An older copy (read before, written after) and the same version again change nothing.
    await write([account({ userId: user, asset: 'USDT', available: 1n, version: 4n })]);
    await write([account({ userId: user, asset: 'USDT', available: 2n, version: 5n })]);
    expect(await stored(user)).to.deep.equal([v5]);
    // A newer one replaces every amount, the largest one exactly.
    await write([
      account({ userId: user, asset: 'USDT', available: MAX, locked: 0n, feesPaid: MAX, version: 6n }),
    ]);
    expect(await stored(user)).to.deep.equal([
      { asset: 'USDT', available: String(MAX), locked: '0', fees_paid: String(MAX), version: '6' },
    ]);
  });

  it('keeps the highest version of a key within one flush, whatever order the rows came in', async () => {
    const user = 11;
    const buffer = new WriteBuffer({ connections: t.pool, tables: DURABLE_TABLES, autoFlush: false });
    const newer = account({ userId: user, asset: 'BTC', available: 70n, version: 8n });
    const older = account({ userId: user, asset: 'BTC', available: 60n, version: 7n });
    for (const row of balanceRows([newer, older, account({ userId: user, asset: 'ETH', version: 7n })])) {
      buffer.add(BALANCES, row);
    }
    const result = await buffer.flush();
    expect(result.ok, String(result.error)).to.equal(true);
    expect(result.tables).to.deep.equal({ balances: 2 });
    expect((await stored(user)).map((r) => [r.asset, r.available, r.version])).to.deep.equal([
      ['BTC', '70', '8'],
      ['ETH', '0', '7'],
    ]);
    await buffer.close();
  });

  it('stores what readAccounts read from the Redis balances, version included', async () => {
    let r: TestRedis | undefined;
    try {
      r = await openTestRedis();
      const store = new BalanceStore(r.redis, r.keys);
      const user = 12;
      await store.deposit(user, 'USDT', MAX, 'd-1');
      await store.deposit(user, 'BTC', 9_007_199_254_740_993n, 'd-2');
      await store.hold(user, 'o-1', 'BTC', 3n);
      await write(await store.readAccounts([user]));
      expect(await stored(user)).to.deep.equal([
        { asset: 'BTC', available: '9007199254740990', locked: '3', fees_paid: '0', version: '3' },
        { asset: 'USDT', available: String(MAX), locked: '0', fees_paid: '0', version: '3' },
      ]);
    } finally {
      await r?.close();
    }
  });

  it('keys deposits and withdrawals by user and id (migration 0009): two users may share an id', async () => {
    for (const userId of ['21', '22']) {
      await sync.add(DEPOSITS, { deposit_id: 'same', user_id: userId, asset: 'USDT', amount: userId });
      await sync.add(WITHDRAWALS, {
        withdrawal_id: 'same',
        user_id: userId,
        asset: 'USDT',
        amount: '1',
        status: 'ok',
      });
    }
    // A repeat of one user's id still changes nothing.
    await sync.add(DEPOSITS, { deposit_id: 'same', user_id: '21', asset: 'BTC', amount: '999' });
    expect(
      await select("SELECT user_id, asset, amount FROM deposits WHERE deposit_id = 'same' ORDER BY user_id"),
    ).to.deep.equal([
      { user_id: '21', asset: 'USDT', amount: '21' },
      { user_id: '22', asset: 'USDT', amount: '22' },
    ]);
    expect(await select("SELECT COUNT(*) AS n FROM withdrawals WHERE withdrawal_id = 'same'")).to.deep.equal([
      { n: '2' },
    ]);
  });
});
