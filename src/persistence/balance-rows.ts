import type { AccountSnapshot } from '../redis/balance-accounts.ts';
import { PersistenceRowError } from './batch-rows.ts';
import type { BalanceRow } from './tables.ts';

/**
 * Balance rows for the `balances` table (docs/mysql.md) from snapshots of the Redis balances
 * (BalanceStore.readAccounts), purely. Each row carries the version `v` of the hash it was read
 * from; the upsert (balances-upsert.sql) and the WriteBuffer keep the highest version of a key.
 *
 *   const accounts = await store.readAccounts(touchedUserIds);
 *   for (const row of balanceRows(accounts)) writer.add(BALANCES, row);
 *
 * Every value is checked against its column before the buffer owes it (a row the database would
 * refuse fails every flush it is in, and the buffer never drops rows): PersistenceRowError.
 * Amounts travel as decimal strings, exact up to 2^63 − 1 (the largest balance in Redis).
 */

const MAX_AMOUNT = 2n ** 63n - 1n;
/** BIGINT UNSIGNED. */
const MAX_VERSION = 2n ** 64n - 1n;
const ASSET = /^[A-Z0-9]{2,12}$/;

export function balanceRows(accounts: readonly AccountSnapshot[]): BalanceRow[] {
  return accounts.map(balanceRow);
}

export function balanceRow(account: AccountSnapshot): BalanceRow {
  const { userId, asset } = account;
  const what = `balance of user ${userId} in ${asset}`;
  if (!Number.isSafeInteger(userId) || userId <= 0) {
    throw new PersistenceRowError(`${what}: user id is not a positive safe integer`);
  }
  if (typeof asset !== 'string' || !ASSET.test(asset)) {
    throw new PersistenceRowError(`${what}: asset is not 2-12 characters of A-Z 0-9`);
  }
  return {
    user_id: String(userId),
    asset,
    available: unsigned(account.available, MAX_AMOUNT, `${what}: available`),
    locked: unsigned(account.locked, MAX_AMOUNT, `${what}: locked`),
    fees_paid: unsigned(account.feesPaid, MAX_AMOUNT, `${what}: fees paid`),
    version: unsigned(account.version, MAX_VERSION, `${what}: version`),
  };
}

function unsigned(value: bigint, max: bigint, what: string): string {
  if (typeof value !== 'bigint' || value < 0n || value > max) {
    throw new PersistenceRowError(`${what} ${String(value)} is not an integer in [0, ${max}]`);
  }
  return value.toString();
}
