/**
 * The audit at the end of a run: `scripts/audit.ts --quiescent --json` (the same tool an operator
 * runs, README "Audit") against the run's key prefix and database, in a process of its own, its
 * differences sorted into the checks the benchmark reports: conservation of every asset, MySQL
 * matching Redis, holds matching locks, orders, trades and checkpoints consistent with the streams.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from './wait.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const AUDIT = 'scripts/audit.ts';
const AUDIT_ATTEMPTS = 3;

export interface AuditFinding {
  readonly kind: string;
  readonly message: string;
}

export interface AuditOutcome {
  /** The audit ran and found no difference. */
  readonly ok: boolean;
  /** Exit code: 0 clean, 1 differences, 2 could not run. */
  readonly exitCode: number;
  readonly differences: readonly AuditFinding[];
  readonly users: number | null;
  readonly orders: number | null;
  readonly trades: number | null;
  /** The audit's own error, when it could not run. */
  readonly error: string | null;
  readonly ms: number;
}

/** The checks a difference kind belongs to (a kind not listed here falls under "other"). */
export const AUDIT_CHECKS: ReadonlyArray<{ readonly name: string; readonly kinds: readonly string[] }> = [
  {
    name: 'every asset conserved (Redis and MySQL)',
    kinds: ['CONSERVATION', 'MYSQL_CONSERVATION', 'NEGATIVE_BALANCE'],
  },
  {
    name: 'MySQL matches Redis (balances, deposits, withdrawals)',
    kinds: [
      'BALANCE_MISMATCH',
      'BALANCE_MISSING_IN_MYSQL',
      'BALANCE_MISSING_IN_REDIS',
      'BALANCE_VERSION_AHEAD',
      'DEPOSIT_MISSING_IN_MYSQL',
      'DEPOSIT_MISSING_IN_REDIS',
      'DEPOSIT_MISMATCH',
      'WITHDRAWAL_MISSING_IN_MYSQL',
      'WITHDRAWAL_MISSING_IN_REDIS',
      'WITHDRAWAL_MISMATCH',
    ],
  },
  { name: 'locked funds match the holds', kinds: ['LOCKED_NOT_HELD', 'HOLD_WITHOUT_LOCK'] },
  {
    name: 'orders, trades and checkpoints consistent with the streams',
    kinds: [
      'CHECKPOINT_MISSING',
      'TRADE_AFTER_CHECKPOINT',
      'TRADE_ORDER_MISSING',
      'TRADE_ORDER_MISMATCH',
      'ORDER_AFTER_CHECKPOINT',
      'ORDER_FILL_MISMATCH',
      'ORDER_STATUS_MISMATCH',
      'CHECKPOINT_AHEAD_OF_STREAM',
      'STREAM_TRIMMED_PAST_CHECKPOINT',
      'STREAM_MISSING',
      'CHECKPOINT_BEHIND_STREAM',
      'STREAM_PENDING',
      'STREAM_LAG',
    ],
  },
];

/** Differences that only mean the writer had not caught up yet: worth one more look after a pause. */
export const CATCH_UP_KINDS = new Set([
  'CHECKPOINT_BEHIND_STREAM',
  'STREAM_PENDING',
  'STREAM_LAG',
  'BALANCE_VERSION_AHEAD',
  'BALANCE_MISSING_IN_MYSQL',
  'DEPOSIT_MISSING_IN_MYSQL',
  'WITHDRAWAL_MISSING_IN_MYSQL',
]);

interface AuditJson {
  ok: boolean;
  redis: { differences: AuditFinding[]; users?: number };
  mysql: { differences: AuditFinding[]; users?: number; orders?: number; trades?: number };
}

export function runAudit(env: Readonly<Record<string, string>>): Promise<AuditOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', AUDIT, '--quiescent', '--json'],
      { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const ms = performance.now() - started;
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : 2;
        let report: AuditJson | undefined;
        try {
          report = JSON.parse(stdout) as AuditJson;
        } catch {
          report = undefined;
        }
        if (report === undefined) {
          const why = stderr.trim() || (error?.message ?? 'no output');
          resolve({
            ok: false,
            exitCode,
            differences: [],
            users: null,
            orders: null,
            trades: null,
            error: why,
            ms,
          });
          return;
        }
        resolve({
          ok: report.ok && exitCode === 0,
          exitCode,
          differences: [...report.redis.differences, ...report.mysql.differences].map((d) => ({
            kind: d.kind,
            message: d.message,
          })),
          users: report.mysql.users ?? report.redis.users ?? null,
          orders: report.mysql.orders ?? null,
          trades: report.mysql.trades ?? null,
          error: null,
          ms,
        });
      },
    );
  });
}

/** Per check: the differences of its kinds ("other" for the rest). */
export function auditChecks(outcome: AuditOutcome): Array<{ name: string; differences: AuditFinding[] }> {
  const known = new Set(AUDIT_CHECKS.flatMap((c) => c.kinds));
  const checks = AUDIT_CHECKS.map((c) => ({
    name: c.name,
    differences: outcome.differences.filter((d) => c.kinds.includes(d.kind)),
  }));
  const other = outcome.differences.filter((d) => !known.has(d.kind));
  if (other.length > 0) checks.push({ name: 'other audit differences', differences: other });
  return checks;
}

/**
 * The audit, looked at again (up to AUDIT_ATTEMPTS times, 2 s apart) while its only differences say
 * the writer had not caught up yet; the differences kept are the first 50.
 */
export async function auditWithRetries(
  env: Record<string, string>,
): Promise<{ audit: AuditOutcome; attempts: number }> {
  let audit = await runAudit(env);
  let attempts = 1;
  // Differences that only say the writer had not caught up yet get another look after a pause.
  while (
    !audit.ok &&
    attempts < AUDIT_ATTEMPTS &&
    audit.error === null &&
    audit.differences.every((d) => CATCH_UP_KINDS.has(d.kind))
  ) {
    await sleep(2_000);
    audit = await runAudit(env);
    attempts++;
  }
  return { audit: { ...audit, differences: audit.differences.slice(0, 50) }, attempts };
}
