/**
 * One measured run at one rate: the load generator process drives the flow while this process
 * scrapes the system's metrics at the edges of the measured window (their difference holds exactly
 * what the matchers observed in it), samples every process's CPU each second, prints the live
 * progress line, and turns it all into a StepResult with the objectives' verdict.
 */
import { METRICS } from '../../../src/observability/metric-names.ts';
import { ALL_SCRIPTS } from '../../../src/redis/all-scripts.ts';
import { cpuBetween, readCpu, type CpuReading, type CpuSplit, type TrackedProcess } from './cpu.ts';
import type { GeneratorJob, GeneratorResult, SecondStats } from './generator-messages.ts';
import { LatencyHistogram, summarizeMs, type LatencySummaryMs } from './latency-histogram.ts';
import { startGenerator } from './load-generator.ts';
import { allMet, evaluateObjectives, type ObjectiveResult } from './objectives.ts';
import {
  counterBy,
  counterDelta,
  histogramDelta,
  histogramOf,
  histogramQuantile,
  parseExposition,
  type Sample,
} from './prometheus.ts';
import {
  commandSharesBetween,
  sampleSlowlog,
  scriptNamesBySha,
  scriptShares,
  type RedisCaller,
  type RedisTimeShare,
} from './redis-stats.ts';
import { formatProgress } from './report-text.ts';
import { threadStatsBetween, type ThreadStats } from './thread-stats.ts';

const MIN_CPU_INTERVAL_MS = 500;

/** A latency from the system's own histograms over the window, ms. */
export interface SystemLatency {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Upper bound of the bucket that holds the P99 (Infinity: beyond the largest bucket). */
  readonly p99BucketMs: number;
}

export interface StepResult {
  readonly rate: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly offeredPerSec: number;
  readonly achievedPerSec: number;
  readonly generator: Omit<
    GeneratorResult,
    'ackedPlaceIds' | 'seconds' | 'ackLatency' | 'ackLatencyPlace' | 'ackLatencyCancel' | 'sendLag'
  >;
  readonly ack: LatencySummaryMs;
  readonly ackPlace: LatencySummaryMs;
  readonly ackCancel: LatencySummaryMs;
  readonly sendLag: LatencySummaryMs;
  /** From the matchers' histograms (null: not scraped). */
  readonly matched: SystemLatency | null;
  readonly persisted: SystemLatency | null;
  /** The API's own request duration for places and cancels (server side, without the client). */
  readonly apiPlace: SystemLatency | null;
  readonly apiCancel: SystemLatency | null;
  /** Counter deltas over the window from the matchers: places by outcome, rejects by reason, trades. */
  readonly matcherCounts: {
    readonly orders: Readonly<Record<string, number>>;
    readonly rejects: Readonly<Record<string, number>>;
    readonly trades: number;
    /** accept→persisted samples dropped (a full queue): the persisted P99 misses them. */
    readonly persistedDropped: number;
  } | null;
  /** Each matcher thread's busy share and GC pauses over the window (null: not scraped). */
  readonly matcherThreads: readonly ThreadStats[] | null;
  /** CPU over the measured window, % of one core, by process group. */
  readonly cpu: CpuSplit | null;
  /** Redis's time over the window (redis-stats.ts); null: not read (a note says why). */
  readonly redis: {
    /** By command, from INFO commandstats, the largest first. */
    readonly commands: readonly RedisTimeShare[];
    /** By script, from the slowlog sample (--redis-sample); null: no sample. */
    readonly scripts: readonly RedisTimeShare[] | null;
    readonly sampleSec: number;
  } | null;
  readonly seconds: ReadonlyArray<SecondStats & { readonly cpu: Readonly<Record<string, number>> }>;
  readonly objectives: readonly ObjectiveResult[];
  readonly pass: boolean;
  /** Set by the caller: how long the system took to become quiescent after the step. */
  drainMs: number | null;
}

export interface StepContext {
  readonly job: Omit<GeneratorJob, 'ratePerSec'>;
  readonly matcherMetricsUrls: readonly string[];
  readonly apiMetricsUrls: readonly string[];
  /** System processes, Redis, MariaDB; the generator and this process are added here. */
  readonly processes: readonly TrackedProcess[];
  readonly label: string;
  readonly progress: (line: string) => void;
  /** The system's Redis, for INFO commandstats and the slowlog sample. */
  readonly redis: RedisStatsClient;
  /** Seconds of slowlog sample in the middle of the window; 0: none. */
  readonly redisSampleSec: number;
  /** Told why a Redis figure is missing. */
  readonly note: (text: string) => void;
}

/** What the step reads of Redis: an ioredis client fits. */
export interface RedisStatsClient extends RedisCaller {
  info(section: 'commandstats'): Promise<string>;
}

