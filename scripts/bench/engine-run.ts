/**
 * One engine's measurements on one workload, in a Node process of its own.
 *
 * Each engine runs in a fresh process (one at a time, never two at once): measured in the same
 * process right after nodejs-order-book, our engine came out 10-30 % slower with twice the p99.9,
 * because the JIT and the garbage collector's sizing carry over from one engine to the next. A fresh
 * process per engine makes the order of the runs irrelevant. The child regenerates the workload from
 * the same seed (it is deterministic), so only a small job description crosses the process boundary.
 */
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OrderBook } from '../../src/engine/order-book.ts';
import type { MarketRules, MatchingBook } from '../../src/engine/types.ts';
import { sameDepth, type EngineAdapter } from './adapter.ts';
import { EngineBookAdapter } from './engine-adapter.ts';
import { checkedRun, exposeGc, measure, measureHeapPerOrder } from './measure.ts';
import { PeerAdapter } from './peer-adapter.ts';
import type { EngineResult } from './report.ts';
import { formatInt } from './stats.ts';
import {
  generateWorkload,
  modelDepthAfter,
  OP_KIND_NAMES,
  type WorkloadOptions,
  type WorkloadStats,
} from './workload.ts';

export type EngineKind = 'ours' | 'reference' | 'peer';

export interface Job {
  readonly engine: EngineKind;
  readonly workload: WorkloadOptions;
  readonly rounds: number;
  /** Prefixes of the ops to measure on. */
  readonly opCounts: readonly number[];
  /**
   * When set, the checked run stops after this many seconds, and the ops it got through are measured
   * as well: that is how the slow peer's share of the ops fits the time budget.
   */
  readonly checkSeconds?: number;
  /** Date.now() when the benchmark started, for the progress lines. */
  readonly startedAtMs: number;
}

export interface JobResult {
  readonly restingAfterPrefill: number;
  readonly workload: WorkloadStats;
  /** Ops of the checked run (all of them unless checkSeconds ran out). */
  readonly checkedOps: number;
  /** One per measured op count, in the order of job.opCounts (then the checked run's count). */
  readonly measurements: readonly EngineResult[];
}

async function createAdapter(job: Job, w: ReturnType<typeof generateWorkload>): Promise<EngineAdapter> {
  if (job.engine === 'peer') return new PeerAdapter(w);
  if (job.engine === 'ours') return new EngineBookAdapter('ours', w, (rules) => new OrderBook(rules));
  const { ReferenceBook } = await import('../../test/support/reference-book.ts');
  const create = (rules: MarketRules): MatchingBook => new ReferenceBook(rules);
  return new EngineBookAdapter('ours (reference)', w, create);
}

export async function runJob(job: Job): Promise<JobResult> {
  const progress = (text: string): void => {
    const seconds = ((Date.now() - job.startedAtMs) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${seconds} s] ${text}\n`);
  };
  const gc = exposeGc();
  const { target, ops } = job.workload;
  progress(`size ${formatInt(target)}: generating ${formatInt(target)} resting + ${formatInt(ops)} ops`);
  const w = generateWorkload(job.workload);
  const adapter = await createAdapter(job, w);

  const limit = job.checkSeconds === undefined ? '' : `, at most ${job.checkSeconds} s`;
  progress(`  ${adapter.name}: checked warm-up run${limit}`);
  const run = checkedRun(adapter, ops, gc, job.checkSeconds);
  const depthMatches = sameDepth(run.depth, modelDepthAfter(w, run.ops));
  const heap = measureHeapPerOrder(adapter, w.restingAfterPrefill, gc);

  const counts = job.checkSeconds === undefined ? job.opCounts : [...job.opCounts, run.ops];
  const measurements = counts.map((n): EngineResult => {
    progress(
      `  ${adapter.name}: ${job.rounds} throughput then ${job.rounds} latency rounds of ${formatInt(n)} ops`,
    );
    const m = measure(adapter, n, job.rounds, gc, w.ops.kind, OP_KIND_NAMES.length);
    return {
      engine: adapter.name,
      ops: n,
      opsPerSec: m.throughput.opsPerSec,
      throughputRounds: m.throughput.rounds,
      outputsPerOp: m.throughput.outputsPerOp,
      latency: m.latency,
      heapBytesPerOrder: heap,
      errors: run.errors,
      depthMatches,
    };
  });
  return { restingAfterPrefill: w.restingAfterPrefill, workload: w.stats, checkedOps: run.ops, measurements };
}

/**
 * Runs the job in a child process with the parent's Node options (so `node --single-threaded-gc
 * --import tsx scripts/bench-engine.ts` reaches the engines) plus --expose-gc; resolves with its result.
 */
export function runInChild(job: Job): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(job)], {
      execArgv: [...process.execArgv, '--expose-gc'],
    });
    let result: JobResult | undefined;
    child.on('message', (message) => (result = message as JobResult));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`benchmark child for ${job.engine} exited with code ${code}`));
    });
  });
}

// Entry point of the child process.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const job = JSON.parse(process.argv[2]!) as Job;
  const result = await runJob(job);
  process.send!(result, () => process.exit(0));
}
