import type { OrderListQuery, OrderQueries, OrderRecord, UserTradeRecord } from '../../api/ports.ts';
import { ApiError, isStoreUnreachable } from '../../api/errors.ts';
import type { RedisOrderQueries } from '../../read-model/order-queries.ts';
import type { MysqlOrderQueries } from './mysql-order-queries.ts';
import {
  compareProgress,
  FIRST_PAGE,
  newestFillFirst,
  newestFirst,
  type OrderCursor,
  type StoredOrder,
} from './stored-orders.ts';

/**
 * The API's OrderQueries: MySQL (the system of record, behind by up to one WriteBuffer flush) with
 * the Redis read model in front as a hot cache that never disagrees with it once the writer caught up.
 *
 * - Redis has every open order, every order changed in the last 7 days and each user's newest 1 000
 *   fills per symbol, as of the last matcher batch. MySQL has every order and trade as of the last
 *   flush, and alone what Redis dropped (final orders after 7 days, older fills).
 * - An order both hold is served in its later state (compareProgress: Redis keeps no version, so
 *   the record's progress stands in; a tie goes to Redis, which the matcher writes first). When the
 *   writer has caught up both states are equal, so the answer is the same whichever store gives it.
 * - Lists merge both stores, deduplicated, newest first, at most `limit`, with the limit and status
 *   semantics of the Redis routes. A status filter applies to the order's later state: an order MySQL
 *   still shows open but Redis shows filled is not an open order. Each store is read a page at a
 *   time until no unread order could rank in the answer (see listOrders).
 *
 * When MySQL does not answer, an order Redis holds is still served (it is the later state unless
 * Redis lost writes); anything that needs MySQL answers 503 UNAVAILABLE with a Retry-After rather
 * than a list silently missing its history or a 404 for an order that exists.
 */

/** What the hot cache is asked: RedisOrderQueries fits. */
export type HotOrders = Pick<RedisOrderQueries, 'getOrder' | 'getOrders' | 'listOrders' | 'listTrades'>;
/** What the system of record is asked: MysqlOrderQueries fits. */
export type DurableOrders = Pick<
  MysqlOrderQueries,
  'listTrades' | 'storedOrders' | 'storedPage' | 'withFills'
>;

/** A state of an order and where it comes from; `stored` when it is MySQL's (its fills still to read). */
interface Resolved {
  readonly record: OrderRecord;
  readonly stored: StoredOrder | undefined;
}

