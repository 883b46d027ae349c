/**
 * The end of a run, when no more orders come: wait until every symbol's stream is fully read and
 * durable in MySQL (its checkpoint at the stream's last generated id, the group's read mark there
 * too), then check the orders themselves: every order the API acknowledged is in MySQL, in a final
 * state (filled, canceled, expired, rejected), and no order exists that nobody asked for.
 */
import type { Redis } from 'ioredis';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { loadStatement } from '../../../src/mysql/sql-files.ts';
import { createKeys } from '../../../src/redis/keys.ts';
import { sleep } from './wait.ts';

const SQL_DIR = new URL('./sql/', import.meta.url);
const CHECKPOINTS = loadStatement(SQL_DIR, 'bench-checkpoints.sql');
const ORDERS_CHUNK = loadStatement(SQL_DIR, 'bench-orders-chunk.sql');
const CHUNK = 5000;
const FINAL = new Set(['filled', 'canceled', 'expired', 'rejected']);

function pairs(reply: unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  return map;
}

/** Symbols whose stream is not fully read and durable yet (none: quiescent). */
export async function symbolsBehind(
  redis: Redis,
  pool: Pool,
  keyPrefix: string,
  symbols: readonly string[],
): Promise<string[]> {
  const keys = createKeys(keyPrefix);
  const [rows] = await pool.query<RowDataPacket[]>(CHECKPOINTS);
  const checkpoints = new Map(rows.map((r) => [String(r.symbol), String(r.last_stream_id)]));
  const behind: string[] = [];
  for (const symbol of symbols) {
    const stream = keys.orderStream(symbol);
    if ((await redis.exists(stream)) === 0) continue;
    const last = String(pairs((await redis.xinfo('STREAM', stream)) as unknown[]).get('last-generated-id'));
    const groups = ((await redis.xinfo('GROUPS', stream)) as unknown[][]).map(pairs);
    const mark = groups.find((g) => g.get('name') === 'matchers')?.get('last-delivered-id');
    if (checkpoints.get(symbol) !== last || String(mark) !== last) behind.push(symbol);
  }
  return behind;
}

/** Waits until no symbol is behind; returns how long it took, or throws with the laggards. */
export async function waitForQuiescence(
  redis: Redis,
  pool: Pool,
  keyPrefix: string,
  symbols: readonly string[],
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const behind = await symbolsBehind(redis, pool, keyPrefix, symbols);
    if (behind.length === 0) return performance.now() - started;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`not quiescent after ${timeoutMs} ms: ${behind.join(', ')} not durable in MySQL yet`);
    }
    await sleep(200);
  }
}

export interface OrdersCheck {
  /** Orders of the run's users in MySQL. */
  readonly inMysql: number;
  readonly acknowledged: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly rejectReasons: Readonly<Record<string, number>>;
  /** Acknowledged orders MySQL does not hold (lost), with a few ids. */
  readonly missing: number;
  readonly missingSample: readonly string[];
  /** Orders still new or partially filled after every user canceled everything. */
  readonly notFinal: number;
  readonly notFinalSample: readonly string[];
  /** Orders nobody got an acknowledgement for (at most the places whose answer was lost may be). */
  readonly unacknowledged: number;
  readonly unknownPlaces: number;
  /** The same order id acknowledged twice. */
  readonly duplicateAcks: number;
}

export async function checkOrders(
  pool: Pool,
  options: {
    readonly firstUser: number;
    readonly lastUser: number;
    readonly sinceMs: number;
    readonly acknowledged: Iterable<string>;
    readonly unknownPlaces: number;
  },
): Promise<OrdersCheck> {
  const acked = new Set<string>();
  let ackCount = 0;
  for (const id of options.acknowledged) {
    acked.add(id);
    ackCount++;
  }
  const byStatus: Record<string, number> = {};
  const rejectReasons: Record<string, number> = {};
  const notFinalSample: string[] = [];
  let notFinal = 0;
  let inMysql = 0;
  let found = 0;
  let after = '0';
  for (;;) {
    const [rows] = await pool.query<RowDataPacket[]>(ORDERS_CHUNK, [
      options.firstUser,
      options.lastUser,
      options.sinceMs,
      after,
      CHUNK,
    ]);
    for (const row of rows) {
      const id = String(row.order_id);
      const status = String(row.status);
      inMysql++;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (row.reject_reason !== null) {
        const reason = `${status} ${String(row.reject_reason)}`;
        rejectReasons[reason] = (rejectReasons[reason] ?? 0) + 1;
      }
      if (!FINAL.has(status) && notFinal++ < 5) notFinalSample.push(`${id} (${status})`);
      if (acked.delete(id)) found++;
    }
    if (rows.length < CHUNK) break;
    after = String(rows[rows.length - 1]!.order_id);
  }
  return {
    inMysql,
    acknowledged: ackCount,
    byStatus,
    rejectReasons,
    missing: acked.size,
    missingSample: [...acked].slice(0, 5),
    notFinal,
    notFinalSample,
    unacknowledged: inMysql - found,
    unknownPlaces: options.unknownPlaces,
    duplicateAcks: ackCount - (found + acked.size),
  };
}
