import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import { threadId } from 'node:worker_threads';
import { OutcomePublisher } from '../adapters/api/outcome-waiter.ts';
import { RedisMarketDirectory } from '../adapters/api/market-directory.ts';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import { ReadModelWriter } from '../read-model/read-model-writer.ts';
import { BalanceStore } from '../redis/balance-store.ts';
import { createRedis } from '../redis/connection.ts';
import { createKeys } from '../redis/keys.ts';
import { MatcherRuntime } from './matcher-runtime.ts';
import { ReadModelObserver } from './read-model-observer.ts';
import { ShardOwnership } from './shard-ownership.ts';
import { SnapshotStore } from './snapshot-store.ts';
import type { FromMatcherThread, MatcherThreadData, ToMatcherThread } from './thread-messages.ts';

/**
 * One matcher thread, wired from the validated config: its own Redis connections, its membership,
 * its runtime. Answers `status`, and on `stop` finishes the batch in hand, snapshots, releases its
 * leases and leaves, then says `stopped`.
 */
export async function runMatcherThread(port: MessagePort, data: MatcherThreadData): Promise<void> {
  const config = loadConfig();
  const memberId = `${hostname()}-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}`;
  const log = createLogger(config, 'matcher', { thread: data.threadIndex, member: memberId });
  const keys = createKeys(config.redis.keyPrefix);
  const redis = createRedis(config, { connectionName: `matcher-${data.threadIndex}` });
  const reader = createRedis(config, { connectionName: `matcher-${data.threadIndex}-reader` });
  const subscriber = redis.duplicate();
  const send = (message: FromMatcherThread) => port.postMessage(message);

  const markets = await RedisMarketDirectory.open({ redis, subscriber, keys });
  const publisher = new OutcomePublisher(redis, keys);
  const observer = new ReadModelObserver(redis, keys, new ReadModelWriter(keys), publisher);
  const runtime = new MatcherRuntime(
    {
      redis,
      reader,
      keys,
      balances: new BalanceStore(redis, keys),
      snapshots: new SnapshotStore(redis, keys),
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
    },
    {
      shardCount: config.matcher.shardCount,
      leaseTtlMs: config.matcher.leaseTtlMs,
      batchSize: config.matcher.batchSize,
      blockMs: 50,
      snapshotIntervalMs: 5_000,
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
    await markets.close().catch(() => undefined);
    await Promise.all([redis.quit(), reader.quit()].map((p) => p.catch(() => undefined)));
    send({ type: 'stopped', memberId });
    port.close();
  }
}
