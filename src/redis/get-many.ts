import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.ts';

/** Keys per MGET: one reply stays a few hundred kilobytes at most for order records. */
const MGET_CHUNK = 1000;

/**
 * The values of string keys, aligned with `keys` (null where a key is missing), in as few round
 * trips as the topology allows. On one Redis: one MGET per 1 000 keys. On a Cluster, MGET is
 * CROSSSLOT as soon as two keys sit in different slots (an order key is alone in its own), and
 * under auto-pipelining one refused multi-key command fails every command queued for its master in
 * that tick: there, one GET per key, all issued at once (auto-pipelining groups them per master).
 */
export async function getMany(client: RedisClient, keys: readonly string[]): Promise<Array<string | null>> {
  if (keys.length === 0) return [];
  if (client instanceof Cluster) return Promise.all(keys.map((key) => client.get(key)));
  const chunks: Array<Promise<Array<string | null>>> = [];
  // Issued together: one connection answers in order, so the chunks cost one round trip.
  for (let i = 0; i < keys.length; i += MGET_CHUNK) chunks.push(client.mget(keys.slice(i, i + MGET_CHUNK)));
  return (await Promise.all(chunks)).flat();
}
