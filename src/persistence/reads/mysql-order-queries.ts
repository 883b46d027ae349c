import type { Pool, RowDataPacket } from 'mysql2/promise';
import type {
  MarketDirectory,
  OrderListQuery,
  OrderQueries,
  OrderRecord,
  UserTradeRecord,
} from '../../api/ports.ts';
import { loadSqlStatement } from '../../mysql/sql-statements.ts';
import {
  FIRST_PAGE,
  isStoredId,
  orderOfRow,
  userTradeOfRow,
  recordWithFills,
  type MarketAssets,
  type OrderCursor,
  type OrderFillRow,
  type OrderRow,
  type StoredOrder,
  type UserTradeRow,
} from './stored-orders.ts';

/**
 * The API's OrderQueries over MySQL, the system of record (docs/mysql.md): orders as their latest
 * stored state with the fills of that state (trades joined by maker and taker order id), a user's
 * fills from `trades`, in the exact shapes the Redis read model serves. Used alone it lags the
 * matcher by up to a WriteBuffer flush; HotCachedOrderQueries puts Redis in front of it.
 *
 * Statements are files of src/mysql/sql/ run through the text protocol (`query`): LIMIT takes a
 * literal there, and ids travel as decimal strings that the statements convert exactly (a BIGINT
 * compared with a quoted string would compare as a double). Each read is one or two statements; the
 * second (fills) keeps only trades up to the order row's version, so a flush committed between them
 * never shows fills the row's state does not count.
 */

const BY_IDS = loadSqlStatement('orders-select-by-ids.sql');
const BY_USER = loadSqlStatement('orders-select-by-user.sql');
const FILLS = loadSqlStatement('trades-select-by-orders.sql');
const USER_TRADES = loadSqlStatement('trades-select-by-user.sql');

/** Markets are never deleted (routes/admin.ts): a stored order's market is always known. */
export type MarketLookup = Pick<MarketDirectory, 'get'>;

export class MysqlOrderQueries implements OrderQueries {
  constructor(
    private readonly pool: Pool,
    private readonly markets: MarketLookup,
  ) {}

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    const stored = (await this.storedOrders([orderId])).get(orderId);
    return stored === undefined ? undefined : (await this.withFills([stored]))[0];
  }

  async listOrders(query: OrderListQuery): Promise<readonly OrderRecord[]> {
    return this.withFills(await this.storedPage(query, FIRST_PAGE, query.limit));
  }

  async listTrades(query: {
    userId: number;
    symbol: string;
    limit: number;
  }): Promise<readonly UserTradeRecord[]> {
    const { userId, symbol, limit } = query;
    if (limit <= 0) return [];
    const rows = await this.select<UserTradeRow>(USER_TRADES.sql, [
      userId,
      symbol,
      limit,
      userId,
      symbol,
      limit,
      limit,
    ]);
    if (rows.length === 0) return [];
    const assets = await this.assetsOf(symbol);
    return rows.map((row) => userTradeOfRow(row, symbol, assets));
  }

  /** The stored state (without fills) of each of `orderIds` MySQL holds; ids it cannot hold are absent. */
  async storedOrders(orderIds: readonly string[]): Promise<Map<string, StoredOrder>> {
    const ids = [...new Set(orderIds)].filter(isStoredId);
    const found = new Map<string, StoredOrder>();
    if (ids.length === 0) return found;
    for (const row of await this.select<OrderRow>(BY_IDS.sql, [JSON.stringify(ids)])) {
      const order = orderOfRow(row);
      found.set(order.record.orderId, order);
    }
    return found;
  }

  /**
   * Up to `size` of the user's orders on the symbol in the query's statuses, newest first, strictly
   * after `after` (FIRST_PAGE for the newest): one page, without fills.
   */
  async storedPage(query: OrderListQuery, after: OrderCursor, size: number): Promise<StoredOrder[]> {
    const { userId, symbol, statuses } = query;
    if (size <= 0 || (statuses !== undefined && statuses.length === 0)) return [];
    const filter = statuses === undefined ? null : statuses.join(',');
    const rows = await this.select<OrderRow>(BY_USER.sql, [
      userId,
      symbol,
      after.createdAt,
      after.createdAt,
      after.orderId,
      filter,
      filter,
      size,
    ]);
    return rows.map(orderOfRow);
  }

  /** The records of stored orders with their fills (one statement for all), in the same order. */
  async withFills(orders: readonly StoredOrder[]): Promise<OrderRecord[]> {
    if (orders.length === 0) return [];
    const ids = JSON.stringify(orders.map((order) => order.record.orderId));
    const byOrder = new Map<string, OrderFillRow[]>();
    for (const row of await this.select<OrderFillRow>(FILLS.sql, [ids, ids])) {
      const id = String(row.order_id);
      let list = byOrder.get(id);
      if (list === undefined) byOrder.set(id, (list = []));
      list.push(row);
    }
    const assets = new Map<string, MarketAssets>();
    for (const symbol of new Set(orders.map((order) => order.record.symbol))) {
      assets.set(symbol, await this.assetsOf(symbol));
    }
    return orders.map((order) =>
      recordWithFills(order, byOrder.get(order.record.orderId) ?? [], assets.get(order.record.symbol)!),
    );
  }

  private async assetsOf(symbol: string): Promise<MarketAssets> {
    const market = await this.markets.get(symbol);
    if (market === undefined) throw new Error(`stored orders name unknown market ${symbol}`);
    return market.definition;
  }

  private async select<T>(sql: string, values: unknown[]): Promise<T[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(sql, values);
    return rows as unknown as T[];
  }
}
