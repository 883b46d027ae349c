import type { Pool, RowDataPacket } from 'mysql2/promise';
import { compareIds } from '../matcher/command-stream.ts';
import { loadSqlStatement } from '../mysql/sql-statements.ts';
import type { RedisClient } from '../redis/connection.ts';
import type { Keys } from '../redis/keys.ts';
import { compare, type Findings, type SideValues } from './mysql-audit-findings.ts';

/**
 * Each symbol's stream in Redis against its checkpoint in MySQL (docs/mysql.md, "Audit"). The
 * checkpoint's last_stream_id is the last entry whose effects MySQL holds; streams are trimmed by
 * MINID at it, which keeps that entry. So:
 *
 * - the checkpoint is never past the last id the stream generated (else MySQL claims entries Redis
 *   never had: Redis lost data, or the checkpoint belongs to another stream): CHECKPOINT_AHEAD_OF_STREAM;
 * - no entry after the checkpoint is gone: the stream's first entry is not after the checkpoint
 *   once anything was removed (else entries MySQL never made durable were trimmed: data loss):
 *   STREAM_TRIMMED_PAST_CHECKPOINT; a checkpoint with no stream at all is STREAM_MISSING;
 * - the checkpoint is at the stream's last entry: CHECKPOINT_BEHIND_STREAM, a lag, or a difference
 *   when the system should be quiescent.
 *
 * One XINFO STREAM per symbol gives the length, first and last entries, last generated id and the
 * count of entries ever added (Redis 7), so removed entries are known without reading any.
 */

const CHECKPOINTS = loadSqlStatement('audit-checkpoints.sql');

export interface CheckpointState {
  readonly lastStreamId: string;
  readonly lastSeq: string;
}

export interface StreamState {
  readonly length: number;
  /** null: the stream is empty. */
  readonly firstEntryId: string | null;
  readonly lastEntryId: string | null;
  /** The highest id the stream ever generated ('0-0': none). */
  readonly lastGeneratedId: string;
  /** Entries ever added (Redis ≥ 7; null before): more than `length` means some were removed. */
  readonly entriesAdded: number | null;
}

export interface SymbolStatus {
  readonly symbol: string;
  /** null: no symbol_checkpoints row. */
  readonly checkpoint: CheckpointState | null;
  /** null: no stream key (or not a stream: the Redis half reports that). */
  readonly stream: StreamState | null;
}

export async function readCheckpoints(pool: Pool): Promise<Map<string, CheckpointState>> {
  const [rows] = await pool.query<RowDataPacket[]>(CHECKPOINTS.sql);
  return new Map(
    rows.map((row) => [
      String(row.symbol),
      { lastStreamId: String(row.last_stream_id), lastSeq: String(row.last_seq) },
    ]),
  );
}

/** `streams`: the stream keys found in Redis, by symbol. */
export async function auditStreams(
  redis: RedisClient,
  keys: Keys,
  findings: Findings,
  checkpoints: ReadonlyMap<string, CheckpointState>,
  streams: ReadonlyMap<string, string>,
): Promise<SymbolStatus[]> {
  const statuses: SymbolStatus[] = [];
  const symbols = [...new Set([...checkpoints.keys(), ...streams.keys()])].sort(compare);
  for (const symbol of symbols) {
    const checkpoint = checkpoints.get(symbol) ?? null;
    let key = streams.get(symbol);
    if (key === undefined) {
      try {
        key = keys.orderStream(symbol);
      } catch {
        findings.difference({
          kind: 'MYSQL_CORRUPT_ROW',
          symbol,
          message: `symbol_checkpoints: ${JSON.stringify(symbol)} is not a symbol`,
        });
        continue;
      }
    }
    const stream = await streamState(redis, key);
    if (stream !== 'not a stream') {
      statuses.push({ symbol, checkpoint, stream });
      checkSymbol(findings, symbol, checkpoint, stream);
    }
  }
  return statuses;
}

function checkSymbol(
  findings: Findings,
  symbol: string,
  checkpoint: CheckpointState | null,
  stream: StreamState | null,
): void {
  const at = checkpoint?.lastStreamId ?? '0-0';
  const cp = checkpoint ? `checkpoint ${at} (seq ${checkpoint.lastSeq})` : 'no checkpoint row';
  const mysql: SideValues = { lastStreamId: checkpoint ? at : null, lastSeq: checkpoint?.lastSeq ?? null };
  if (stream === null) {
    if (at === '0-0') return;
    findings.difference({
      kind: 'STREAM_MISSING',
      symbol,
      mysql,
      message: `${symbol}: ${cp}, but Redis has no stream: Redis lost it (its entries after the checkpoint are gone)`,
    });
    return;
  }
  const redis = {
    firstEntryId: stream.firstEntryId,
    lastEntryId: stream.lastEntryId,
    lastGeneratedId: stream.lastGeneratedId,
    length: String(stream.length),
    entriesAdded: stream.entriesAdded === null ? null : String(stream.entriesAdded),
  };
  const where = { symbol, redis, mysql };
  const ids =
    `stream first entry ${stream.firstEntryId ?? 'none'}, last entry ${stream.lastEntryId ?? 'none'}, ` +
    `last generated ${stream.lastGeneratedId}, length ${stream.length}`;
  if (compareIds(at, stream.lastGeneratedId) > 0) {
    findings.difference({
      ...where,
      kind: 'CHECKPOINT_AHEAD_OF_STREAM',
      message: `${symbol}: ${cp} is past every id the stream generated (${ids}): MySQL claims entries Redis never had`,
    });
    return;
  }
  const removed = stream.entriesAdded === null ? null : stream.entriesAdded - stream.length;
  const lost =
    stream.firstEntryId === null
      ? compareIds(stream.lastGeneratedId, at) > 0
      : compareIds(stream.firstEntryId, at) > 0 && (removed === null ? at !== '0-0' : removed > 0);
  if (lost) {
    findings.difference({
      ...where,
      kind: 'STREAM_TRIMMED_PAST_CHECKPOINT',
      message: `${symbol}: ${cp}, but entries after it were removed (${ids}): commands MySQL never made durable are lost`,
    });
    return;
  }
  const end = stream.lastEntryId ?? stream.lastGeneratedId;
  if (compareIds(at, end) < 0) {
    findings.lagOrDifference({
      ...where,
      kind: 'CHECKPOINT_BEHIND_STREAM',
      message: `${symbol}: ${cp} is behind the stream's last entry ${end} (${ids})`,
    });
  }
}

async function streamState(redis: RedisClient, key: string): Promise<StreamState | null | 'not a stream'> {
  let reply: unknown[];
  try {
    reply = (await redis.xinfo('STREAM', key)) as unknown[];
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (message.startsWith('WRONGTYPE')) return 'not a stream';
    if (/no such key/i.test(message)) return null;
    throw error;
  }
  const info = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) info.set(String(reply[i]), reply[i + 1]);
  const entryId = (entry: unknown) => (Array.isArray(entry) ? String(entry[0]) : null);
  const added = info.get('entries-added');
  return {
    length: Number(info.get('length')),
    firstEntryId: entryId(info.get('first-entry')),
    lastEntryId: entryId(info.get('last-entry')),
    lastGeneratedId: String(info.get('last-generated-id') ?? '0-0'),
    entriesAdded: added === undefined || added === null ? null : Number(added),
  };
}
