/** The benchmark's printed output: the live progress line and the report at the end. */
import { table } from '../report.ts';
import { formatInt } from '../stats.ts';
import type { BenchReport } from './bench-report.ts';
import type { SecondStats } from './generator-messages.ts';
import type { LatencySummaryMs } from './latency-histogram.ts';
import type { ObjectiveResult } from './objectives.ts';
import type { RedisTimeShare } from './redis-stats.ts';
import type { StepResult, SystemLatency } from './run-step.ts';
import { LONG_PAUSE_SECONDS } from './thread-stats.ts';

export interface CheckResult {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

const CPU_ORDER = ['generator', 'api', 'matcher', 'redis', 'mariadb', 'bench', 'other'];

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function cpuLine(cpu: Readonly<Record<string, number>>): string {
  const names = [
    ...CPU_ORDER.filter((n) => n in cpu),
    ...Object.keys(cpu).filter((n) => !CPU_ORDER.includes(n) && n !== 'machine'),
  ];
  const parts = names.map((n) => `${n} ${Math.round(cpu[n]!)}%`);
  if (cpu.machine !== undefined) parts.push(`(box ${Math.round(cpu.machine)}%)`);
  return parts.join(' ');
}

/** Shares of Redis's time printed per line: the rest are in the JSON report. */
export const REDIS_SHARES_SHOWN = 6;

/** `evalsha 32.3% (2,565/s × 126 µs), hget 3.4% (...)`: the largest shares first. */
export function redisSharesLine(shares: readonly RedisTimeShare[], percentDigits = 1): string {
  if (shares.length === 0) return 'none';
  const shown = shares
    .slice(0, REDIS_SHARES_SHOWN)
    .map(
      (r) =>
        `${r.name} ${(100 * r.coreShare).toFixed(percentDigits)}% ` +
        `(${formatInt(r.callsPerSec)}/s × ${ms(r.usecPerCall)} µs)`,
    );
  const rest = shares.length - shown.length;
  return shown.join(', ') + (rest > 0 ? `, ${rest} more` : '');
}

/**
 * `balanceBatch 67% (181/s × 1519 µs), ...`: each script's part of the scripts' time in the sample.
 * Recording every command slows Redis while it lasts, so the sample's costs are not Redis's usual
 * ones: only the split between the scripts is printed as a share.
 */
export function redisScriptSplitLine(shares: readonly RedisTimeShare[]): string {
  const total = shares.reduce((sum, r) => sum + r.coreShare, 0);
  if (total === 0) return 'none';
  return redisSharesLine(
    shares.map((r) => ({ ...r, coreShare: r.coreShare / total })),
    0,
  );
}

/** One line per second: what was offered and answered, the ack latency of the second, errors, CPU. */
export function formatProgress(
  label: string,
  rate: number,
  s: SecondStats,
  cpu: Readonly<Record<string, number>>,
): string {
  return (
    `${label} ${formatInt(rate)}/s ${String(s.second + 1).padStart(4)}s ${s.phase.padEnd(7)} ` +
    `offered ${formatInt(s.offered).padStart(6)}/s achieved ${formatInt(s.answered).padStart(6)}/s ` +
    `ack p50 ${ms(s.p50Ms)} p99 ${ms(s.p99Ms)} max ${ms(s.maxMs)} ms ` +
    `errors ${s.errors} in-flight ${s.inFlight}` +
    (Object.keys(cpu).length > 0 ? ` | cpu ${cpuLine(cpu)}` : '')
  );
}

function latencyCells(l: LatencySummaryMs): string[] {
  return [ms(l.p50), ms(l.p99), ms(l.p999), ms(l.max)];
}

function systemCells(l: SystemLatency | null): string[] {
  if (l === null || l.count === 0) return ['-', '-'];
  const bucket = Number.isFinite(l.p99BucketMs) ? `≤${ms(l.p99BucketMs)}` : `>${ms(l.p99Ms)}`;
  return [ms(l.p50Ms), `${ms(l.p99Ms)} (${bucket})`];
}

export function stepsTable(steps: readonly StepResult[]): string {
  const rows = steps.map((s) => [
    formatInt(s.rate),
    formatInt(s.offeredPerSec),
    formatInt(s.achievedPerSec),
    ...latencyCells(s.ack),
    ...systemCells(s.matched),
    ...systemCells(s.persisted),
    formatInt(s.generator.counts.all.errors),
    s.drainMs === null ? '-' : (s.drainMs / 1000).toFixed(1),
    s.pass ? 'PASS' : 'FAIL',
  ]);
  return table(
    [
      'rate/s',
      'offered/s',
      'achieved/s',
      'ack p50',
      'ack p99',
      'ack p99.9',
      'ack max',
      'matched p50',
      'matched p99',
      'persisted p50',
      'persisted p99',
      'errors',
      'drain s',
      'objectives',
    ],
    rows,
  );
}

export function objectiveLines(objectives: readonly ObjectiveResult[]): string[] {
  return objectives.map(
    (o) =>
      `${o.pass === true ? 'PASS' : o.pass === false ? 'FAIL' : 'N/A '}  ${o.name}: ${o.measured} (target ${o.target})`,
  );
}

export function checkLines(checks: readonly CheckResult[]): string[] {
  return checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
}

function record(values: Readonly<Record<string, number>>): string {
  const entries = Object.entries(values).filter(([, n]) => n !== 0);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} ${formatInt(n)}`).join(', ');
}

/** Everything about one step beyond the table: counts, latencies by kind, CPU split, errors. */
export function stepDetailLines(s: StepResult): string[] {
  const g = s.generator;
  const lines = [
    `rate ${formatInt(s.rate)}/s for ${s.durationSec} s after ${s.warmupSec} s warm-up: ` +
      `${formatInt(g.offered)} requests due, ${formatInt(g.counts.all.ok)} acknowledged, ` +
      `${formatInt(g.counts.all.refused)} refused as expected, ${formatInt(g.counts.all.errors)} errors`,
    `  places ${formatInt(g.counts.place.ok + g.counts.place.refused + g.counts.place.errors)} ` +
      `(ack p50 ${ms(s.ackPlace.p50)} p99 ${ms(s.ackPlace.p99)} ms), ` +
      `cancels ${formatInt(g.counts.cancel.ok + g.counts.cancel.refused + g.counts.cancel.errors)} ` +
      `(ack p50 ${ms(s.ackCancel.p50)} p99 ${ms(s.ackCancel.p99)} ms), ` +
      `${formatInt(g.cancelFallbacks)} cancels sent as places (nothing resting yet)`,
    `  API server side: place p50 ${systemCells(s.apiPlace).join(' p99 ')} ms, cancel p50 ${systemCells(s.apiCancel).join(' p99 ')} ms`,
    `  generator: send lag p50 ${ms(s.sendLag.p50)} p99 ${ms(s.sendLag.p99)} max ${ms(s.sendLag.max)} ms, ` +
      `peak ${formatInt(g.peakInFlight)} in flight on ${formatInt(g.connections)} connections` +
      `${g.peakInFlight > g.connections ? ' (requests waited for a connection)' : ''}, ` +
      `cpu ${formatInt(g.cpu.userMs + g.cpu.systemMs)} ms over ${formatInt(g.cpu.wallMs)} ms ` +
      `(${Math.round((100 * (g.cpu.userMs + g.cpu.systemMs)) / g.cpu.wallMs)}% of a core)`,
  ];
  if (s.cpu !== null) {
    const all: Record<string, number> = { ...s.cpu.percent };
    if (s.cpu.otherPercent !== null) all.other = s.cpu.otherPercent;
    if (s.cpu.machinePercent !== null) all.machine = s.cpu.machinePercent;
    lines.push(`  cpu over the window (% of one core; "other": processes not listed): ${cpuLine(all)}`);
  }
  if (s.matcherCounts !== null) {
    lines.push(
      `  matchers: places by outcome ${record(s.matcherCounts.orders)}; trades ${formatInt(s.matcherCounts.trades)}; ` +
        `rejects ${record(s.matcherCounts.rejects)}` +
        (s.matcherCounts.persistedDropped > 0
          ? `; ${formatInt(s.matcherCounts.persistedDropped)} accept→persisted samples dropped`
          : ''),
    );
  }
  if (s.redis !== null) {
    lines.push(
      `  redis time by command (% of its core; a script's own commands are also inside its evalsha): ` +
        redisSharesLine(s.redis.commands),
    );
    if (s.redis.scripts !== null) {
      lines.push(
        `  redis script time split (slowlog sample of ${s.redis.sampleSec} s mid-window; recording slows Redis): ` +
          redisScriptSplitLine(s.redis.scripts),
      );
    }
  }
  for (const t of s.matcherThreads ?? []) {
    const longest = Number.isFinite(t.longestPauseBucketMs) ? `≤ ${t.longestPauseBucketMs} ms` : '> 1 s';
    lines.push(
      `  matcher thread ${t.thread}: busy ${Math.round(100 * t.busyShare)}%, GC ${Math.round(100 * t.gcShare)}% ` +
        `(${formatInt(t.gcPauses)} pauses, ${formatInt(t.longPauses)} over ${LONG_PAUSE_SECONDS * 1000} ms, longest ${longest})`,
    );
  }
  if (Object.keys(g.errors).length > 0) lines.push(`  errors: ${record(g.errors)}`);
  if (Object.keys(g.refusals).length > 0) lines.push(`  expected refusals: ${record(g.refusals)}`);
  return lines;
}

