import type { ChainableCommander, Redis } from 'ioredis';

/**
 * The per-symbol command streams as the matcher reads them (docs/pipeline.md). Each owner reads its
 * symbols' streams from its own position (the durable checkpoint, then what it processed); one
 * group, `matchers`, per stream records how far the owners have read (its last-delivered id).
 */

export const GROUP = 'matchers';

export type RawEntry = [id: string, fields: string[]];

/** Creates the group at the start of the stream (and the stream itself) unless it exists. */
export async function ensureGroup(redis: Redis, stream: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  } catch (error) {
    if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
  }
}

/** The id of the last entry the group handed out to any consumer ('0-0' if none). */
export async function lastDeliveredId(redis: Redis, stream: string): Promise<string> {
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  for (const group of groups) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < group.length; i += 2) fields.set(String(group[i]), group[i + 1]);
    if (fields.get('name') === GROUP) return String(fields.get('last-delivered-id'));
  }
  return '0-0';
}

/** Entries strictly after `afterId` up to and including `toId`, at most `count`. */
export async function readRange(
  redis: Redis,
  stream: string,
  afterId: string,
  toId: string,
  count: number,
): Promise<RawEntry[]> {
  return (await redis.xrange(stream, `(${afterId}`, toId, 'COUNT', count)) as RawEntry[];
}

/**
 * Entries of several streams after the given ids (the owner's own positions), waiting up to
 * `blockMs` when there are none. A plain XREAD, not XREADGROUP: reading changes nothing in Redis, so
 * a member that lost a symbol without knowing it yet (paused past its lease, or a read resent after
 * a reconnect) cannot take entries away from the symbol's new owner, which reads from its own
 * position. One call covers every stream on a standalone Redis; on a Cluster the caller groups by slot.
 */
export async function readAfter(
  redis: Redis,
  positions: ReadonlyArray<readonly [stream: string, afterId: string]>,
  count: number,
  blockMs: number,
): Promise<Array<[stream: string, entries: RawEntry[]]>> {
  const reply = (await redis.xread(
    'COUNT',
    count,
    'BLOCK',
    blockMs,
    'STREAMS',
    ...positions.map(([stream]) => stream),
    ...positions.map(([, afterId]) => afterId),
  )) as Array<[string, RawEntry[]]> | null;
  return reply ?? [];
}

/**
 * Moves the group's last-delivered id to what the owner has read: the group is the owners' shared
 * progress marker (lag for monitoring, and where a takeover's replay ends), not how entries are
 * handed out. Queued on `pipeline`.
 */
export function markDelivered(pipeline: ChainableCommander, stream: string, entryId: string): void {
  pipeline.xgroup('SETID', stream, GROUP, entryId);
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
