import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { createBatch } from '../redis/batch.ts';
import type { RedisClient } from '../redis/connection.ts';
import { defineStreamScripts } from '../redis/stream-scripts.ts';

/**
 * The per-symbol command streams as the matcher reads them (docs/pipeline.md). Each owner reads its
 * symbols' streams from its own position (the durable checkpoint, then what it processed); one
 * group, `matchers`, per stream records how far the owners have read (its last-delivered id).
 * The group commands go through one-key scripts (stream-scripts.ts), so a Cluster routes them.
 */

export const GROUP = 'matchers';

/** How long a read round on a Cluster waits, by default, after finding every stream idle. */
export const READ_POLL_MS = 5;

export type RawEntry = [id: string, fields: string[]];

/** XREAD's reply: the streams that had entries, or null when none had. */
type XReadReply = Array<[stream: string, entries: RawEntry[]]> | null;

/** Creates the group at the start of the stream (and the stream itself) unless it exists. */
export async function ensureGroup(redis: RedisClient, stream: string): Promise<void> {
  defineStreamScripts(redis);
  await redis.streamGroupCreate(stream, GROUP, '0');
}

/** The id of the last entry the group handed out to any consumer ('0-0' if none). */
export async function lastDeliveredId(redis: RedisClient, stream: string): Promise<string> {
  defineStreamScripts(redis);
  return String(await redis.streamGroupLastDelivered(stream, GROUP));
}

/** Entries strictly after `afterId` up to and including `toId`, at most `count`. */
export async function readRange(
  redis: RedisClient,
  stream: string,
  afterId: string,
  toId: string,
  count: number,
): Promise<RawEntry[]> {
  return (await redis.xrange(stream, `(${afterId}`, toId, 'COUNT', count)) as RawEntry[];
}

/**
 * Entries of several streams after the given ids (the owner's own positions), in the order of
 * `positions`, leaving out the streams with none. A plain XREAD, not XREADGROUP: reading changes
 * nothing in Redis, so a member that lost a symbol without knowing it yet (paused past its lease, or
 * a read resent after a reconnect) cannot take entries away from the symbol's new owner, which reads
 * from its own position.
 *
 * On one Redis: one XREAD over every stream, blocking up to `blockMs` while there are none. On a
 * Cluster such an XREAD is CROSSSLOT (each symbol is its own slot), and blocking reads on one client
 * queue behind each other per master: there each stream is read without blocking, all at once (with
 * auto-pipelining, one round trip per master), and when every stream is idle the round waits
 * `pollMs` and returns none (docs/pipeline.md, "Reading on a Redis Cluster").
 */
export async function readAfter(
  redis: RedisClient,
  positions: ReadonlyArray<readonly [stream: string, afterId: string]>,
  count: number,
  blockMs: number,
  pollMs: number = READ_POLL_MS,
): Promise<Array<[stream: string, entries: RawEntry[]]>> {
  if (redis instanceof Cluster) return pollEachStream(redis, positions, count, pollMs);
  const reply = (await redis.xread(
    'COUNT',
    count,
    'BLOCK',
    blockMs,
    'STREAMS',
    ...positions.map(([stream]) => stream),
    ...positions.map(([, afterId]) => afterId),
  )) as XReadReply;
  return reply ?? [];
}

async function pollEachStream(
  cluster: Cluster,
  positions: ReadonlyArray<readonly [stream: string, afterId: string]>,
  count: number,
  pollMs: number,
): Promise<Array<[stream: string, entries: RawEntry[]]>> {
  // Issued in one synchronous loop, so auto-pipelining groups them per master.
  const replies = await Promise.all(
    positions.map(
      ([stream, afterId]) => cluster.xread('COUNT', count, 'STREAMS', stream, afterId) as Promise<XReadReply>,
    ),
  );
  const results: Array<[stream: string, entries: RawEntry[]]> = [];
  positions.forEach(([stream], i) => {
    const entries = replies[i]?.[0]?.[1];
    if (entries !== undefined && entries.length > 0) results.push([stream, entries]);
  });
  if (results.length === 0) await sleep(pollMs);
  return results;
}

/**
 * Moves each stream's group mark (its last-delivered id) to what the owner has read: the group is
 * the owners' shared progress marker (lag for monitoring, and where a takeover's replay ends), not
 * how entries are handed out. One batch for all the streams; fails with a ReadMarkError when any
 * mark did not move, since a later takeover would treat entries read here as new.
 */
export async function markDelivered(
  redis: RedisClient,
  marks: ReadonlyArray<readonly [stream: string, entryId: string]>,
): Promise<void> {
  if (marks.length === 0) return;
  defineStreamScripts(redis);
  const batch = createBatch(redis);
  for (const [stream, entryId] of marks) batch.streamGroupSetId(stream, GROUP, entryId);
  const replies = await batch.exec();
  if (replies === null) throw new ReadMarkError(marks[0]![0], marks[0]![1], 'the batch was discarded');
  replies.forEach(([error], i) => {
    if (error) throw new ReadMarkError(marks[i]![0], marks[i]![1], error.message, error);
  });
}

/** A stream's read mark could not be moved (the stream or its group is gone, or Redis refused). */
export class ReadMarkError extends Error {
  override readonly name = 'ReadMarkError';
  readonly code = 'READ_MARK_FAILED';

  constructor(
    readonly stream: string,
    readonly entryId: string,
    reason: string,
    cause?: unknown,
  ) {
    super(`${stream}: the read mark was not moved to ${entryId}: ${reason}`, { cause });
  }
}

/** Compares stream ids ("ms-seq") numerically: -1, 0 or 1. */
export function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = splitId(a);
  const [bMs, bSeq] = splitId(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

function splitId(id: string): [bigint, bigint] {
  const dash = id.indexOf('-');
  return dash === -1 ? [BigInt(id), 0n] : [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}
