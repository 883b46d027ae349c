import { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';

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
}

/** Longest pause between reconnection attempts, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/** Connects at once (not lazily) to `config.redis.url`; reconnects with a capped backoff. */
export function createRedis(config: Pick<Config, 'redis'>, options: RedisConnectionOptions = {}): Redis {
  return new Redis(config.redis.url, {
    connectionName: options.connectionName ?? 'spot-exchange',
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 3 : options.maxRetriesPerRequest,
    enableAutoPipelining: options.enableAutoPipelining ?? false,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  });
}
