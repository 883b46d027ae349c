/**
 * node --import tsx scripts/audit.ts [--quiescent] [--json]
 * Audits the Redis state of one deployment (REDIS_URL, KEY_PREFIX): balances, holds, deposits and
 * withdrawals against DESIGN.md §3 invariants 1, 2 and 7 (src/audit/redis-audit.ts), and the
 * consumer group of each symbol stream. Read only.
 *
 *   --quiescent  the system should be idle: pending or undelivered stream entries are differences
 *   --json       print the report as one JSON document (amounts as decimal strings)
 *
 * Exit code: 0 clean, 1 at least one difference, 2 the audit could not run (bad config, no Redis...).
 */
import { parseArgs } from 'node:util';
import { auditRedis, reportToJson, type AuditReport } from '../src/audit/redis-audit.ts';
import { loadConfig } from '../src/config/config.ts';
import { createRedis } from '../src/redis/connection.ts';
import { createKeys } from '../src/redis/keys.ts';

function printText(report: AuditReport, prefix: string): void {
  const out = (line: string) => console.log(line);
  out(`audit: prefix ${prefix}: ${report.users} users, ${report.keysScanned} keys scanned`);
  for (const d of report.differences) out(`DIFFERENCE ${d.kind}: ${d.message}`);

  const header = ['asset', 'available', 'locked', 'fees paid', 'deposited', 'withdrawn', 'balance'];
  const rows = [...report.totals].map(([asset, t]) => {
    const net = t.deposited - t.withdrawn;
    const held = t.available + t.locked + t.feesPaid;
    const verdict = !t.complete ? 'unreadable' : held === net ? 'ok' : `off by ${held - net}`;
    return [asset, t.available, t.locked, t.feesPaid, t.deposited, t.withdrawn].map(String).concat(verdict);
  });
  if (rows.length > 0) {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ');
    out('');
    out(line(header).trimEnd());
    for (const r of rows) out(line(r).trimEnd());
  }
  if (report.streams.length > 0) {
    out('');
    for (const s of report.streams) {
      const group = s.hasGroup ? `pending ${s.pending}, lag ${s.lag ?? 'unknown'}` : 'no matchers group yet';
      out(`stream ${s.symbol}: length ${s.length}, ${group}`);
    }
  }
  out('');
  out(
    report.ok
      ? 'audit: clean'
      : `audit: ${report.differences.length} difference${report.differences.length === 1 ? '' : 's'}`,
  );
}

/** The URL without its password, for an error message. */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quiescent: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const config = loadConfig();
  const keys = createKeys(config.redis.keyPrefix);
  const redis = createRedis(config, {
    connectionName: 'audit',
    maxRetriesPerRequest: 1,
    connectTimeoutMs: 3_000,
  });
  let lastError: Error | undefined;
  // Reported through the failing command; without a listener ioredis would print each one.
  redis.on('error', (error: Error) => (lastError = error));
  try {
    const report = await auditRedis(redis, keys, { quiescent: values.quiescent });
    if (values.json) console.log(JSON.stringify(reportToJson(report), null, 2));
    else printText(report, keys.prefix);
    return report.ok ? 0 : 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const cause = lastError && lastError.message !== message ? ` (${lastError.message})` : '';
    throw new Error(`${message}${cause}; check REDIS_URL (${redact(config.redis.url)})`, { cause: error });
  } finally {
    redis.disconnect();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`audit: error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