async function commandStats(ctx: StepContext): Promise<string | null> {
  try {
    return await ctx.redis.info('commandstats');
  } catch (error) {
    ctx.note(`Redis time by command not read: ${(error as Error).message}`);
    return null;
  }
}

/** The slowlog sample's split by script, centred in the window; null (and a note) when it failed. */
async function sampleScripts(ctx: StepContext, sleep: (ms: number) => Promise<void>) {
  const names = scriptNamesBySha(ALL_SCRIPTS);
  try {
    const entries = await sampleSlowlog(ctx.redis, ctx.redisSampleSec, sleep);
    return scriptShares(entries, names, ctx.redisSampleSec);
  } catch (error) {
    ctx.note(`Redis time by script not sampled: ${(error as Error).message}`);
    return null;
  }
}

async function scrape(urls: readonly string[]): Promise<Sample[] | null> {
  if (urls.length === 0) return null;
  try {
    const texts = await Promise.all(
      urls.map(async (url) => {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        return response.text();
      }),
    );
    return texts.flatMap(parseExposition);
  } catch {
    return null;
  }
}

function latencyBetween(
  start: Sample[] | null,
  end: Sample[] | null,
  name: string,
  filter?: Record<string, string>,
): SystemLatency | null {
  if (start === null || end === null) return null;
  const delta = histogramDelta(histogramOf(start, name, filter), histogramOf(end, name, filter));
  const p50 = histogramQuantile(delta, 0.5);
  const p99 = histogramQuantile(delta, 0.99);
  return {
    count: delta.count,
    p50Ms: p50.value * 1000,
    p99Ms: p99.value * 1000,
    p99BucketMs: p99.bucketUpperBound * 1000,
  };
}

/** Names the CPU readings by group: api-1 and api-2 are "api". */
function groupOf(name: string): string {
  return name.replace(/-\d+$/, '');
}

/** % of one core by process group. */
function grouped(split: CpuSplit): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pct] of Object.entries(split.percent))
    out[groupOf(name)] = (out[groupOf(name)] ?? 0) + pct;
  return out;
}

/** A second's CPU for the progress line and the chart: the groups, what none explains, the whole box. */
function perSecond(split: CpuSplit): Record<string, number> {
  const out = grouped(split);
  if (split.otherPercent !== null) out.other = split.otherPercent;
  if (split.machinePercent !== null) out.machine = split.machinePercent;
  return out;
}

/** What is read at the edges of the measured window. */
interface WindowEdges {
  readonly mStart: Sample[] | null;
  readonly mEnd: Sample[] | null;
  readonly aStart: Sample[] | null;
  readonly aEnd: Sample[] | null;
  readonly cpuStart: CpuReading;
  readonly cpuEnd: CpuReading;
  readonly redis: StepResult['redis'];
}

