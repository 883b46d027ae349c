/**
 * A real Redis for integration tests, shared safely: each test file works under its own random key
 * prefix and deletes exactly its keys at the end (SCAN MATCH prefix:*). Never FLUSHALL/FLUSHDB.
 * REDIS_URL points the tests elsewhere (default redis://127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createRedis, createRedisClient, type RedisClient } from '../../src/redis/connection.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { scanKeys } from '../../src/redis/scan-keys.ts';
import { startPrivateRedisCluster, type PrivateRedisCluster } from './private-redis-cluster.ts';

export interface TestRedis<Client extends RedisClient = Redis> {
  readonly redis: Client;
  readonly keys: Keys;
  /** Deletes every key of this prefix, then closes the connection. */
  close(): Promise<void>;
}

/** `options.enableAutoPipelining`: the client the matcher uses (createBatch then records and issues). */
export async function openTestRedis(options: { enableAutoPipelining?: boolean } = {}): Promise<TestRedis> {
  const prefix = `t-${randomBytes(6).toString('hex')}`;
  const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: process.env.REDIS_URL, KEY_PREFIX: prefix });
  const redis = createRedis(config, {
    connectionName: `test-${prefix}`,
    enableAutoPipelining: options.enableAutoPipelining ?? false,
  });
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

export interface TestRedisCluster extends TestRedis<Cluster> {
  /** The private cluster's nodes and servers (to kill or pause one). */
  readonly cluster: PrivateRedisCluster;
  /** A config whose REDIS_URL and REDIS_CLUSTER_NODES name this cluster, with this prefix. */
  readonly config: Config;
}

/**
 * A private 3-master Redis Cluster (about 2 s to start) and a Cluster client of it, under a random
 * prefix; `close()` quits the client and destroys the cluster. `clientOptions.enableAutoPipelining`
 * as the processes set it.
 */
export async function openTestRedisCluster(
  clientOptions: { enableAutoPipelining?: boolean } = {},
): Promise<TestRedisCluster> {
  const cluster = await startPrivateRedisCluster();
  const prefix = `t-${randomBytes(6).toString('hex')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL: cluster.url,
    REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
    KEY_PREFIX: prefix,
  });
  const redis = createRedisClient(config, {
    connectionName: `test-${prefix}`,
    enableAutoPipelining: clientOptions.enableAutoPipelining ?? false,
  }) as Cluster;
  await redis.ping();
  return {
    redis,
    keys: createKeys(config.redis.keyPrefix),
    cluster,
    config,
    async close() {
      redis.disconnect();
      await cluster.destroy();
    },
  };
}

export { scanKeys };

/** One UNLINK per key: a multi-key UNLINK is CROSSSLOT on a Cluster (even on one master). */
export async function deleteKeys(redis: RedisClient, pattern: string): Promise<void> {
  const keys = await scanKeys(redis, pattern);
  for (let i = 0; i < keys.length; i += 500)
    await Promise.all(keys.slice(i, i + 500).map((key) => redis.unlink(key)));
}

/** Every hash under the pattern, field by field: compare two of them to prove nothing changed. */
export async function snapshotHashes(
  redis: RedisClient,
  pattern: string,
): Promise<Record<string, Record<string, string>>> {
  const snapshot: Record<string, Record<string, string>> = {};
  for (const key of await scanKeys(redis, pattern)) snapshot[key] = await redis.hgetall(key);
  return snapshot;
}