/** The report printed at the end of a run. */
export function reportLines(report: BenchReport): string[] {
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  const c = report.conditions;
  out(`\nbench:e2e ${report.mode === 'step' ? 'step mode' : 'run'}: ${report.system.description}`);
  out(
    `  node ${c.node}, ${c.cpu}, ${c.memory}, commit ${c.commit ?? 'unknown'}, load average ${c.loadAverage.map((l) => l.toFixed(2)).join(' before, ')} after`,
  );
  out(
    `  ${report.setup.markets.length} markets, ${report.setup.users} users, mix ${Object.entries(
      report.options.mix,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(' ')}, seed ${report.options.seed}`,
  );
  out(
    `\n${stepsTable(report.steps)}\n  (latencies in ms; matched/persisted from the matchers' histograms, with the bucket holding the P99)`,
  );
  for (const step of report.steps) {
    out('');
    for (const line of stepDetailLines(step)) out(line);
    for (const line of objectiveLines(step.objectives)) out(`  ${line}`);
  }
  out('\nChecks at the end');
  for (const line of checkLines(report.checks)) out(`  ${line}`);
  for (const note of report.notes) out(`  note: ${note}`);
  if (report.mode === 'step') {
    out(
      `\nRESULT: highest rate meeting every objective: ${report.highestPassingRate === null ? 'none' : `${report.highestPassingRate}/s`}; checks ${report.checksPass ? 'PASS' : 'FAIL'}`,
    );
  } else {
    out(
      `\nRESULT: ${report.pass ? 'PASS' : 'FAIL'} (objectives ${report.objectivesMet ? 'met' : 'missed'}, checks ${report.checksPass ? 'pass' : 'fail'})`,
    );
  }
  return lines;
}
