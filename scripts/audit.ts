/**
 * node --import tsx scripts/audit.ts [--quiescent] [--json] [--redis-only]
 * Audits one deployment against DESIGN.md §3 invariants, read only:
 *  - Redis (REDIS_URL, KEY_PREFIX; REDIS_CLUSTER_NODES for a Cluster, every master scanned):
 *    balances, holds, deposits and withdrawals, and the consumer group of each symbol stream
 *    (src/audit/redis-audit.ts);
 *  - MySQL (MYSQL_URL): its own conservation, its balances, deposits and withdrawals against Redis,
 *    orders and trades against each symbol's checkpoint, and each checkpoint against its stream
 *    (src/audit/mysql-audit.ts; docs/mysql.md, "Audit").
 *
 *   --quiescent   the system should be idle: pending or undelivered stream entries, and anything
 *                 the MySQL writer has not caught up with, are differences (else lags: printed, not
 *                 failing)
 *   --json        print the report as one JSON document (amounts as decimal strings)
 *   --redis-only  the Redis half alone, as before the MySQL half existed (same output)
 *
 * Exit code: 0 clean, 1 at least one difference, 2 the audit could not run (bad config, no Redis or
 * MySQL...).
 */
import { parseArgs } from 'node:util';
import type { Pool } from 'mysql2/promise';
import { auditMysql, type MysqlAuditReport } from '../src/audit/mysql-audit.ts';
import { mysqlReportLines, mysqlReportToJson } from '../src/audit/mysql-audit-report.ts';
import { auditRedis, reportToJson, type AuditReport } from '../src/audit/redis-audit.ts';
import { textTable } from '../src/audit/text-table.ts';
import { loadConfig } from '../src/config/config.ts';
import { createMysqlPool, parseMysqlUrl } from '../src/mysql/connection.ts';
import { createRedisClient } from '../src/redis/connection.ts';
import { createKeys } from '../src/redis/keys.ts';

const out = (line: string) => console.log(line);

/** How long the audit waits for Redis to answer at all. */
const REDIS_ANSWER_TIMEOUT_MS = 10_000;

function printRedis(report: AuditReport, prefix: string): void {
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
    out('');
    for (const line of textTable(header, rows)) out(line);
  }
  if (report.streams.length > 0) {
    out('');
    for (const s of report.streams) {
      const group = s.hasGroup ? `pending ${s.pending}, lag ${s.lag ?? 'unknown'}` : 'no matchers group yet';
      out(`stream ${s.symbol}: length ${s.length}, ${group}`);
    }
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The URL without its password, for an error message. */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** The error with the setting to check (and the connection's last error, if it says more). */
function explain(error: unknown, setting: string, url: string, last: Error | undefined): Error {
  const message = error instanceof Error ? error.message || String(error) : String(error);
  const cause = last && last.message !== message ? ` (${last.message})` : '';
  return new Error(`${message}${cause}; check ${setting} (${redact(url)})`, { cause: error });
}

/**
 * `work`, or a rejection after `ms`: a Cluster client queues its commands until some node answers,
 * without bound (one Redis gives up after its retries), and the audit must exit 2 instead.
 */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quiescent: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'redis-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const config = loadConfig();
  const keys = createKeys(config.redis.keyPrefix);
  const quiescent = values.quiescent;
  const redis = createRedisClient(config, {
    connectionName: 'audit',
    maxRetriesPerRequest: 1,
    connectTimeoutMs: 3_000,
  });
  const redisSetting =
    (config.redis.clusterNodes ?? []).length > 0 ? 'REDIS_URL and REDIS_CLUSTER_NODES' : 'REDIS_URL';
  let redisError: Error | undefined;
  // Reported through the failing command; without a listener ioredis would print each one.
  redis.on('error', (error: Error) => (redisError = error));
  let pool: Pool | undefined;
  try {
    let redisReport: AuditReport;
    try {
      // A Cluster client learns its masters once connected; until then a scan would see none.
      await within(redis.ping(), REDIS_ANSWER_TIMEOUT_MS);
      redisReport = await auditRedis(redis, keys, { quiescent });
    } catch (error) {
      throw explain(error, redisSetting, config.redis.url, redisError);
    }
    if (values['redis-only']) {
      if (values.json) out(JSON.stringify(reportToJson(redisReport), null, 2));
      else {
        printRedis(redisReport, keys.prefix);
        out('');
        const n = redisReport.differences.length;
        out(n === 0 ? 'audit: clean' : `audit: ${plural(n, 'difference')}`);
      }
      return redisReport.ok ? 0 : 1;
    }

    const mysql = createMysqlPool(config, { connectionLimit: 4, connectTimeoutMs: 3_000 });
    pool = mysql;
    const database = parseMysqlUrl(config.mysql.url).database ?? '(no database)';
    let mysqlReport: MysqlAuditReport;
    try {
      mysqlReport = await auditMysql(redis, keys, mysql, { quiescent });
    } catch (error) {
      // The MySQL half reads Redis too: a Redis error is the Redis connection's.
      throw redisError
        ? explain(error, redisSetting, config.redis.url, redisError)
        : explain(error, 'MYSQL_URL', config.mysql.url, undefined);
    }
    const ok = redisReport.ok && mysqlReport.ok;
    if (values.json) {
      out(
        JSON.stringify(
          { ok, redis: reportToJson(redisReport), mysql: mysqlReportToJson(mysqlReport) },
          null,
          2,
        ),
      );
    } else {
      printRedis(redisReport, keys.prefix);
      out('');
      for (const line of mysqlReportLines(mysqlReport, database)) out(line);
      out('');
      const n = redisReport.differences.length + mysqlReport.differences.length;
      const lags = mysqlReport.lags.length;
      const lagNote = lags === 0 ? '' : `, ${plural(lags, 'lag')} (the MySQL writer has not caught up)`;
      out(n === 0 ? `audit: clean${lagNote}` : `audit: ${plural(n, 'difference')}${lagNote}`);
    }
    return ok ? 0 : 1;
  } finally {
    redis.disconnect();
    await pool?.end().catch(() => undefined);
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`audit: error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
