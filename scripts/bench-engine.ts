/**
 * npm run bench:engine -- [--sizes 10000,100000] [--ops 1000000] [--seed 42] [--rounds 5]
 *                         [--depth-ticks 100 | --orders-per-level N] [--peer-seconds 2] [--no-peer]
 *                         [--book fast|reference]
 *                         [--json out.json] [--check]
 *
 * A seeded steady-state workload for one symbol (about 60 % passive limits, 25 % cancels of random
 * resting orders, 15 % takers) through our engine and through nodejs-order-book, with the book held
 * near each size. Prints throughput, per-op latency percentiles and heap per resting order, the ratio
 * to the peer on the same ops, and the verdict on the targets; --check exits 1 when one is missed.
 * The peer is slow on deep books, so it runs the prefix of the ops it gets through in --peer-seconds,
 * and our engine is measured once more on that same prefix for the ratio.
 *
 * --depth-ticks (default 100) is the band behind the best price over which half the passive orders
 * spread (the other half within the top 10 ticks), whatever the book's size: as in a real market, a
 * bigger book is a denser one, not a wider one. --orders-per-level N instead widens the band with the
 * size so that levels hold about N orders. The shape moves the ratio to the peer a lot:
 * nodejs-order-book's cancel, and its removal of a filled maker, walk every order of the level.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { runInChild, type Job, type JobResult } from './bench/engine-run.ts';
import { timerOverheadNs } from './bench/measure.ts';
import {
  kindTable,
  ratioLines,
  resultsTable,
  verdict,
  workloadLines,
  type SizeResult,
} from './bench/report.ts';
import { formatBytes, formatInt } from './bench/stats.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    ops: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    rounds: { type: 'string', default: '5' },
    'depth-ticks': { type: 'string', default: '100' },
    'orders-per-level': { type: 'string' },
    'peer-seconds': { type: 'string', default: '2' },
    'no-peer': { type: 'boolean', default: false },
    book: { type: 'string', default: 'fast' },
    json: { type: 'string' },
    check: { type: 'boolean', default: false },
  },
});

function usage(message: string): never {
  process.stderr.write(`bench-engine: ${message}\n`);
  process.exit(2);
}

function positiveInt(name: string, text: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(value) || value <= 0)
    usage(`--${name} must be a positive integer, got "${text}"`);
  return value;
}

const sizes = args.sizes.split(',').map((s) => positiveInt('sizes', s.trim()));
const opCount = positiveInt('ops', args.ops);
const seed = positiveInt('seed', args.seed);
const rounds = positiveInt('rounds', args.rounds);
const ordersPerLevel =
  args['orders-per-level'] === undefined ? null : positiveInt('orders-per-level', args['orders-per-level']);
const fixedDepthTicks = positiveInt('depth-ticks', args['depth-ticks']);
const peerSeconds = Number(args['peer-seconds']);
if (!(peerSeconds > 0)) usage('--peer-seconds must be a positive number');
if (args.book !== 'fast' && args.book !== 'reference') usage('--book is fast or reference');

const startedAtMs = Date.now();

async function benchSize(target: number, peerOn: boolean): Promise<SizeResult> {
  // About half the orders spread over depthTicks per side, the other half within the top 10 ticks.
  const depthTicks =
    ordersPerLevel === null ? fixedDepthTicks : Math.max(20, Math.round(target / (2 * ordersPerLevel)));
  const job = { workload: { seed, target, ops: opCount, depthTicks }, rounds, startedAtMs };
  // The peer first: the ops it gets through in its time budget are the prefix both are compared on.
  let peer: JobResult | null = null;
  if (peerOn) peer = await runInChild({ ...job, engine: 'peer', opCounts: [], checkSeconds: peerSeconds });
  const prefix = peer?.checkedOps ?? opCount;
  const engine: Job['engine'] = args.book === 'fast' ? 'ours' : 'reference';
  const opCounts = prefix === opCount ? [opCount] : [opCount, prefix];
  const ours = await runInChild({ ...job, engine, opCounts });
  const [full, onPrefix = full] = ours.measurements;
  return {
    target,
    restingAfterPrefill: ours.restingAfterPrefill,
    workload: ours.workload,
    ours: full!,
    oursOnPrefix: peer === null ? null : onPrefix!,
    peer: peer?.measurements[0] ?? null,
  };
}

const loadBefore = loadavg()[0]!;
if (loadBefore > cpus().length / 2)
  process.stderr.write(
    `warning: load average ${loadBefore.toFixed(2)} on ${cpus().length} cores; other processes will skew the figures\n`,
  );
const timerNs = timerOverheadNs();
const results: SizeResult[] = [];
for (const size of sizes) results.push(await benchSize(size, !args['no-peer']));

const conditions = {
  node: process.version,
  v8: process.versions.v8,
  cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  platform: `${process.platform}/${process.arch}`,
  memory: formatBytes(totalmem()),
  seed,
  ops: opCount,
  sizes,
  rounds,
  ordersPerLevel,
  depthTicks: ordersPerLevel === null ? fixedDepthTicks : null,
  peerSeconds,
  book: args.book,
  timerOverheadNs: timerNs,
  /** One-minute load averages before and after the run: anything near the core count means contention. */
  loadAverage: [loadBefore, loadavg()[0]!],
};

console.log('\nConditions');
console.log(
  `  node ${conditions.node} (V8 ${conditions.v8}), ${conditions.platform}, ${conditions.cpu}, ${conditions.memory}`,
);
console.log(
  `  seed ${seed}, ${formatInt(opCount)} ops per size after an untimed prefill, ${rounds} rounds each (medians), ` +
    `peer bounded to ${peerSeconds} s per run, ` +
    (ordersPerLevel === null
      ? `passive orders within ${fixedDepthTicks} ticks of the best (a fixed band: bigger books are denser)`
      : `passive depth for ~${ordersPerLevel} orders per level`),
);
console.log(`  latency samples include a timer pair of ~${formatInt(timerNs)} ns (process.hrtime.bigint)`);
console.log(
  `  load average ${conditions.loadAverage.map((l) => l.toFixed(2)).join(' before, ')} after ` +
    `(on ${cpus().length} cores; the ops/s spread column shows how much the rounds disagreed)`,
);
for (const s of results) for (const line of workloadLines(s)) console.log(`  ${line}`);
console.log(`\n${resultsTable(results)}`);
console.log(`\n${kindTable(results)}`);
const ratios = ratioLines(results);
if (ratios.length > 0) console.log(`\nOurs / peer\n${ratios.map((l) => `  ${l}`).join('\n')}`);
const outcome = verdict(results);
console.log(`\nTargets\n${outcome.lines.map((l) => `  ${l}`).join('\n')}`);

if (args.json !== undefined) {
  writeFileSync(args.json, `${JSON.stringify({ conditions, results, pass: outcome.pass }, null, 2)}\n`);
  process.stderr.write(`wrote ${args.json}\n`);
}
if (args.check && !outcome.pass) process.exitCode = 1;
