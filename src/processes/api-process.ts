import { RedisBalanceService } from '../adapters/api/balance-service.ts';
import { CheckedHealth, redisCheck } from '../adapters/api/health.ts';
import { RedisMarketDirectory } from '../adapters/api/market-directory.ts';
import { RedisOutcomeWaiter } from '../adapters/api/outcome-waiter.ts';
import { acquireInstanceNumber, newInstanceId, SnowflakeIds } from '../adapters/api/snowflake-ids.ts';
import { StreamIntake } from '../adapters/api/stream-intake.ts';
import { buildApp } from '../api/app.ts';
import { listen } from '../api/server.ts';
import { loadConfig, type Config } from '../config/config.ts';
import { LedgerQueue } from '../ledger/ledger-queue.ts';
import { createMysqlPool } from '../mysql/connection.ts';
import { createLogger } from '../observability/logger.ts';
import { ApiMetrics } from '../observability/metrics.ts';
import { HotCachedOrderQueries } from '../persistence/reads/hot-cached-order-queries.ts';
import { MysqlOrderQueries } from '../persistence/reads/mysql-order-queries.ts';
import { RedisMarketData } from '../read-model/market-data-reader.ts';
import { RedisOrderQueries } from '../read-model/order-queries.ts';
import { BalanceStore } from '../redis/balance-store.ts';
import { createRedisClient } from '../redis/connection.ts';
import { createKeys } from '../redis/keys.ts';

/**
 * The API process: wires the HTTP app to Redis and, for order and fill reads, MySQL; seeds the
 * default markets on a first start, listens, and on SIGTERM stops taking requests, lets those in
 * flight finish and closes its connections.
 */
export async function startApi(config: Config = loadConfig()) {
  const log = createLogger(config, 'api');
  const keys = createKeys(config.redis.keyPrefix);
  // Auto-pipelining batches the many small commands of concurrent requests into few round trips
  // (one per master on a Redis Cluster; every command of the API touches one slot).
  const redis = createRedisClient(config, { connectionName: 'api', enableAutoPipelining: true, log });
  const instance = await acquireInstanceNumber(redis, keys);
  const instanceId = newInstanceId(instance);
  const markets = await RedisMarketDirectory.open({
    redis,
    subscriber: createRedisClient(config, { connectionName: 'api-markets', log }),
    keys,
  });
  const intake = new StreamIntake({
    redis,
    keys,
    replyTo: instanceId,
    maxBacklog: config.streams.maxSymbolBacklog,
  });
  // Order and fill reads: MySQL, the system of record, behind the Redis read model as a hot cache.
  const mysql = createMysqlPool(config);
  if ((await markets.list()).length === 0) {
    // Each seeded market's stream starts with its fees, as a market created by an operator does
    // (routes/admin.ts), so that a replay from the stream's start charges what was in force. Two
    // instances starting at once may both append them: the same fees twice change nothing.
    for (const market of config.seedMarkets.values()) {
      const { makerFeePpm, takerFeePpm } = market.rules;
      await intake.submit(market.definition.symbol, { type: 'setFees', makerFeePpm, takerFeePpm });
    }
  }
  const seeded = await markets.seedIfEmpty(config.seedMarkets.values());
  const outcomes = await RedisOutcomeWaiter.start({
    // Outcomes come over sharded pub/sub (SSUBSCRIBE), which a Cluster client only serves this way.
    subscriber: createRedisClient(config, { connectionName: 'api-outcomes', log, shardedSubscribers: true }),
    keys,
    instanceId,
  });
  // Deposits and withdrawals reach MySQL through a BullMQ job each (docs/mysql.md).
  const ledger = await LedgerQueue.open(config, { log });
  const app = buildApp({
    config,
    logger: log,
    ports: {
      markets,
      intake,
      outcomes,
      balances: new RedisBalanceService(new BalanceStore(redis, keys), ledger),
      orders: new HotCachedOrderQueries(
        new RedisOrderQueries(redis, keys),
        new MysqlOrderQueries(mysql, markets),
      ),
      marketData: new RedisMarketData(redis, keys),
      ids: new SnowflakeIds({ instance }),
      health: new CheckedHealth({ checks: { redis: redisCheck(redis) } }),
      metrics: new ApiMetrics({ markets }),
    },
  });
  const address = await listen(app, config);
  log.info({ address, instanceId, seededMarkets: seeded }, 'api listening');
  const close = async () => {
    await app.close();
    await outcomes.close();
    await ledger.close();
    await markets.close();
    await redis.quit();
    await mysql.end();
  };
  return { app, address, close };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const api = await startApi();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      api.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
