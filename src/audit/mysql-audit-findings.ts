import { compareIntegerStrings } from '../money/decimal.ts';

/**
 * What the MySQL half of `scripts/audit` reports (src/audit/mysql-audit.ts): findings with a stable
 * kind, each either a **difference** (the stores disagree: exit code 1) or a **lag** (they disagree
 * in a way the writer catching up would resolve: counted and printed, never failing the audit).
 * Each finding names where it is (user, asset, symbol, order, trade) and carries both sides' values,
 * so an operator can act on it without re-running queries.
 */

export type MysqlFindingKind =
  // Balances, per asset and per (user, asset).
  | 'MYSQL_CONSERVATION'
  | 'BALANCE_MISMATCH'
  | 'BALANCE_MISSING_IN_MYSQL'
  | 'BALANCE_MISSING_IN_REDIS'
  | 'BALANCE_VERSION_AHEAD'
  // Deposits and withdrawals, per id.
  | 'DEPOSIT_MISSING_IN_MYSQL'
  | 'DEPOSIT_MISSING_IN_REDIS'
  | 'DEPOSIT_MISMATCH'
  | 'WITHDRAWAL_MISSING_IN_MYSQL'
  | 'WITHDRAWAL_MISSING_IN_REDIS'
  | 'WITHDRAWAL_MISMATCH'
  // Orders and trades in MySQL, per symbol.
  | 'CHECKPOINT_MISSING'
  | 'TRADE_AFTER_CHECKPOINT'
  | 'TRADE_ORDER_MISSING'
  | 'TRADE_ORDER_MISMATCH'
  | 'ORDER_AFTER_CHECKPOINT'
  | 'ORDER_FILL_MISMATCH'
  | 'ORDER_STATUS_MISMATCH'
  // Streams against checkpoints, per symbol.
  | 'CHECKPOINT_AHEAD_OF_STREAM'
  | 'STREAM_TRIMMED_PAST_CHECKPOINT'
  | 'STREAM_MISSING'
  | 'CHECKPOINT_BEHIND_STREAM'
  // A MySQL value the schema allows but the system never writes.
  | 'MYSQL_CORRUPT_ROW';

export type Severity = 'difference' | 'lag';

/** One side's values, as decimal strings (amounts, versions, ids). */
export type SideValues = Readonly<Record<string, string | null>>;

export interface MysqlFinding {
  /** Stable, machine-readable. */
  readonly kind: MysqlFindingKind;
  readonly severity: Severity;
  /** For a human; wording may change. */
  readonly message: string;
  readonly userId?: number;
  readonly asset?: string;
  readonly symbol?: string;
  readonly orderId?: string;
  readonly depositId?: string;
  readonly withdrawalId?: string;
  /** Engine seq of a trade. */
  readonly seq?: string;
  readonly redis?: SideValues;
  readonly mysql?: SideValues;
}

/** Collects findings and the assets that lag (a lagging asset's conservation is a lag too). */
export class Findings {
  readonly all: MysqlFinding[] = [];
  readonly laggingAssets = new Set<string>();

  constructor(readonly quiescent: boolean) {}

  difference(finding: Omit<MysqlFinding, 'severity'>): void {
    this.all.push({ ...finding, severity: 'difference' });
  }

  /**
   * A disagreement the writer catching up would resolve: a lag, unless the system is quiescent,
   * when nothing may be left to catch up and it is a difference.
   */
  lagOrDifference(finding: Omit<MysqlFinding, 'severity'>): void {
    const severity: Severity = this.quiescent ? 'difference' : 'lag';
    if (severity === 'lag' && finding.asset !== undefined) this.laggingAssets.add(finding.asset);
    this.all.push({ ...finding, severity });
  }

  /** Differences then lags, each in a stable order whatever order the checks ran in. */
  sorted(): { differences: MysqlFinding[]; lags: MysqlFinding[] } {
    const order = (a: MysqlFinding, b: MysqlFinding) =>
      compare(a.kind, b.kind) ||
      compare(a.symbol ?? '', b.symbol ?? '') ||
      (a.userId ?? 0) - (b.userId ?? 0) ||
      compare(a.asset ?? '', b.asset ?? '') ||
      compareIntegerStrings(a.orderId ?? '0', b.orderId ?? '0') ||
      compareIntegerStrings(a.seq ?? '0', b.seq ?? '0') ||
      compare(a.depositId ?? a.withdrawalId ?? '', b.depositId ?? b.withdrawalId ?? '');
    return {
      differences: this.all.filter((f) => f.severity === 'difference').sort(order),
      lags: this.all.filter((f) => f.severity === 'lag').sort(order),
    };
  }
}

const INTEGER = /^(0|[1-9][0-9]*)$/;

/**
 * A BIGINT (UNSIGNED) or the DECIMAL of its SUM as the pool reads it back (a decimal string, never a
 * number: docs/mysql.md), as a bigint. NULL (an empty SUM) is 0. Throws on anything else: the pool
 * is misconfigured or the query wrong, and the audit must not guess.
 */
export function sqlBig(value: unknown, what: string): bigint {
  if (value === null) return 0n;
  const text = typeof value === 'string' ? value.replace(/\.0+$/, '') : undefined;
  if (text === undefined || !INTEGER.test(text)) {
    throw new Error(`audit: ${what} read back as ${JSON.stringify(value)}, not a decimal integer string`);
  }
  return BigInt(text);
}

/** A canonical non-negative integer as Redis stores amounts and versions, or undefined. */
export function redisBig(value: string | undefined): bigint | undefined {
  return value !== undefined && INTEGER.test(value) ? BigInt(value) : undefined;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
