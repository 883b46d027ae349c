import type { Pool, RowDataPacket } from 'mysql2/promise';
import { loadSqlStatement } from '../mysql/sql-statements.ts';
import type { RedisClient } from '../redis/connection.ts';
import type { Keys } from '../redis/keys.ts';
import { scanKeys } from '../redis/scan-keys.ts';
import { auditUserChunk, mysqlUsers } from './mysql-audit-balances.ts';
import { checkConservation, mysqlTotals, type MysqlAssetTotals } from './mysql-audit-conservation.ts';
import { Findings, type MysqlFinding } from './mysql-audit-findings.ts';
import { auditOrdersAndTrades } from './mysql-audit-orders.ts';
import { auditStreams, readCheckpoints, type SymbolStatus } from './mysql-audit-streams.ts';

export type { MysqlFinding, MysqlFindingKind, Severity, SideValues } from './mysql-audit-findings.ts';
export type { MysqlAssetTotals } from './mysql-audit-conservation.ts';
export type { CheckpointState, StreamState, SymbolStatus } from './mysql-audit-streams.ts';

/**
 * The MySQL half of `scripts/audit` (DESIGN.md §3 invariants 1, 3, 4 and 5; docs/mysql.md, "Audit"):
 * MySQL against itself and against Redis, with exact integers (bigint), read only.
 *
 * - MySQL conservation per asset: Σ (available + locked + fees_paid) = Σ deposits − Σ ok
 *   withdrawals (mysql-audit-conservation.ts);
 * - every (user, asset) balance, deposit and withdrawal equal in both stores; a Redis copy newer
 *   than MySQL's (by the balances hash's `v`, or a record not copied yet) is a lag unless quiescent
 *   (mysql-audit-balances.ts);
 * - orders and trades against each symbol's checkpoint and each other (mysql-audit-orders.ts);
 * - each symbol's stream against its checkpoint (mysql-audit-streams.ts).
 *
 * Findings are differences (the audit fails) or lags (counted and printed: the writer has not
 * caught up yet). With `quiescent`, every lag is a difference. The reads are not one snapshot of
 * both stores: on a live system run it at a quiescent point for a verdict on the balances.
 */

export interface MysqlAuditOptions {
  /** The system should be idle: anything the writer has not copied yet is a difference. */
  readonly quiescent?: boolean;
  /** Users audited per chunk (one MySQL range read per table per chunk). Default 256. */
  readonly userChunk?: number;
  /** Orders or trades read per statement. Default 1000. */
  readonly rowChunk?: number;
  /** Users whose Redis hashes are read at once. Default 16. */
  readonly concurrency?: number;
}

export interface MysqlAuditReport {
  /** No difference (lags allowed). */
  readonly ok: boolean;
  readonly differences: MysqlFinding[];
  readonly lags: MysqlFinding[];
  /** MySQL's totals per asset, sorted by asset. */
  readonly totals: Map<string, MysqlAssetTotals>;
  /** Every symbol with a checkpoint row or a stream, sorted. */
  readonly symbols: SymbolStatus[];
  readonly users: number;
  readonly orders: number;
  readonly trades: number;
}

const DATA_SYMBOLS = loadSqlStatement('audit-data-symbols.sql');

export async function auditMysql(
  redis: RedisClient,
  keys: Keys,
  pool: Pool,
  options: MysqlAuditOptions = {},
): Promise<MysqlAuditReport> {
  const findings = new Findings(options.quiescent ?? false);
  const userChunk = Math.max(1, options.userChunk ?? 256);
  const rowChunk = Math.max(1, options.rowChunk ?? 1000);
  const concurrency = Math.max(1, options.concurrency ?? 16);

  const found = await scanRedis(redis, keys);
  const fromMysql = await mysqlUsers(pool, findings, 10_000);
  const users = [...new Set([...found.users, ...fromMysql])].sort((a, b) => a - b);
  for (let i = 0; i < users.length; i += userChunk) {
    await auditUserChunk(redis, keys, pool, findings, users.slice(i, i + userChunk), concurrency);
  }
  // After the users: an asset whose copies lag makes its conservation break a lag too.
  const totals = await mysqlTotals(pool);
  checkConservation(findings, totals);

  const checkpoints = await readCheckpoints(pool);
  const [symbolRows] = await pool.query<RowDataPacket[]>(DATA_SYMBOLS.sql);
  const dataSymbols = symbolRows.map((row) => String(row.symbol));
  const counts = await auditOrdersAndTrades(
    pool,
    findings,
    new Set(checkpoints.keys()),
    dataSymbols,
    rowChunk,
  );
  const symbols = await auditStreams(redis, keys, findings, checkpoints, found.streams);

  const { differences, lags } = findings.sorted();
  return {
    ok: differences.length === 0,
    differences,
    lags,
    totals,
    symbols,
    users: users.length,
    orders: counts.orders,
    trades: counts.trades,
  };
}

/**
 * One SCAN over the prefix, on every master of a Cluster: users with a balances, deposits or
 * withdrawals hash; symbol streams.
 */
async function scanRedis(
  redis: RedisClient,
  keys: Keys,
): Promise<{ users: Set<number>; streams: Map<string, string> }> {
  const p = keys.prefix.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const userKey = new RegExp(`^${p}:(?:bal|deposits|withdrawals):\\{u:([1-9][0-9]{0,15})\\}$`);
  const streamKey = new RegExp(`^${p}:orders:\\{([^{}]+)\\}$`);
  const users = new Set<number>();
  const streams = new Map<string, string>();
  for (const key of await scanKeys(redis, keys.pattern)) {
    const u = userKey.exec(key);
    // Keys that keys.ts would not build are the Redis half's CORRUPT_KEY.
    if (u && Number.isSafeInteger(Number(u[1]))) users.add(Number(u[1]));
    const s = streamKey.exec(key);
    if (s && isStreamKey(keys, s[1]!, key)) streams.set(s[1]!, key);
  }
  return { users, streams };
}

function isStreamKey(keys: Keys, symbol: string, key: string): boolean {
  try {
    return keys.orderStream(symbol) === key;
  } catch {
    return false;
  }
}
