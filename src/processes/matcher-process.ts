import { Worker } from 'node:worker_threads';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig, type Config } from '../config/config.ts';
import type { FromMatcherThread, MatcherThreadData, ToMatcherThread } from '../matcher/thread-messages.ts';
import { startLedgerWorker, type LedgerWorker } from '../ledger/ledger-worker.ts';
import { createMysqlPool } from '../mysql/connection.ts';
import { createLogger } from '../observability/logger.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import { mergeThreadMetrics, ThreadMetricsCollector } from '../observability/thread-metrics.ts';
import { BalanceStore } from '../redis/balance-store.ts';
import { createRedisClient } from '../redis/connection.ts';
import { createKeys } from '../redis/keys.ts';

// Run from TypeScript sources or from the build: the thread entry follows. From sources, the thread
// registers tsx's loader itself first (a worker does not inherit the parent's `--import tsx` hooks).
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const THREAD_ENTRY = new URL(`../../workers/matcher-thread.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url);

function newThread(workerData: MatcherThreadData, youngGenerationMb: number): Worker {
  const resourceLimits = { maxYoungGenerationSizeMb: youngGenerationMb };
  if (!FROM_SOURCE) return new Worker(THREAD_ENTRY, { workerData, resourceLimits });
  const tsxApi = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(THREAD_ENTRY.href);
  const bootstrap = `import(${tsxApi}).then(({ register }) => { register(); return import(${entry}); });`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}
/** Longest wait between two attempts to start the ledger worker. */
const LEDGER_RETRY_MAX_MS = 10_000;
/** A thread that dies is restarted after this long (its shards are retaken from their durable checkpoints). */
const RESTART_DELAY_MS = 1_000;
/** A scrape waits this long for each thread's metrics; a thread slower than that is left out of it. */
const THREAD_METRICS_TIMEOUT_MS = 1_000;

/**
 * A matcher process: MATCHER threads (WORKER_THREADS), each a member that owns shards. On SIGTERM it
 * asks every thread to stop (finish the batch, flush it to MySQL, release leases) and exits when all have,
 * or after `stopTimeoutMs`; a thread that dies otherwise is restarted.
 *
 * `/metrics` and `/healthz` are served on METRICS_PORT: the process's default metrics merged with
 * every thread's registry (thread-metrics.ts). A port that cannot be bound is logged and the matcher
 * runs on without them (`metricsPort` then resolves to undefined).
 */
export function startMatcher(config: Config = loadConfig(), stopTimeoutMs = 20_000) {
  const log = createLogger(config, 'matcher-process');
  const threads = new Set<Worker>();
  let stopping = false;
  const threadMetrics = new ThreadMetricsCollector(THREAD_METRICS_TIMEOUT_MS);

  const spawn = (threadIndex: number) => {
    const data: MatcherThreadData = { threadIndex };
    const worker = newThread(data, config.matcher.youngGenerationMb);
    threads.add(worker);
    worker.on('message', (message: FromMatcherThread) => {
      if (message.type === 'metrics') threadMetrics.answer(message);
      else if (message.type === 'failed')
        log.error({ threadIndex, message: message.message }, 'matcher thread failed');
      else log.info({ threadIndex, ...message }, `matcher thread ${message.type}`);
    });
    worker.on('error', (error) => log.error({ threadIndex, err: error }, 'matcher thread error'));
    worker.on('exit', (code) => {
      threads.delete(worker);
      if (!stopping) {
        log.warn({ threadIndex, code }, 'matcher thread exited; restarting');
        setTimeout(() => stopping || spawn(threadIndex), RESTART_DELAY_MS);
      }
    });
  };
  for (let i = 0; i < config.matcher.workerThreads; i++) spawn(i);
  log.info({ threads: config.matcher.workerThreads, shards: config.matcher.shardCount }, 'matcher started');

  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  const metricsServer = startMetricsServer({
    host: config.http.host,
    port: config.matcher.metricsPort,
    render: async () => {
      const { snapshots, skipped } = await threadMetrics.collect(threads);
      if (skipped > 0) log.warn({ skipped }, 'scrape without the threads that did not answer in time');
      const merged = mergeThreadMetrics(processMetrics, snapshots);
      return { contentType: merged.contentType, text: await merged.metrics() };
    },
    onError: (error) => log.error({ err: error }, 'metrics scrape failed'),
  });
  const metricsPort: Promise<number | undefined> = metricsServer.listening.then(
    (port) => {
      log.info({ port }, 'metrics listening');
      return port;
    },
    (error: unknown) => {
      log.error({ err: error, port: config.matcher.metricsPort }, 'metrics server failed to listen');
      return undefined;
    },
  );

  // Deposits and withdrawals reach MySQL through the ledger queue (docs/mysql.md): every matcher
  // process takes its jobs, so they are written as long as one runs.
  const ledgerRedis = createRedisClient(config, { connectionName: 'ledger-balances', log });
  const ledgerPool = createMysqlPool(config, { connectionLimit: 2 });
  const ledgerDeps = {
    redis: config.redis,
    pool: ledgerPool,
    balances: new BalanceStore(ledgerRedis, createKeys(config.redis.keyPrefix)),
    log: createLogger(config, 'ledger-worker'),
  };
  // Redis may be unreachable when the process boots: keep trying, or deposits would never reach
  // MySQL from this process (the jobs wait in the queue meanwhile, nothing is lost).
  const ledger: Promise<LedgerWorker | undefined> = (async () => {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        return await startLedgerWorker(ledgerDeps);
      } catch (error) {
        log.error({ err: error, attempt }, 'ledger worker failed to start; retrying');
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(500 * 2 ** attempt, LEDGER_RETRY_MAX_MS)),
        );
      }
    }
    return undefined;
  })();

  const stop = async (): Promise<void> => {
    stopping = true;
    const exits = [...threads].map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    for (const worker of threads) worker.postMessage({ type: 'stop' } satisfies ToMatcherThread);
    const timeout = new Promise((resolve) => setTimeout(resolve, stopTimeoutMs).unref());
    await Promise.race([Promise.all(exits), timeout]);
    for (const worker of threads) await worker.terminate();
    await (await ledger)?.close().catch(() => undefined);
    await ledgerPool.end().catch(() => undefined);
    ledgerRedis.disconnect();
    await metricsServer.close();
  };
  return { stop, metricsPort };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const matcher = startMatcher();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      matcher.stop().then(() => process.exit(0));
    });
  }
}
