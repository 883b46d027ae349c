import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.ts';

/** Keys per SCAN step: large enough to keep round trips few, small enough not to block a node. */
const SCAN_COUNT = 1_000;

/**
 * Every key matching `pattern` (SCAN MATCH, never KEYS), deduplicated and sorted. On a Redis
 * Cluster a SCAN sees one node's keys only, so every master is scanned (docs/redis-cluster.md).
 */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? await mastersOf(client) : [client];
  const found = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      for (const key of keys) found.add(key);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...found].sort();
}

/**
 * A Cluster knows its masters only once it has read the slot table: before that `nodes('master')`
 * is empty, and a scan of no node would find nothing and look like an empty keyspace. A command
 * waits for the connection (or fails after the client's retries), and no master after it is an error.
 */
async function mastersOf(cluster: Cluster) {
  if (cluster.status !== 'ready') await cluster.ping();
  const masters = cluster.nodes('master');
  if (masters.length === 0) throw new Error('scanKeys: the Redis Cluster reports no master');
  return masters;
}
