import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import { threadId } from 'node:worker_threads';
import { OutcomePublisher } from '../adapters/api/outcome-waiter.ts';
import { RedisMarketDirectory } from '../adapters/api/market-directory.ts';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import { MatcherMetrics } from '../observability/matcher-metrics.ts';
import { ThreadRuntimeMetrics } from '../observability/thread-runtime-metrics.ts';
import { ReadModelWriter } from '../read-model/read-model-writer.ts';
import { BalanceStore } from '../redis/balance-store.ts';
import { createRedisClient } from '../redis/connection.ts';
import { createKeys } from '../redis/keys.ts';
import { MatcherRuntime } from './matcher-runtime.ts';
import { ReadModelObserver } from './read-model-observer.ts';
import { ShardOwnership } from './shard-ownership.ts';
import { createMysqlPool } from '../mysql/connection.ts';
import { createWriteBuffer } from '../mysql/write-buffer-factory.ts';
import { DURABLE_TABLES } from '../persistence/tables.ts';
import { DurableRecorder } from './durable-recorder.ts';
import type { FromMatcherThread, MatcherThreadData, ToMatcherThread } from './thread-messages.ts';

/**
 * One matcher thread, wired from the validated config: its own Redis connections, its membership,
 * its runtime. Answers `status`, and on `stop` finishes the batch in hand, flushes it to MySQL, releases its
 * leases and leaves, then says `stopped`.
 */
export async function runMatcherThread(port: MessagePort, data: MatcherThreadData): Promise<void> {
  const config = loadConfig();
  const memberId = `${hostname()}-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}`;
  const log = createLogger(config, 'matcher', { thread: data.threadIndex, member: memberId });
  const keys = createKeys(config.redis.keyPrefix);
  // The main connection auto-pipelines on both topologies: the batches (createBatch) the symbols of a
  // round exec concurrently go out as one write per master. The reader auto-pipelines on a Cluster
  // only, where it polls each stream; one Redis keeps a blocking XREAD, which auto-pipelining would
  // only delay.
  const clustered = (config.redis.clusterNodes ?? []).length > 0;
  const connection = (name: string, enableAutoPipelining = false) =>
    createRedisClient(config, {
      connectionName: `matcher-${data.threadIndex}${name}`,
      log,
      enableAutoPipelining,
    });
  const redis = connection('', true);
  const reader = connection('-reader', clustered);
  const subscriber = connection('-markets');
  const send = (message: FromMatcherThread) => port.postMessage(message);
  // Scrapes are answered from the start, before the connections are up: the process never waits
  // for a thread that is still starting longer than its scrape timeout.
  const metrics = new MatcherMetrics({ tables: DURABLE_TABLES.map((table) => table.name) });
  const runtimeMetrics = new ThreadRuntimeMetrics(metrics.registry, String(data.threadIndex)).start();
  port.on('message', (message: ToMatcherThread) => {
    if (message.type !== 'metrics') return;
    const { requestId } = message;
    metrics.snapshot().then(
      (snapshot) => send({ type: 'metrics', requestId, metrics: snapshot }),
      (error: unknown) => log.warn({ err: error }, 'metrics snapshot failed'),
    );
  });

  const markets = await RedisMarketDirectory.open({ redis, subscriber, keys });
  const publisher = new OutcomePublisher(redis, keys);
  // One small pool per thread: a flush holds one connection, claims and book loads another.
  const pool = createMysqlPool(config, { connectionLimit: 3 });
  const balances = new BalanceStore(redis, keys);
  const durable = new DurableRecorder({
    pool,
    balances,
    metrics,
    makeWriter: (onFlush) =>
      createWriteBuffer(config.writer.kind, {
        connections: pool,
        tables: DURABLE_TABLES,
        flushRows: config.writer.flushRows,
        flushIntervalMs: config.writer.flushIntervalMs,
        backpressureRows: config.writer.backpressureRows,
        // A MySQL outage is retried at most every 2 s, so the writer catches up soon after it ends.
        maxFailedFlushDelayMs: 2_000,
        onFlush,
      }),
  });
  // On one Redis a batch's read-model writes go as one script call (read-model-writer.ts); the
  // client has the script from its creation (createRedisClient).
  const writer = new ReadModelWriter(keys, { scripted: !clustered });
  const observer = new ReadModelObserver(redis, keys, writer, publisher, durable, log);
  const runtime = new MatcherRuntime(
    {
      redis,
      reader,
      keys,
      balances,
      durable,
      ownership: new ShardOwnership(
        redis,
        keys,
        memberId,
        config.matcher.shardCount,
        config.matcher.leaseTtlMs,
      ),
      listMarkets: () => markets.list(),
      observer,
      log,
      metrics,
    },
    {
      shardCount: config.matcher.shardCount,
      leaseTtlMs: config.matcher.leaseTtlMs,
      batchSize: config.matcher.batchSize,
      blockMs: 50,
      trimStreams: config.streams.trim,
    },
  );
  port.on('message', (message: ToMatcherThread) => {
    if (message.type === 'stop') runtime.stop();
    else if (message.type === 'status') send({ type: 'status', memberId, symbols: runtime.ownedSymbols() });
  });
  send({ type: 'ready', memberId });
  try {
    await runtime.run();
  } finally {
    runtimeMetrics.stop();
    await markets.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await Promise.all([redis.quit(), reader.quit()].map((p) => p.catch(() => undefined)));
    send({ type: 'stopped', memberId });
    port.close();
  }
}
