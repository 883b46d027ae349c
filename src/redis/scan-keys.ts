import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.ts';

/** Keys per SCAN step: large enough to keep round trips few, small enough not to block a node. */
const SCAN_COUNT = 1_000;

/**
 * Every key matching `pattern` (SCAN MATCH, never KEYS), deduplicated and sorted. On a Redis
 * Cluster a SCAN sees one node's keys only, so every master is scanned (docs/redis-cluster.md).
 */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
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
