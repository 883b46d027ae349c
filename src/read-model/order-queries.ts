/**
 * The API's OrderQueries over the Redis read model (docs/pipeline.md): an order by id, a user's
 * orders on a symbol newest first, a user's fills. Also `getOrders`, the matcher's batch load of
 * previous records (OrderProjection's LoadOrders).
 *
 * Order keys are alone in their Cluster slot, so several of them are read with `getMany` (MGET on a
 * single Redis, concurrent GETs on a Cluster). A listed id whose record is gone (a final order past
 * its 7 days, or, on a Cluster, one whose record is on a master the matcher's batch has not reached
 * yet) is skipped.
 */
import {
  OPEN_STATUSES,
  type OrderListQuery,
  type OrderQueries,
  type OrderRecord,
  type UserTradeRecord,
} from '../api/ports.ts';
import type { RedisClient } from '../redis/connection.ts';
import { getMany } from '../redis/get-many.ts';
import { KeyError, type Keys } from '../redis/keys.ts';

/** Ids read per round trip when a list must skip records (expired, or not in the statuses asked). */
const PAGE = 200;

export class RedisOrderQueries implements OrderQueries {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    const key = orderKey(this.keys, orderId);
    if (key === undefined) return undefined;
    return parseOrder(await this.redis.get(key));
  }

  /** Records aligned with `orderIds` (undefined where none), read with `getMany`. */
  async getOrders(orderIds: readonly string[]): Promise<Array<OrderRecord | undefined>> {
    const result: Array<OrderRecord | undefined> = new Array(orderIds.length).fill(undefined);
    const positions: number[] = [];
    const keys: string[] = [];
    orderIds.forEach((orderId, i) => {
      const key = orderKey(this.keys, orderId);
      if (key === undefined) return;
      positions.push(i);
      keys.push(key);
    });
    if (keys.length === 0) return result;
    (await getMany(this.redis, keys)).forEach((value, j) => {
      result[positions[j]!] = parseOrder(value);
    });
    return result;
  }

  async listOrders(query: OrderListQuery): Promise<readonly OrderRecord[]> {
    const { userId, symbol, statuses, limit } = query;
    if (limit <= 0 || (statuses !== undefined && statuses.length === 0)) return [];
    const openOnly = statuses !== undefined && statuses.every((s) => OPEN_STATUSES.includes(s));
    const key = keyOrUndefined(() =>
      openOnly ? this.keys.userOpenOrders(userId, symbol) : this.keys.userOrders(userId, symbol),
    );
    if (key === undefined) return [];
    const wanted = statuses === undefined ? undefined : new Set(statuses);
    const filtering = wanted !== undefined && !(openOnly && OPEN_STATUSES.every((s) => wanted.has(s)));
    const found: OrderRecord[] = [];
    // Pages of `limit` when every listed id should be returned (only expired records are skipped),
    // larger ones when a status filter may skip many.
    const page = filtering ? Math.max(limit, PAGE) : limit;
    for (let start = 0; found.length < limit; start += page) {
      const ids = await this.redis.zrevrange(key, start, start + page - 1);
      if (ids.length === 0) break;
      for (const order of await this.getOrders(ids)) {
        if (order === undefined || order.userId !== userId || order.symbol !== symbol) continue;
        if (wanted !== undefined && !wanted.has(order.status)) continue;
        found.push(order);
        if (found.length === limit) break;
      }
      if (ids.length < page) break;
    }
    return found;
  }

  async listTrades(query: {
    userId: number;
    symbol: string;
    limit: number;
  }): Promise<readonly UserTradeRecord[]> {
    if (query.limit <= 0) return [];
    const key = keyOrUndefined(() => this.keys.userFills(query.userId, query.symbol));
    if (key === undefined) return [];
    const values = await this.redis.lrange(key, 0, query.limit - 1);
    return values.map((value) => JSON.parse(value) as UserTradeRecord);
  }
}

function parseOrder(value: string | null): OrderRecord | undefined {
  return value === null ? undefined : (JSON.parse(value) as OrderRecord);
}

/** An id that cannot name a key names no order. */
function orderKey(keys: Keys, orderId: string): string | undefined {
  return keyOrUndefined(() => keys.order(orderId));
}

function keyOrUndefined(make: () => string): string | undefined {
  try {
    return make();
  } catch (error) {
    if (error instanceof KeyError) return undefined;
    throw error;
  }
}
