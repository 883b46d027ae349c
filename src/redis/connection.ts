import { Cluster, Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { defineAllScripts } from './all-scripts.ts';

/**
 * The one way the processes open a Redis connection. Key names carry the deployment's prefix
 * themselves (keys.ts), so ioredis's own `keyPrefix` stays unset: it would prefix twice.
 */

export interface RedisConnectionOptions {
  /** Shown by CLIENT LIST, to tell the api, matchers and writers apart. Default: `spot-exchange`. */
  readonly connectionName?: string;
  /**
   * How many reconnections a command waits through before it fails; `null` waits forever (a
   * blocking reader that must not give up). Default: 3, so a caller learns of an outage in seconds.
   */
  readonly maxRetriesPerRequest?: number | null;
  /**
   * Sends the commands issued in one event-loop tick as one pipeline (per node on a cluster).
   * Worth it for many concurrent independent calls, like an API tier's. Default: false.
   */
  readonly enableAutoPipelining?: boolean;
  /** Milliseconds to establish the connection before it counts as failed. Default: 5 000. */
  readonly connectTimeoutMs?: number;
  /**
   * Lets a Cluster client SSUBSCRIBE (one subscriber connection per master); without it ioredis
   * never answers an SSUBSCRIBE. Ignored on one Redis, which shard-subscribes as it is. Default: false.
   */
  readonly shardedSubscribers?: boolean;
  /**
   * Told of connection errors (refused, reset...), at most once per 10 s per connection; the
   * connection reconnects by itself meanwhile and the commands that fail say so. Default: none.
   */
  readonly log?: { warn(details: object, message: string): void };
}

/** Connection errors are reported at most this often per connection. */
const ERROR_REPORT_INTERVAL_MS = 10_000;

/** Longest pause between reconnection attempts, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Connects at once (not lazily) to `config.redis.url`; reconnects with a capped backoff. Every Lua
 * script is a command of the client from the start (all-scripts.ts says why).
 */
export function createRedis(config: Pick<Config, 'redis'>, options: RedisConnectionOptions = {}): Redis {
  const redis = new Redis(config.redis.url, {
    connectionName: options.connectionName ?? 'spot-exchange',
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 3 : options.maxRetriesPerRequest,
    enableAutoPipelining: options.enableAutoPipelining ?? false,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  });
  defineAllScripts(redis);
  reportErrors(redis, options);
  return redis;
}

/**
 * Without a listener ioredis prints every failed reconnection attempt to stderr, many a second
 * during an outage. One line per interval is enough to see it; the failing commands tell the rest.
 */
function reportErrors(client: Redis | Cluster, options: RedisConnectionOptions): void {
  let reportedAt = 0;
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (options.log === undefined || now - reportedAt < ERROR_REPORT_INTERVAL_MS) return;
    reportedAt = now;
    options.log.warn(
      { err: error, connection: options.connectionName },
      'Redis connection error; reconnecting',
    );
  });
}

/** One Redis or a Redis Cluster: what `createRedisClient` opens (docs/redis-cluster.md). */
export type RedisClient = Redis | Cluster;

/**
 * A Cluster client seeded with `config.redis.clusterNodes` when there are any, else `createRedis`.
 * REDIS_URL's user, password and TLS (rediss:) apply to every node; reads go to masters (they must
 * see the writes). The same options and throttled error reporting as `createRedis`.
 */
export function createRedisClient(
  config: Pick<Config, 'redis'>,
  options: RedisConnectionOptions = {},
): RedisClient {
  const nodes = config.redis.clusterNodes ?? [];
  if (nodes.length === 0) return createRedis(config, options);
  const url = new URL(config.redis.url);
  const cluster = new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    {
      enableAutoPipelining: options.enableAutoPipelining ?? false,
      scaleReads: 'master',
      shardedSubscribers: options.shardedSubscribers ?? false,
      clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
      redisOptions: {
        connectionName: options.connectionName ?? 'spot-exchange',
        maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 3 : options.maxRetriesPerRequest,
        connectTimeout: options.connectTimeoutMs ?? 5_000,
        username: url.username === '' ? undefined : decodeURIComponent(url.username),
        password: url.password === '' ? undefined : decodeURIComponent(url.password),
        tls: url.protocol === 'rediss:' ? {} : undefined,
      },
    },
  );
  defineAllScripts(cluster);
  reportErrors(cluster, options);
  return cluster;
}
