/** The benchmark's printed report: conditions, the results table, ratios and the verdict on the targets. */
import type { LatencyResult } from './measure.ts';
import { formatInt, formatRatio } from './stats.ts';
import { OP_KIND_NAMES, type WorkloadStats } from './workload.ts';

export interface EngineResult {
  readonly engine: string;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly throughputRounds: readonly number[];
  readonly outputsPerOp: number;
  readonly latency: LatencyResult;
  readonly heapBytesPerOrder: number;
  /** Rejections or errors in the checked run (0 when the engine followed the workload). */
  readonly errors: number;
  /** The engine's book after the run equals the model's. */
  readonly depthMatches: boolean;
}

export interface SizeResult {
  readonly target: number;
  readonly restingAfterPrefill: number;
  readonly workload: WorkloadStats;
  readonly ours: EngineResult;
  /** Our engine on the ops the peer ran (a prefix of ours; the same result when the peer ran them all). */
  readonly oursOnPrefix: EngineResult | null;
  readonly peer: EngineResult | null;
}

/** Targets for the sizes they are set for (docs: 1 M ops/s at 10k resting, 700 k at 100k, ...). */
const TARGETS: ReadonlyMap<number, { opsPerSec: number; peerRatio: number }> = new Map([
  [10_000, { opsPerSec: 1_000_000, peerRatio: 5 }],
  [100_000, { opsPerSec: 700_000, peerRatio: 20 }],
]);
const P99_TARGET_NS = 5_000;

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  // The first column is a name (left-aligned); the others are numbers (right-aligned).
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** Half the range of the rounds, relative to their median: "±4%". */
function formatSpread(rounds: readonly number[], median: number): string {
  if (rounds.length < 2) return '-';
  return `±${Math.round((50 * (Math.max(...rounds) - Math.min(...rounds))) / median)}%`;
}

function engineRow(label: string, resting: number, r: EngineResult): string[] {
  const lat = r.latency.all;
  return [
    label,
    formatInt(resting),
    formatInt(r.ops),
    formatInt(r.opsPerSec),
    formatSpread(r.throughputRounds, r.opsPerSec),
    formatInt(lat.p50),
    formatInt(lat.p99),
    formatInt(lat.p999),
    formatInt(r.heapBytesPerOrder),
    r.errors === 0 && r.depthMatches
      ? 'ok'
      : `FAILED (${r.errors} errors${r.depthMatches ? '' : ', depth differs'})`,
  ];
}

export function resultsTable(results: readonly SizeResult[]): string {
  const rows: string[][] = [];
  for (const s of results) {
    rows.push(engineRow('ours', s.restingAfterPrefill, s.ours));
    if (s.oursOnPrefix !== null && s.oursOnPrefix !== s.ours)
      rows.push(engineRow("ours (peer's ops)", s.restingAfterPrefill, s.oursOnPrefix));
    if (s.peer !== null) rows.push(engineRow(s.peer.engine, s.restingAfterPrefill, s.peer));
  }
  const headers = [
    'engine',
    'resting',
    'ops',
    'ops/s',
    'spread',
    'p50 ns',
    'p99 ns',
    'p99.9 ns',
    'heap B/order',
    'check',
  ];
  return table(headers, rows);
}

export function kindTable(results: readonly SizeResult[]): string {
  const rows: string[][] = [];
  for (const s of results) {
    s.ours.latency.byKind.forEach((k, kind) => {
      if (k.count === 0) return;
      const name = `${formatInt(s.target)}: ${OP_KIND_NAMES[kind]}`;
      rows.push([
        name,
        formatInt(k.count),
        formatInt(k.p50),
        formatInt(k.p99),
        formatInt(k.p999),
        formatInt(k.max),
      ]);
    });
  }
  return table(['ours, by op', 'ops', 'p50 ns', 'p99 ns', 'p99.9 ns', 'max ns'], rows);
}

/** Our throughput over the peer's, on the same ops. */
export function throughputRatio(s: SizeResult): number {
  return s.oursOnPrefix === null || s.peer === null ? NaN : s.oursOnPrefix.opsPerSec / s.peer.opsPerSec;
}

export function ratioLines(results: readonly SizeResult[]): string[] {
  const lines: string[] = [];
  for (const s of results) {
    const ours = s.oursOnPrefix;
    const peer = s.peer;
    if (ours === null || peer === null) continue;
    lines.push(
      `${formatInt(s.target)} resting, same ${formatInt(peer.ops)} ops: throughput ${formatRatio(throughputRatio(s))}` +
        `, p50 ${formatRatio(peer.latency.all.p50 / ours.latency.all.p50)} lower` +
        `, p99 ${formatRatio(peer.latency.all.p99 / ours.latency.all.p99)} lower` +
        `, p99.9 ${formatRatio(peer.latency.all.p999 / ours.latency.all.p999)} lower` +
        `, heap/order ${formatRatio(peer.heapBytesPerOrder / ours.heapBytesPerOrder)} smaller`,
    );
  }
  return lines;
}

export interface Verdict {
  readonly pass: boolean;
  readonly lines: string[];
}

export function verdict(results: readonly SizeResult[]): Verdict {
  const lines: string[] = [];
  let pass = true;
  const check = (ok: boolean, text: string): void => {
    pass &&= ok;
    lines.push(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  };
  for (const s of results) {
    const size = formatInt(s.target);
    check(
      s.ours.errors === 0 && s.ours.depthMatches,
      `${size}: our engine followed the workload (no rejects, same book)`,
    );
    const target = TARGETS.get(s.target);
    if (target !== undefined)
      check(
        s.ours.opsPerSec >= target.opsPerSec,
        `${size}: ${formatInt(s.ours.opsPerSec)} ops/s >= ${formatInt(target.opsPerSec)}`,
      );
    check(
      s.ours.latency.all.p99 <= P99_TARGET_NS,
      `${size}: p99 ${formatInt(s.ours.latency.all.p99)} ns <= ${P99_TARGET_NS} ns`,
    );
    if (target !== undefined && s.peer !== null && s.oursOnPrefix !== null) {
      const ratio = throughputRatio(s);
      check(ratio >= target.peerRatio, `${size}: ${formatRatio(ratio)} the peer >= ${target.peerRatio}×`);
    }
  }
  lines.push(pass ? 'RESULT: all targets met' : 'RESULT: some targets missed');
  return { pass, lines };
}

export function workloadLines(s: SizeResult): string[] {
  const w = s.workload;
  const total = w.kinds.reduce((a, b) => a + b, 0);
  const mix = w.kinds.map((k, i) => `${OP_KIND_NAMES[i]} ${((100 * k) / total).toFixed(1)}%`).join(', ');
  const aggressive = w.kinds[1]! + w.kinds[2]!;
  return [
    `${formatInt(s.target)} target: mix ${mix}`,
    `  resting min/mean/max ${formatInt(w.restingMin)}/${formatInt(w.restingMean)}/${formatInt(w.restingMax)}, ` +
      `${formatInt(w.levelsAtEnd)} levels at the end (${(w.restingMean / w.levelsAtEnd).toFixed(1)} orders per level), ` +
      `${(w.trades / aggressive).toFixed(2)} fills per aggressive order, ` +
      `mid ${w.midStart} -> ${w.midEnd} (range ${w.midMin}..${w.midMax} ticks)`,
  ];
}