export async function runStep(
  ctx: StepContext,
  rate: number,
): Promise<{ step: StepResult; ackedPlaceIds: readonly string[] }> {
  const job: GeneratorJob = { ...ctx.job, ratePerSec: rate };
  const secondsCpu: Array<Record<string, number>> = [];
  let edges: Promise<WindowEdges> | undefined;
  let tracked: TrackedProcess[] = [...ctx.processes];
  let lastCpu: CpuReading | undefined;

  const generator = startGenerator(job, {
    onStarted: (startEpochMs) => {
      const at = (offsetSec: number) =>
        new Promise<void>((resolve) =>
          setTimeout(resolve, Math.max(0, startEpochMs + offsetSec * 1000 - Date.now())),
        );
      edges = (async (): Promise<WindowEdges> => {
        await at(job.warmupSec);
        const cpuStart = readCpu(tracked);
        const [mStart, aStart, redisStart] = await Promise.all([
          scrape(ctx.matcherMetricsUrls),
          scrape(ctx.apiMetricsUrls),
          commandStats(ctx),
        ]);
        // The slowlog sample sits in the middle of the window, away from its edges' scrapes.
        const scripts =
          ctx.redisSampleSec > 0
            ? at(job.warmupSec + (job.durationSec - ctx.redisSampleSec) / 2).then(() =>
                sampleScripts(ctx, (ms) => new Promise((resolve) => setTimeout(resolve, ms))),
              )
            : Promise.resolve(null);
        await at(job.warmupSec + job.durationSec);
        const cpuEnd = readCpu(tracked);
        const [mEnd, aEnd, redisEnd] = await Promise.all([
          scrape(ctx.matcherMetricsUrls),
          scrape(ctx.apiMetricsUrls),
          commandStats(ctx),
        ]);
        const redis =
          redisStart === null || redisEnd === null
            ? null
            : {
                commands: commandSharesBetween(redisStart, redisEnd, job.durationSec),
                scripts: await scripts,
                sampleSec: ctx.redisSampleSec,
              };
        return { mStart, mEnd, aStart, aEnd, cpuStart, cpuEnd, redis };
      })();
    },
    onSecond: (stats) => {
      const now = readCpu(tracked);
      // The seconds reported together at the end of a run are too close for a CPU reading.
      const fresh = lastCpu !== undefined && now.atMs - lastCpu.atMs >= MIN_CPU_INTERVAL_MS;
      const cpu = fresh ? perSecond(cpuBetween(lastCpu!, now)) : {};
      if (fresh || lastCpu === undefined) lastCpu = now;
      secondsCpu[stats.second] = cpu;
      ctx.progress(formatProgress(ctx.label, rate, stats, cpu));
    },
  });
  try {
    await generator.ready;
    tracked = [
      ...ctx.processes,
      { name: 'generator', pid: generator.pid },
      { name: 'bench', pid: process.pid },
    ];
    lastCpu = readCpu(tracked);
    const result = await generator.go();
    const { mStart, mEnd, aStart, aEnd, cpuStart, cpuEnd, redis } = await edges!;

    const matched = latencyBetween(mStart, mEnd, METRICS.acceptToMatched);
    const persisted = latencyBetween(mStart, mEnd, METRICS.acceptToPersisted);
    const apiPlace = latencyBetween(aStart, aEnd, METRICS.httpRequestDuration, {
      method: 'POST',
      route: '/v1/orders',
    });
    const apiCancel = latencyBetween(aStart, aEnd, METRICS.httpRequestDuration, {
      method: 'DELETE',
      route: '/v1/orders/:orderId',
    });
    const matcherCounts =
      mStart === null || mEnd === null
        ? null
        : {
            orders: counterDelta(
              counterBy(mStart, METRICS.orders, 'outcome'),
              counterBy(mEnd, METRICS.orders, 'outcome'),
            ),
            rejects: counterDelta(
              counterBy(mStart, METRICS.rejects, 'reason'),
              counterBy(mEnd, METRICS.rejects, 'reason'),
            ),
            trades: Object.values(
              counterDelta(
                counterBy(mStart, METRICS.trades, 'symbol'),
                counterBy(mEnd, METRICS.trades, 'symbol'),
              ),
            ).reduce((a, b) => a + b, 0),
            persistedDropped: Object.values(
              counterDelta(
                counterBy(mStart, METRICS.acceptToPersistedDropped, ''),
                counterBy(mEnd, METRICS.acceptToPersistedDropped, ''),
              ),
            ).reduce((a, b) => a + b, 0),
          };
    const matcherThreads =
      mStart === null || mEnd === null ? null : threadStatsBetween(mStart, mEnd, job.durationSec);
    const cpu = cpuBetween(cpuStart, cpuEnd);
    const ack = LatencyHistogram.fromSparse(result.ackLatency);
    const offeredPerSec = result.offered / job.durationSec;
    const achievedPerSec = result.answeredInWindow / job.durationSec;
    const objectives = evaluateObjectives({
      offeredPerSec,
      achievedPerSec,
      errors: result.counts.all.errors,
      ackP99Ms: ack.percentile(0.99) / 1000,
      matchedP99: matched && matched.count > 0 ? { ms: matched.p99Ms, bucketMs: matched.p99BucketMs } : null,
      persistedP99:
        persisted && persisted.count > 0 ? { ms: persisted.p99Ms, bucketMs: persisted.p99BucketMs } : null,
      persistedDropped: matcherCounts?.persistedDropped ?? 0,
    });
    const {
      ackedPlaceIds,
      seconds,
      ackLatency,
      ackLatencyPlace,
      ackLatencyCancel,
      sendLag,
      ...generatorRest
    } = result;
    const step: StepResult = {
      rate,
      warmupSec: job.warmupSec,
      durationSec: job.durationSec,
      offeredPerSec,
      achievedPerSec,
      generator: generatorRest,
      ack: summarizeMs(ack),
      ackPlace: summarizeMs(LatencyHistogram.fromSparse(ackLatencyPlace)),
      ackCancel: summarizeMs(LatencyHistogram.fromSparse(ackLatencyCancel)),
      sendLag: summarizeMs(LatencyHistogram.fromSparse(sendLag)),
      matched,
      persisted,
      apiPlace,
      apiCancel,
      matcherCounts,
      matcherThreads,
      cpu: { ...cpu, percent: grouped(cpu) },
      redis,
      seconds: seconds.map((s) => ({ ...s, cpu: secondsCpu[s.second] ?? {} })),
      objectives,
      pass: allMet(objectives),
      drainMs: null,
    };
    void ackLatency;
    return { step, ackedPlaceIds };
  } finally {
    generator.kill();
  }
}
