import { createBatch } from '../redis/batch.ts';
import type { RedisClient } from '../redis/connection.ts';

/** Entries counted forward from the owner's position before counting from the other end instead. */
export const LAG_FORWARD_CAP = 100;
/** Entries counted backward from the position (with trimming, about the entries not durable yet). */
export const LAG_BACKWARD_CAP = 1_000;

/**
 * How many entries each stream holds after the owner's position (`exchange_stream_lag_entries`),
 * in two batches at most (createBatch: the streams are on every master of a Cluster). Redis 7.0
 * keeps no count of a stream's entries after an id, and the group's `lag` is unknown once its id is
 * set by XGROUP SETID, so they are counted:
 *
 * - forward: XRANGE (position + COUNT LAG_FORWARD_CAP: exact when the owner keeps up (the usual
 *   case, an empty or short reply);
 * - otherwise backward: XLEN minus the entries at or before the position (XREVRANGE position -),
 *   which trimming at the durable checkpoint keeps short: exact up to LAG_BACKWARD_CAP of them, an
 *   upper bound past it (the streams are untrimmed, or MySQL is far behind).
 */
export async function measureStreamLag(
  redis: RedisClient,
  positions: ReadonlyArray<readonly [stream: string, afterId: string]>,
): Promise<number[]> {
  if (positions.length === 0) return [];
  const forward = createBatch(redis);
  for (const [stream, afterId] of positions)
    forward.xrange(stream, `(${afterId}`, '+', 'COUNT', LAG_FORWARD_CAP);
  const ahead = (await forward.exec())!.map(([error, entries]) => {
    if (error) throw error;
    return (entries as unknown[]).length;
  });
  const saturated = positions.map((_, i) => i).filter((i) => ahead[i]! >= LAG_FORWARD_CAP);
  if (saturated.length === 0) return ahead;
  const backward = createBatch(redis);
  for (const i of saturated) {
    const [stream, afterId] = positions[i]!;
    backward.xlen(stream).xrevrange(stream, afterId, '-', 'COUNT', LAG_BACKWARD_CAP);
  }
  const replies = (await backward.exec())!.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  saturated.forEach((i, k) => {
    const length = Number(replies[2 * k]);
    const atOrBefore = (replies[2 * k + 1] as unknown[]).length;
    ahead[i] = Math.max(LAG_FORWARD_CAP, length - atOrBefore);
  });
  return ahead;
}