export class HotCachedOrderQueries implements OrderQueries {
  constructor(
    private readonly hot: HotOrders,
    private readonly durable: DurableOrders,
  ) {}

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    const [hot, stored] = await Promise.allSettled([
      this.hot.getOrder(orderId),
      this.durable.storedOrders([orderId]),
    ]);
    if (hot.status === 'rejected') throw hot.reason;
    if (stored.status === 'rejected') {
      if (hot.value !== undefined) return hot.value;
      throw unavailable(stored.reason);
    }
    const later = laterOf(hot.value ?? null, stored.value.get(orderId) ?? null);
    if (later === undefined) return undefined;
    return later.stored === undefined ? later.record : (await this.filled([later.stored]))[0];
  }

  /**
   * Redis alone when it holds the order: the matcher writes it there before MySQL, so its state is
   * the later one unless Redis lost writes (then the engine, which checks again, decides). Only an
   * order Redis does not hold (placed a moment ago, or final and expired from Redis) costs the MySQL
   * read. A cancel spared that query: at 4,000 orders/s with a quarter of them cancels, MySQL
   * lookups were ~15 % of the API's CPU (bench:e2e).
   */
  async getLatestOrder(orderId: string): Promise<OrderRecord | undefined> {
    return (await this.hot.getOrder(orderId)) ?? this.getOrder(orderId);
  }

  /**
   * The user's orders in the statuses asked, newest first, at most `limit`. Candidates are Redis's
   * list and MySQL's pages (keyset, newest first); each candidate's state in the other store is read
   * by id, and the later one kept and filtered. An order whose later state matches is listed by the
   * store that holds that state, so an order that neither list showed yet ranks after that list's last
   * one: once the `limit`-th answer ranks no later than each unfinished list's last, nothing unread
   * can enter. Until then the unfinished lists are read further (rare: only orders whose two states
   * differ, within a flush of a change, can drop out of a list's page).
   */
  async listOrders(query: OrderListQuery): Promise<readonly OrderRecord[]> {
    const { userId, symbol, statuses, limit } = query;
    if (limit <= 0 || (statuses !== undefined && statuses.length === 0)) return [];
    const wanted = statuses === undefined ? undefined : new Set(statuses);
    const hot = new Map<string, OrderRecord | null>();
    const stored = new Map<string, StoredOrder | null>();
    const hotList = { size: limit, done: false, last: undefined as OrderCursor | undefined };
    const storedList = { after: FIRST_PAGE, done: false, last: undefined as OrderCursor | undefined };
    let readHot = true;
    let readStored = true;
    let answer: Resolved[];
    for (;;) {
      const [hotPage, storedPage] = await Promise.all([
        readHot ? this.hot.listOrders({ ...query, limit: hotList.size }) : undefined,
        readStored ? this.durable.storedPage(query, storedList.after, limit) : undefined,
      ]).catch(rethrowUnavailable);
      if (hotPage !== undefined) {
        for (const record of hotPage) hot.set(record.orderId, record);
        hotList.done = hotPage.length < hotList.size;
        hotList.last = hotPage.at(-1);
        hotList.size *= 2;
      }
      if (storedPage !== undefined) {
        for (const order of storedPage) stored.set(order.record.orderId, order);
        storedList.done = storedPage.length < limit;
        storedList.last = storedPage.at(-1)?.record;
        if (storedList.last !== undefined) storedList.after = storedList.last;
      }
      await this.completePairs(hot, stored);

      answer = [];
      for (const [orderId, record] of hot) {
        const later = laterOf(record, stored.get(orderId) ?? null);
        if (later === undefined) continue;
        const r = later.record;
        if (r.userId !== userId || r.symbol !== symbol) continue;
        if (wanted !== undefined && !wanted.has(r.status)) continue;
        answer.push(later);
      }
      answer.sort((a, b) => newestFirst(a.record, b.record));
      const boundary = answer.length >= limit ? answer[limit - 1]!.record : undefined;
      const readFurther = (list: { done: boolean; last: OrderCursor | undefined }) =>
        !list.done && (boundary === undefined || newestFirst(boundary, list.last!) > 0);
      readHot = readFurther(hotList);
      readStored = readFurther(storedList);
      if (!readHot && !readStored) break;
    }
    answer = answer.slice(0, limit);
    const filled = await this.filled(answer.flatMap((a) => (a.stored === undefined ? [] : [a.stored])));
    const byId = new Map(filled.map((record) => [record.orderId, record]));
    return answer.map((a) => (a.stored === undefined ? a.record : byId.get(a.record.orderId)!));
  }

  /**
   * The user's fills, newest first, at most `limit`: the union of both stores' newest `limit`.
   * Trades never change, so each store's list is a prefix of its fills in one order, and the merged
   * prefixes hold the answer.
   */
  async listTrades(query: {
    userId: number;
    symbol: string;
    limit: number;
  }): Promise<readonly UserTradeRecord[]> {
    if (query.limit <= 0) return [];
    const [hot, stored] = await Promise.all([
      this.hot.listTrades(query),
      this.durable.listTrades(query).catch(rethrowUnavailable),
    ]);
    const merged = new Map<string, UserTradeRecord>();
    for (const trade of [...stored, ...hot]) merged.set(`${trade.tradeId} ${trade.liquidity}`, trade);
    return [...merged.values()].sort(newestFillFirst).slice(0, query.limit);
  }

  /** Reads, for every candidate, its state in the store that has not been asked about it yet. */
  private async completePairs(
    hot: Map<string, OrderRecord | null>,
    stored: Map<string, StoredOrder | null>,
  ): Promise<void> {
    const askHot = [...stored.keys()].filter((id) => !hot.has(id));
    const askStored = [...hot.keys()].filter((id) => !stored.has(id));
    const [hotFound, storedFound] = await Promise.all([
      askHot.length === 0 ? [] : this.hot.getOrders(askHot),
      askStored.length === 0 ? new Map<string, StoredOrder>() : this.durable.storedOrders(askStored),
    ]).catch(rethrowUnavailable);
    askHot.forEach((id, i) => hot.set(id, hotFound[i] ?? null));
    for (const id of askStored) stored.set(id, storedFound.get(id) ?? null);
  }

  private async filled(orders: readonly StoredOrder[]): Promise<OrderRecord[]> {
    return this.durable.withFills(orders).catch(rethrowUnavailable);
  }
}

/** The later of an order's two states, or undefined when neither store has it; Redis on a tie. */
function laterOf(hot: OrderRecord | null, stored: StoredOrder | null): Resolved | undefined {
  if (stored === null) return hot === null ? undefined : { record: hot, stored: undefined };
  if (hot === null || compareProgress(stored.record, hot) > 0) {
    return { record: stored.record, stored };
  }
  return { record: hot, stored: undefined };
}

/** A store out of reach is a 503 UNAVAILABLE the client may retry (Retry-After); anything else is a bug. */
function unavailable(error: unknown): unknown {
  if (!isStoreUnreachable(error)) return error;
  return new ApiError('UNAVAILABLE', 'order history is unavailable for a moment', {
    cause: error,
    retryAfterSeconds: 1,
  });
}

function rethrowUnavailable(error: unknown): never {
  throw unavailable(error);
}
