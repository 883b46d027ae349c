/**
 * npm run bench:e2e -- [options]   (options: scripts/bench/e2e/options.ts, or --help)
 *
 * The end-to-end benchmark of issue 6: brings the system up as separate processes (API and
 * matchers, on the local Redis and MariaDB, under a key prefix and a database of its own) or drives
 * a running one (--target), creates markets and funded users through the API, then offers a
 * realistic order flow open-loop at a fixed rate from a load-generator process, for a warm-up and a
 * measured window, printing a progress line each second. It reports offered and achieved
 * requests/s, ack latency from the due time (P50/P99/P99.9), accept→matched and accept→persisted
 * from the matchers' own histograms over the window, errors by status and code, and the CPU of
 * every process; then cancels every open order, waits for quiescence and checks that every
 * acknowledged order is in MySQL in a final state, that MySQL matches Redis and that every asset is
 * conserved (scripts/audit.ts --quiescent). Step mode (--step ...) raises the rate until an
 * objective breaks and reports the highest rate that met them all. Results go to --out as JSON and
 * a self-contained HTML chart. Exit code 0: everything passed; 1: an objective or a check failed;
 * 2: the benchmark could not run.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/config.ts';
import { createMysqlPool } from '../src/mysql/connection.ts';
import { auditWithRetries, type AuditOutcome } from './bench/e2e/audit-run.ts';
import { benchMarkets } from './bench/e2e/bench-markets.ts';
import { endChecks, fileStamp, gitCommit, writeReport, type BenchReport } from './bench/e2e/bench-report.ts';
import { startLocalSystem, type LocalSystem, type SystemEndpoints } from './bench/e2e/local-system.ts';
import { highestPassingRate } from './bench/e2e/objectives.ts';
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from './bench/e2e/options.ts';
import { checkOrders, waitForQuiescence, type OrdersCheck } from './bench/e2e/quiescence.ts';
import { objectiveLines, reportLines } from './bench/e2e/report-text.ts';
import { runStep, type StepResult } from './bench/e2e/run-step.ts';
import { serverProcesses } from './bench/e2e/server-pids.ts';
import {
  cancelEverything,
  createMarkets,
  fundUsers,
  mintParticipants,
  waitForOwners,
} from './bench/e2e/setup.ts';
import { formatBytes } from './bench/stats.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const out = (line = '') => process.stdout.write(`${line}\n`);

function targetSystem(options: BenchOptions): SystemEndpoints {
  const config = loadConfig();
  return {
    apiUrls: options.target,
    matcherMetricsUrls: options.matcherMetrics,
    apiMetricsUrls: options.target.map((u) => `${u}/metrics`),
    processes: options.pids,
    keyPrefix: config.redis.keyPrefix,
    redisUrl: config.redis.url,
    mysqlUrl: config.mysql.url,
    jwtSecret: config.auth.jwtSecret,
    env: {},
  };
}

async function main(options: BenchOptions): Promise<number> {
  const stamp = fileStamp();
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg()[0]!;
  const notes: string[] = [];
  if (loadBefore > cpus().length / 2) {
    notes.push(
      `load average ${loadBefore.toFixed(2)} on ${cpus().length} cores before the run: other work skews the figures`,
    );
    log(`warning: ${notes.at(-1)}`);
  }
  let local: LocalSystem | undefined;
  const interrupt = () => {
    log('interrupted: stopping the system');
    void (async () => {
      await local?.stop().catch(() => undefined);
      if (!options.keep) await local?.cleanup().catch(() => undefined);
      process.exit(130);
    })();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let system: SystemEndpoints;
  if (options.target.length > 0) {
    system = targetSystem(options);
    if (system.matcherMetricsUrls.length === 0) {
      notes.push('no --matcher-metrics: accept→matched and accept→persisted are not measured');
      log(`warning: ${notes.at(-1)}`);
    }
  } else {
    local = await startLocalSystem(
      {
        apiProcesses: options.apiProcesses,
        matcherProcesses: options.matcherProcesses,
        matcherThreads: options.matcherThreads,
        env: options.env,
        logDir: join(options.outDir, `bench-e2e-${stamp}-logs`),
        logLevel: options.logLevel,
        redisUrl: loadConfig().redis.url,
        mysqlServerUrl: loadConfig().mysql.url,
      },
      log,
    );
    system = local;
  }
  const redis = new Redis(system.redisUrl, { maxRetriesPerRequest: 2 });
  const pool = createMysqlPool({ mysql: { url: system.mysqlUrl } }, { connectionLimit: 2 });
  try {
    const servers = await serverProcesses(redis, pool, system.redisUrl, system.mysqlUrl);
    if (servers.length < 2)
      notes.push(
        `CPU of ${servers.length === 0 ? 'Redis and MariaDB' : 'one server'} not tracked (not found on this machine)`,
      );

    const setupStart = performance.now();
    const markets = benchMarkets(options.symbols);
    const symbols = markets.map((m) => m.symbol);
    const runTag = `b${randomBytes(4).toString('hex')}`;
    const plannedSec =
      options.rates.length * (options.warmupSec + options.durationSec + options.drainTimeoutSec);
    const participants = await mintParticipants(
      system.jwtSecret,
      options.firstUser,
      options.users,
      plannedSec + 86_400,
    );
    const admin = system.apiUrls[0]!;
    await createMarkets(admin, participants.adminToken, markets);
    const deposits = await fundUsers(admin, participants, markets, runTag);
    await waitForOwners(system.apiUrls, participants.probeToken, symbols);
    const setupMs = performance.now() - setupStart;
    log(
      `setup: ${markets.length} markets, ${options.users} users, ${deposits} deposits, owners answering (${(setupMs / 1000).toFixed(1)} s)`,
    );

    const sinceMs = Date.now() - 1_000;
    const steps: StepResult[] = [];
    const acked: Array<readonly string[]> = [];
    let unknownPlaces = 0;
    let quiescence: { ms: number | null; error: string | null } = { ms: null, error: null };
    for (const [i, rate] of options.rates.entries()) {
      const label = options.stepMode ? `[step ${i + 1}/${options.rates.length}]` : '[run]';
      const { step, ackedPlaceIds } = await runStep(
        {
          job: {
            apiUrls: system.apiUrls,
            connectionsPerApi: options.connections,
            client: options.client,
            requestTimeoutMs: options.timeoutMs,
            drainTimeoutMs: Math.min(30_000, options.timeoutMs * 2),
            warmupSec: options.warmupSec,
            durationSec: options.durationSec,
            seed: options.seed + i,
            markets: markets.map((m) => m.flow),
            mix: options.mix,
            clientOrderIdShare: options.clientOrderIdShare,
            runTag: `${runTag}${i}`,
            tokens: participants.tokens,
          },
          matcherMetricsUrls: system.matcherMetricsUrls,
          apiMetricsUrls: system.apiMetricsUrls,
          processes: [...system.processes, ...servers],
          label,
          progress: log,
          redis,
          redisSampleSec: options.redisSampleSec,
          note: (text) => notes.push(`${label} ${text}`),
        },
        rate,
      );
      steps.push(step);
      acked.push(ackedPlaceIds);
      unknownPlaces += step.generator.unknownPlaces;
      for (const line of objectiveLines(step.objectives)) log(`${label} ${line}`);
      // Every order of the step ends (the next step starts from an empty book), then the backlog drains.
      await cancelEverything(admin, participants, symbols);
      try {
        step.drainMs = await waitForQuiescence(
          redis,
          pool,
          system.keyPrefix,
          symbols,
          options.drainTimeoutSec * 1000,
        );
        quiescence = { ms: step.drainMs, error: null };
        log(`${label} quiescent ${(step.drainMs / 1000).toFixed(1)} s after the last request`);
      } catch (error) {
        quiescence = { ms: null, error: (error as Error).message };
        notes.push(`after ${rate}/s: ${quiescence.error}`);
        log(`${label} ${quiescence.error}`);
        break;
      }
      if (options.stepMode && !step.pass) break;
    }

    let orders: OrdersCheck | null = null;
    let audit: AuditOutcome | null = null;
    let auditAttempts = 0;
    if (quiescence.error === null) {
      log('checking every order in MySQL and running the audit');
      orders = await checkOrders(pool, {
        firstUser: options.firstUser,
        lastUser: options.firstUser + options.users - 1,
        sinceMs,
        acknowledged: (function* () {
          for (const batch of acked) yield* batch;
        })(),
        unknownPlaces,
      });
      ({ audit, attempts: auditAttempts } = await auditWithRetries({
        ...system.env,
        KEY_PREFIX: system.keyPrefix,
        REDIS_URL: system.redisUrl,
        MYSQL_URL: system.mysqlUrl,
      }));
    }
    const checks = endChecks(quiescence, orders, audit);
    const checksPass = checks.every((c) => c.pass);
    const best = highestPassingRate(steps);
    const objectivesMet = options.stepMode ? best !== null : steps.every((s) => s.pass);
    const report: BenchReport = {
      tool: 'bench:e2e',
      mode: options.stepMode ? 'step' : 'run',
      startedAt,
      finishedAt: new Date().toISOString(),
      conditions: {
        node: process.version,
        cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
        cores: cpus().length,
        memory: formatBytes(totalmem()),
        loadAverage: [loadBefore, loadavg()[0]!],
        commit: gitCommit(),
      },
      options,
      system: {
        started: local !== undefined,
        description:
          local !== undefined
            ? `started: ${options.apiProcesses} API, ${options.matcherProcesses} matcher process(es) × ${options.matcherThreads} thread(s)` +
              (Object.keys(options.env).length > 0
                ? `, ${Object.entries(options.env)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')}`
                : '')
            : `target ${system.apiUrls.join(', ')}`,
        apiUrls: system.apiUrls,
        matcherMetricsUrls: system.matcherMetricsUrls,
        keyPrefix: system.keyPrefix,
        database: local?.database ?? null,
        env: Object.fromEntries(Object.entries(system.env).filter(([k]) => k !== 'JWT_SECRET')),
      },
      setup: { markets: symbols, users: options.users, deposits, ms: setupMs },
      steps,
      highestPassingRate: options.stepMode ? best : null,
      final: { quiescenceMs: quiescence.ms, orders, audit, auditAttempts },
      checks,
      objectivesMet,
      checksPass,
      pass: objectivesMet && checksPass,
      notes,
    };
    for (const line of reportLines(report)) out(line);
    const files = writeReport(options.outDir, stamp, report);
    out(`\nwrote ${files.json}\n      ${files.html}`);
    return report.pass ? 0 : 1;
  } finally {
    redis.disconnect();
    await pool.end().catch(() => undefined);
    if (local !== undefined) {
      log('stopping the system');
      await local.stop();
      if (options.keep) log(`kept database ${local.database} and keys ${local.keyPrefix}:*`);
      else await local.cleanup();
    }
  }
}

let options: BenchOptions | null;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`bench:e2e: ${error.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options === null) {
  out(USAGE);
} else {
  try {
    process.exitCode = await main(options);
  } catch (error) {
    log(`bench:e2e: error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 2;
  }
  // Timers of an interrupted step (metric scrapes) must not keep the process alive.
  setTimeout(() => process.exit(), 1_000).unref();
}
