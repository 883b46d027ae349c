import type { MysqlFinding } from './mysql-audit-findings.ts';
import type { MysqlAuditReport } from './mysql-audit.ts';
import { textTable } from './text-table.ts';

/** The MySQL half's report as plain JSON: amounts as decimal strings, totals as an object by asset. */
export function mysqlReportToJson(report: MysqlAuditReport): unknown {
  return {
    ok: report.ok,
    differences: report.differences,
    lags: report.lags,
    totals: Object.fromEntries(
      [...report.totals].map(([asset, t]) => [
        asset,
        {
          available: t.available.toString(),
          locked: t.locked.toString(),
          feesPaid: t.feesPaid.toString(),
          deposited: t.deposited.toString(),
          withdrawn: t.withdrawn.toString(),
        },
      ]),
    ),
    symbols: report.symbols,
    users: report.users,
    orders: report.orders,
    trades: report.trades,
  };
}

/**
 * The MySQL half for a human: one line per finding (`DIFFERENCE <KIND>: ...`, `LAG <KIND>: ...`),
 * MySQL's totals per asset with their verdict, and each symbol's checkpoint against its stream.
 */
export function mysqlReportLines(report: MysqlAuditReport, database: string): string[] {
  const lines = [
    `audit: MySQL ${database}: ${report.users} users, ${report.orders} orders, ${report.trades} trades, ` +
      `${report.symbols.length} symbols`,
  ];
  const finding = (label: string) => (f: MysqlFinding) => lines.push(`${label} ${f.kind}: ${f.message}`);
  report.differences.forEach(finding('DIFFERENCE'));
  report.lags.forEach(finding('LAG'));

  const rows = [...report.totals].map(([asset, t]) => {
    const net = t.deposited - t.withdrawn;
    const held = t.available + t.locked + t.feesPaid;
    const verdict = held === net ? 'ok' : `off by ${held - net}`;
    return [asset, t.available, t.locked, t.feesPaid, t.deposited, t.withdrawn].map(String).concat(verdict);
  });
  if (rows.length > 0) {
    const header = ['asset', 'available', 'locked', 'fees paid', 'deposited', 'withdrawn', 'balance'];
    lines.push('', ...textTable(header, rows));
  }
  if (report.symbols.length > 0) lines.push('');
  for (const { symbol, checkpoint, stream } of report.symbols) {
    const cp = checkpoint
      ? `checkpoint ${checkpoint.lastStreamId} (seq ${checkpoint.lastSeq})`
      : 'no checkpoint';
    const st = !stream
      ? 'no stream'
      : stream.length === 0
        ? `stream empty, last generated ${stream.lastGeneratedId}`
        : `stream ${stream.length} entries ${stream.firstEntryId} .. ${stream.lastEntryId}`;
    lines.push(`symbol ${symbol}: ${cp}, ${st}`);
  }
  return lines;
}
