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

/**
 * The hash's rows per asset, sorted by asset, and its version. A field or value the scripts never
 * write is CORRUPT_STATE: a copy made of it would spread the damage to MySQL.
 */
export function parseBalanceHash(
  key: string,
  fields: Readonly<Record<string, string>>,
): { readonly version: bigint; readonly rows: BalanceSheetRow[] } {
  const corrupt = (field: string, value: string): never => {
    throw new BalanceScriptError('CORRUPT_STATE', `${key} ${field} holds ${JSON.stringify(value)}`);
  };
  let version = 0n;
  const rows = new Map<string, { -readonly [K in keyof BalanceSheetRow]: BalanceSheetRow[K] }>();
  for (const [field, value] of Object.entries(fields)) {
    if (!INTEGER.test(value)) corrupt(field, value);
    if (field === VERSION_FIELD) {
      version = BigInt(value);
      continue;
    }
    const kind = field.slice(0, 2);
    const asset = field.slice(2);
    if (!(kind === 'a:' || kind === 'l:' || kind === 'f:') || !ASSET.test(asset)) corrupt(field, value);
    let row = rows.get(asset);
    if (!row) rows.set(asset, (row = { asset, available: 0n, locked: 0n, feesPaid: 0n, listed: false }));
    if (kind === 'a:') row.available = BigInt(value);
    else if (kind === 'l:') row.locked = BigInt(value);
    else row.feesPaid = BigInt(value);
    row.listed ||= kind !== 'f:';
  }
  const sorted = [...rows.values()].sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
  return { version, rows: sorted };
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
