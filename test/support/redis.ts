/**
 * A real Redis for integration tests, shared safely: each test file works under its own random key
 * prefix and deletes exactly its keys at the end (SCAN MATCH prefix:*). Never FLUSHALL/FLUSHDB.
 * REDIS_URL points the tests elsewhere (default redis://127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/config.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { scanKeys } from '../../src/redis/scan-keys.ts';

export interface TestRedis {
  readonly redis: Redis;
  readonly keys: Keys;
  /** Deletes every key of this prefix, then closes the connection. */
  close(): Promise<void>;
}

export async function openTestRedis(): Promise<TestRedis> {
  const prefix = `t-${randomBytes(6).toString('hex')}`;
  const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: process.env.REDIS_URL, KEY_PREFIX: prefix });
  const redis = createRedis(config, { connectionName: `test-${prefix}` });
  await redis.ping();
  const keys = createKeys(config.redis.keyPrefix);
  return {
    redis,
    keys,
    async close() {
      await deleteKeys(redis, keys.pattern);
      await redis.quit();
    },
  };
}

export { scanKeys };

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  const keys = await scanKeys(redis, pattern);
  for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
}

/** Every hash under the pattern, field by field: compare two of them to prove nothing changed. */
export async function snapshotHashes(
  redis: Redis,
  pattern: string,
): Promise<Record<string, Record<string, string>>> {
  const snapshot: Record<string, Record<string, string>> = {};
  for (const key of await scanKeys(redis, pattern)) snapshot[key] = await redis.hgetall(key);
  return snapshot;
}
