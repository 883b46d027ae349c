import { BalanceScriptError } from './balance-replies.ts';

/**
 * A user's balances hash (docs/balances.md) read back as rows: `a:<ASSET>` available,
 * `l:<ASSET>` locked, `f:<ASSET>` fees paid, and `v`, the hash's version, which every balance
 * script that changes the hash bumps. MySQL keeps a copy of each row and overwrites it only with a
 * higher version, so a copy read later never loses to one read earlier.
 */

/** The version field of the balances hash. */
export const VERSION_FIELD = 'v';

/** One user's balance of one asset, with the version of the hash it was read from. */
export interface AccountSnapshot {
  readonly userId: number;
  readonly asset: string;
  /** Smallest units of the asset. */
  readonly available: bigint;
  readonly locked: bigint;
  /** Cumulative fees charged to the user in this asset: the user's share of the fee account. */
  readonly feesPaid: bigint;
  /** The hash's `v`; 0n when the hash has none yet (written before versions existed). */
  readonly version: bigint;
}

export interface BalanceSheetRow {
  readonly asset: string;
  readonly available: bigint;
  readonly locked: bigint;
  readonly feesPaid: bigint;
  /** Has an available or locked field: a balance the user sees (fees alone are not one). */
  readonly listed: boolean;
}

const INTEGER = /^(0|-?[1-9][0-9]*)$/;
const ASSET = /^[A-Z0-9]{2,12}$/;

/** A field's value as the scripts write it (a canonical integer), or CORRUPT_STATE. */
function integerField(key: string, field: string, value: string): bigint {
  if (!INTEGER.test(value)) {
    throw new BalanceScriptError('CORRUPT_STATE', `${key} ${field} holds ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

function byAsset(a: { readonly asset: string }, b: { readonly asset: string }): number {
  return a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0;
}

/**
 * The hash's rows per asset, sorted by asset, and its version. A field or value the scripts never
 * write is CORRUPT_STATE: a copy made of it would spread the damage to MySQL.
 */
export function parseBalanceHash(
  key: string,
  fields: Readonly<Record<string, string>>,
): { readonly version: bigint; readonly rows: BalanceSheetRow[] } {
  let version = 0n;
  const rows = new Map<string, { -readonly [K in keyof BalanceSheetRow]: BalanceSheetRow[K] }>();
  for (const [field, value] of Object.entries(fields)) {
    const amount = integerField(key, field, value);
    if (field === VERSION_FIELD) {
      version = amount;
      continue;
    }
    const kind = field.slice(0, 2);
    const asset = field.slice(2);
    if (!(kind === 'a:' || kind === 'l:' || kind === 'f:') || !ASSET.test(asset)) {
      throw new BalanceScriptError('CORRUPT_STATE', `${key} ${field} holds ${JSON.stringify(value)}`);
    }
    let row = rows.get(asset);
    if (!row) rows.set(asset, (row = { asset, available: 0n, locked: 0n, feesPaid: 0n, listed: false }));
    if (kind === 'a:') row.available = amount;
    else if (kind === 'l:') row.locked = amount;
    else row.feesPaid = amount;
    row.listed ||= kind !== 'f:';
  }
  return { version, rows: [...rows.values()].sort(byAsset) };
}

/**
 * The HMGET fields of `assetAccountsOf`: the version, then each asset's available, locked and fees
 * paid, in the order of `assets`.
 */
export function assetAccountFields(assets: readonly string[]): string[] {
  const fields = [VERSION_FIELD];
  for (const asset of assets) fields.push(`a:${asset}`, `l:${asset}`, `f:${asset}`);
  return fields;
}

/**
 * The accounts of `assets` from the reply to an HMGET of `assetAccountFields(assets)`, sorted by
 * asset; an asset with none of its fields is left out, as `accountsOf` of the whole hash would. Reads
 * the reply in place: a matcher decodes one per touched user and batch.
 */
const KINDS = ['a:', 'l:', 'f:'] as const;

export function assetAccountsOf(
  userId: number,
  key: string,
  assets: readonly string[],
  reply: readonly unknown[],
): AccountSnapshot[] {
  const fields = 1 + 3 * assets.length;
  const valueAt = (i: number): bigint | undefined => {
    const value = reply[i];
    if (value === null || value === undefined) return undefined;
    if (typeof value !== 'string') {
      throw new BalanceScriptError('UNEXPECTED_REPLY', `${key}: HMGET value ${i} is ${typeof value}`);
    }
    const field = i === 0 ? VERSION_FIELD : `${KINDS[(i - 1) % 3]}${assets[Math.floor((i - 1) / 3)]}`;
    return integerField(key, field, value);
  };
  if (reply.length !== fields) {
    throw new BalanceScriptError(
      'UNEXPECTED_REPLY',
      `${key}: HMGET replied ${reply.length} values, not ${fields}`,
    );
  }
  const version = valueAt(0) ?? 0n;
  const accounts: AccountSnapshot[] = [];
  for (let a = 0; a < assets.length; a++) {
    const available = valueAt(1 + 3 * a);
    const locked = valueAt(2 + 3 * a);
    const feesPaid = valueAt(3 + 3 * a);
    if (available === undefined && locked === undefined && feesPaid === undefined) continue;
    accounts.push({
      userId,
      asset: assets[a]!,
      available: available ?? 0n,
      locked: locked ?? 0n,
      feesPaid: feesPaid ?? 0n,
      version,
    });
  }
  return accounts.length > 1 ? accounts.sort(byAsset) : accounts;
}

/** Every asset present in the user's hash, sorted by asset; [] for a user without one. */
export function accountsOf(
  userId: number,
  key: string,
  fields: Readonly<Record<string, string>>,
): AccountSnapshot[] {
  const { version, rows } = parseBalanceHash(key, fields);
  return rows.map(({ asset, available, locked, feesPaid }) => ({
    userId,
    asset,
    available,
    locked,
    feesPaid,
    version,
  }));
}

/** The distinct user ids, ascending: the order readAccounts answers in. */
export function distinctUserIds(userIds: readonly number[]): number[] {
  return [...new Set(userIds)].sort((a, b) => a - b);
}
