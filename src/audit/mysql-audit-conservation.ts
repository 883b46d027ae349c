import type { Pool, RowDataPacket } from 'mysql2/promise';
import { loadSqlStatement } from '../mysql/sql-statements.ts';
import { compare, sqlBig, type Findings } from './mysql-audit-findings.ts';

/**
 * MySQL's own conservation (DESIGN.md invariant 1; docs/mysql.md, "Audit"): per asset,
 * Σ (available + locked + fees_paid) over balances = Σ deposits − Σ ok withdrawals, exactly.
 */

const CONSERVATION = loadSqlStatement('audit-conservation.sql');

/** Per asset, from MySQL, in the asset's smallest unit. */
export interface MysqlAssetTotals {
  available: bigint;
  locked: bigint;
  feesPaid: bigint;
  deposited: bigint;
  /** Withdrawals with status ok. */
  withdrawn: bigint;
}

/** MySQL's conservation per asset, from one consistent snapshot; sorted by asset. */
export async function mysqlTotals(pool: Pool): Promise<Map<string, MysqlAssetTotals>> {
  const [rows] = await pool.query<RowDataPacket[]>(CONSERVATION.sql);
  const totals = new Map<string, MysqlAssetTotals>();
  for (const row of rows) {
    const asset = String(row.asset);
    let t = totals.get(asset);
    if (!t) {
      t = { available: 0n, locked: 0n, feesPaid: 0n, deposited: 0n, withdrawn: 0n };
      totals.set(asset, t);
    }
    const amount = sqlBig(row.available, `${String(row.source)} sum`);
    if (row.source === 'deposits') t.deposited = amount;
    else if (row.source === 'withdrawals') t.withdrawn = amount;
    else {
      t.available = amount;
      t.locked = sqlBig(row.locked, 'balances locked sum');
      t.feesPaid = sqlBig(row.fees_paid, 'balances fees_paid sum');
    }
  }
  return new Map([...totals].sort(([a], [b]) => compare(a, b)));
}

/**
 * Σ (available + locked + fees paid) = Σ deposits − Σ ok withdrawals, per asset. A break in an asset
 * whose copies lag (and the system is not quiescent) may be the writer catching up: a lag.
 */
export function checkConservation(findings: Findings, totals: Map<string, MysqlAssetTotals>): void {
  for (const [asset, t] of totals) {
    const held = t.available + t.locked + t.feesPaid;
    const net = t.deposited - t.withdrawn;
    if (held === net) continue;
    const finding = {
      kind: 'MYSQL_CONSERVATION' as const,
      asset,
      mysql: { held: held.toString(), deposited: t.deposited.toString(), withdrawn: t.withdrawn.toString() },
      message:
        `${asset} in MySQL: available ${t.available} + locked ${t.locked} + fees paid ${t.feesPaid} = ${held}, ` +
        `but deposits ${t.deposited} − withdrawals ${t.withdrawn} = ${net} (off by ${held - net})` +
        (findings.laggingAssets.has(asset) ? '; some copies of this asset lag' : ''),
    };
    if (findings.laggingAssets.has(asset)) findings.lagOrDifference(finding);
    else findings.difference(finding);
  }
}
