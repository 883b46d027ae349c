/**
 * The benchmark's results as one self-contained HTML page (inline SVG, no script, no network):
 * per step, throughput and ack latency second by second and the CPU split; in step mode, the step
 * curve (achieved against offered, and each P99 against the offered rate with its objective).
 */
import type { BenchReport } from './bench-report.ts';
import { TARGETS } from './objectives.ts';
import { checkLines, objectiveLines, stepDetailLines, stepsTable } from './report-text.ts';
import type { StepResult } from './run-step.ts';
import { escapeHtml, lineChart, type Series } from './svg-chart.ts';

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#17becf',
];
const OBJECTIVE = '#b00';

function pre(lines: readonly string[]): string {
  return `<pre>${escapeHtml(lines.join('\n'))}</pre>`;
}

function stepCharts(step: StepResult, title: string): string {
  const seconds = step.seconds;
  const x = (s: { second: number }) => s.second + 1;
  const band = {
    from: step.warmupSec + 0.5,
    to: step.warmupSec + step.durationSec + 0.5,
    label: 'measured window',
  };
  const throughput = lineChart({
    title: `${title}: throughput per second`,
    band,
    xLabel: 'seconds since start (warm-up first, then the measured window, then the drain)',
    yLabel: 'requests/s',
    series: [
      { name: 'offered', color: COLORS[0]!, points: seconds.map((s) => [x(s), s.offered]) },
      {
        name: 'achieved (answered without error)',
        color: COLORS[2]!,
        points: seconds.map((s) => [x(s), s.answered]),
      },
      { name: 'errors', color: COLORS[1]!, points: seconds.map((s) => [x(s), s.errors]) },
    ],
  });
  const latency = lineChart({
    title: `${title}: ack latency of the answers of each second (from the due time)`,
    band,
    xLabel: 'seconds since start',
    yLabel: 'ms (log)',
    yLog: true,
    series: [
      { name: 'p50', color: COLORS[0]!, points: seconds.map((s) => [x(s), s.p50Ms]) },
      { name: 'p99', color: COLORS[3]!, points: seconds.map((s) => [x(s), s.p99Ms]) },
      { name: 'max', color: COLORS[7]!, points: seconds.map((s) => [x(s), s.maxMs]), dashed: true },
    ],
    references: [
      { y: TARGETS.ackP99Ms, label: `ack P99 objective ${TARGETS.ackP99Ms} ms`, color: OBJECTIVE },
    ],
  });
  const groups = [...new Set(seconds.flatMap((s) => Object.keys(s.cpu)))].filter((g) => g !== 'machine');
  const cpuSeries: Series[] = groups.map((g, i) => ({
    name: g,
    color: COLORS[i % COLORS.length]!,
    points: seconds.filter((s) => s.cpu[g] !== undefined).map((s) => [x(s), s.cpu[g]!]),
  }));
  cpuSeries.push({
    name: 'whole box',
    color: '#000',
    dashed: true,
    points: seconds.filter((s) => s.cpu.machine !== undefined).map((s) => [x(s), s.cpu.machine!]),
  });
  const cpu = lineChart({
    title: `${title}: CPU per second (% of one core)`,
    band,
    xLabel: 'seconds since start',
    yLabel: '% of one core',
    series: cpuSeries,
  });
  return [throughput, latency, cpu].join('\n');
}

function stepCurve(steps: readonly StepResult[]): string {
  const achieved = lineChart({
    title: 'Step curve: achieved against offered',
    xMin: 0,
    xLabel: 'offered requests/s',
    yLabel: 'requests/s',
    series: [
      { name: 'achieved', color: COLORS[2]!, points: steps.map((s) => [s.offeredPerSec, s.achievedPerSec]) },
      {
        name: 'offered (ideal)',
        color: '#999',
        dashed: true,
        points: steps.map((s) => [s.offeredPerSec, s.offeredPerSec]),
      },
    ],
  });
  const p99 = lineChart({
    title: 'Step curve: P99 latencies against offered rate',
    xMin: 0,
    xLabel: 'offered requests/s',
    yLabel: 'ms (log)',
    yLog: true,
    series: [
      { name: 'ack P99', color: COLORS[0]!, points: steps.map((s) => [s.offeredPerSec, s.ack.p99]) },
      {
        name: 'accept→matched P99',
        color: COLORS[3]!,
        points: steps.map((s) => [s.offeredPerSec, s.matched?.p99Ms ?? NaN]),
      },
      {
        name: 'accept→persisted P99',
        color: COLORS[4]!,
        points: steps.map((s) => [s.offeredPerSec, s.persisted?.p99Ms ?? NaN]),
      },
    ],
    references: [
      { y: TARGETS.ackP99Ms, label: `ack ${TARGETS.ackP99Ms} ms`, color: COLORS[0]! },
      { y: TARGETS.matchedP99Ms, label: `matched ${TARGETS.matchedP99Ms} ms`, color: COLORS[3]! },
      { y: TARGETS.persistedP99Ms, label: `persisted ${TARGETS.persistedP99Ms} ms`, color: COLORS[4]! },
    ],
  });
  return `${achieved}\n${p99}`;
}

export function renderHtml(report: BenchReport): string {
  const verdict = report.pass ? 'PASS' : 'FAIL';
  const heading =
    report.mode === 'step'
      ? `bench:e2e step mode: highest rate meeting every objective ${report.highestPassingRate === null ? 'none' : `${report.highestPassingRate}/s`}`
      : `bench:e2e at ${report.steps[0]?.rate ?? '-'}/s: ${verdict}`;
  const sections: string[] = [
    `<h1>${escapeHtml(heading)}</h1>`,
    `<p>${escapeHtml(report.startedAt)} · ${escapeHtml(report.conditions.cpu)} · node ${escapeHtml(report.conditions.node)} · ` +
      `load average ${report.conditions.loadAverage.map((l) => l.toFixed(2)).join(' → ')} · ${escapeHtml(report.system.description)}</p>`,
    pre([stepsTable(report.steps)]),
  ];
  if (report.mode === 'step') sections.push(stepCurve(report.steps));
  report.steps.forEach((step, i) => {
    sections.push(`<h2>${escapeHtml(`Step ${i + 1}: ${step.rate}/s`)}</h2>`);
    sections.push(pre([...objectiveLines(step.objectives), '', ...stepDetailLines(step)]));
    sections.push(stepCharts(step, `${step.rate}/s`));
  });
  sections.push('<h2>Checks at the end</h2>', pre(checkLines(report.checks)));
  if (report.notes.length > 0) sections.push('<h2>Notes</h2>', pre(report.notes));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1000px}pre{background:#f4f4f4;padding:8px;overflow-x:auto;font-size:12px}svg{display:block;margin:12px 0}</style>
</head><body>
${sections.join('\n')}
</body></html>
`;
}
