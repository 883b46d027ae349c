/**
 * The whole result of a benchmark run, as written to `<out>/bench-e2e-<stamp>.json` (and rendered
 * to the .html next to it), and the end-of-run checks built from the orders check and the audit.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditChecks, type AuditOutcome } from './audit-run.ts';
import { renderHtml } from './html-report.ts';
import type { BenchOptions } from './options.ts';
import type { OrdersCheck } from './quiescence.ts';
import type { CheckResult } from './report-text.ts';
import type { StepResult } from './run-step.ts';

export interface BenchReport {
  readonly tool: 'bench:e2e';
  readonly mode: 'run' | 'step';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly conditions: {
    readonly node: string;
    readonly cpu: string;
    readonly cores: number;
    readonly memory: string;
    /** One-minute load average before and after: anything near the core count means contention. */
    readonly loadAverage: readonly number[];
    /** The commit measured (git rev-parse), noting uncommitted changes. */
    readonly commit: string | null;
  };
  readonly options: BenchOptions;
  readonly system: {
    readonly started: boolean;
    readonly description: string;
    readonly apiUrls: readonly string[];
    readonly matcherMetricsUrls: readonly string[];
    readonly keyPrefix: string;
    readonly database: string | null;
    readonly env: Readonly<Record<string, string>>;
  };
  readonly setup: {
    readonly markets: readonly string[];
    readonly users: number;
    readonly deposits: number;
    readonly ms: number;
  };
  readonly steps: readonly StepResult[];
  readonly highestPassingRate: number | null;
  readonly final: {
    readonly quiescenceMs: number | null;
    readonly orders: OrdersCheck | null;
    /** The audit's outcome (its first differences only). */
    readonly audit: AuditOutcome | null;
    readonly auditAttempts: number;
  };
  readonly checks: readonly CheckResult[];
  readonly objectivesMet: boolean;
  readonly checksPass: boolean;
  /** Run mode: every objective and check; step mode: every check and at least one step met the objectives. */
  readonly pass: boolean;
  readonly notes: readonly string[];
}

export function endChecks(
  quiescence: { ms: number | null; error: string | null },
  orders: OrdersCheck | null,
  audit: AuditOutcome | null,
): CheckResult[] {
  const checks: CheckResult[] = [
    {
      name: 'quiescent: every stream read and durable in MySQL',
      pass: quiescence.error === null,
      detail: quiescence.error ?? `after ${((quiescence.ms ?? 0) / 1000).toFixed(1)} s`,
    },
  ];
  if (orders === null) {
    checks.push({ name: 'orders checked in MySQL', pass: false, detail: 'not run' });
  } else {
    checks.push(
      {
        name: 'every acknowledged order is in MySQL',
        pass: orders.missing === 0,
        detail: `${orders.acknowledged} acknowledged, ${orders.missing} missing${orders.missing > 0 ? ` (${orders.missingSample.join(', ')})` : ''}`,
      },
      {
        name: 'every order reached a final state',
        pass: orders.notFinal === 0,
        detail:
          `${orders.inMysql} orders: ${
            Object.entries(orders.byStatus)
              .map(([s, n]) => `${s} ${n}`)
              .join(', ') || 'none'
          }` + (orders.notFinal > 0 ? `; not final: ${orders.notFinalSample.join(', ')}` : ''),
      },
      {
        name: 'nothing doubled: no order nobody asked for, no id acknowledged twice',
        pass: orders.unacknowledged <= orders.unknownPlaces && orders.duplicateAcks === 0,
        detail:
          `${orders.unacknowledged} unacknowledged in MySQL (≤ ${orders.unknownPlaces} places whose answer was lost), ` +
          `${orders.duplicateAcks} duplicate acks`,
      },
    );
  }
  if (audit === null) {
    checks.push({ name: 'audit (scripts/audit.ts --quiescent)', pass: false, detail: 'not run' });
  } else if (audit.error !== null) {
    checks.push({ name: 'audit (scripts/audit.ts --quiescent)', pass: false, detail: audit.error });
  } else {
    for (const c of auditChecks(audit)) {
      const kinds = [...new Set(c.differences.map((d) => d.kind))];
      checks.push({
        name: c.name,
        pass: c.differences.length === 0,
        detail:
          c.differences.length === 0
            ? ''
            : `${c.differences.length} differences (${kinds.join(', ')}): ${c.differences[0]!.message}`,
      });
    }
    checks.push({
      name: 'audit clean (scripts/audit.ts --quiescent)',
      pass: audit.ok,
      detail: `${audit.users ?? '?'} users, ${audit.orders ?? '?'} orders, ${audit.trades ?? '?'} trades, ${(audit.ms / 1000).toFixed(1)} s`,
    });
  }
  return checks;
}

/** A timestamp for file names: 20260131-120000. */
export function fileStamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Writes the JSON and the HTML; returns their paths. */
export function writeReport(
  outDir: string,
  stamp: string,
  report: BenchReport,
): { json: string; html: string } {
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `bench-e2e-${report.mode === 'step' ? 'steps-' : ''}${stamp}`);
  const json = `${base}.json`;
  const html = `${base}.html`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderHtml(report));
  return { json, html };
}

/** The commit measured, noting uncommitted changes; null outside a git checkout. */
export function gitCommit(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return null;
  }
}
