/**
 * What a user reads about their own account: one order, their orders on a symbol, their fills,
 * their balances. Another user's order is a 404, indistinguishable from a missing one.
 */
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth.ts';
import { limitOf, statusesOf } from '../order-request.ts';
import { assetPrecisions, presentBalance, presentOrder, presentUserTrade } from '../present.ts';
import { BEARER, errorResponses } from '../schemas/common.ts';
import { BALANCE } from '../schemas/markets.ts';
import {
  ORDER_LIST_QUERY,
  ORDER_PARAMS,
  ORDER_REF,
  TRADE_LIST_QUERY,
  USER_TRADE,
} from '../schemas/orders.ts';
import { marketOf, marketOfOrder, ownOrder, type RouteContext } from './context.ts';

export function accountRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ports } = ctx;

  app.get<{ Params: { orderId: string } }>(
    '/v1/orders/:orderId',
    {
      onRequest: ctx.auth.user,
      schema: {
        summary: 'One of your orders',
        tags: ['orders'],
        security: BEARER,
        params: ORDER_PARAMS,
        response: { 200: ORDER_REF, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const order = await ownOrder(ctx, principalOf(request).userId, request.params.orderId);
      return presentOrder(await marketOfOrder(ctx, order), order);
    },
  );

  app.get<{ Querystring: { symbol: string; status?: string; limit?: string } }>(
    '/v1/orders',
    {
      onRequest: ctx.auth.user,
      schema: {
        summary: 'Your orders on a symbol, newest first',
        tags: ['orders'],
        security: BEARER,
        querystring: ORDER_LIST_QUERY,
        response: { 200: { type: 'array', items: ORDER_REF }, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { query } = request;
      const market = await marketOf(ctx, query.symbol);
      const orders = await ports.orders.listOrders({
        userId: principalOf(request).userId,
        symbol: market.definition.symbol,
        statuses: statusesOf(query.status),
        limit: limitOf(query.limit),
      });
      return orders.map((order) => presentOrder(market, order));
    },
  );

  app.get<{ Querystring: { symbol: string; limit?: string } }>(
    '/v1/trades',
    {
      onRequest: ctx.auth.user,
      schema: {
        summary: 'Your fills on a symbol, newest first',
        tags: ['account'],
        security: BEARER,
        querystring: TRADE_LIST_QUERY,
        response: { 200: { type: 'array', items: USER_TRADE }, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const market = await marketOf(ctx, request.query.symbol);
      const trades = await ports.orders.listTrades({
        userId: principalOf(request).userId,
        symbol: market.definition.symbol,
        limit: limitOf(request.query.limit),
      });
      return trades.map((trade) => presentUserTrade(market, trade));
    },
  );

  app.get(
    '/v1/balances',
    {
      onRequest: ctx.auth.user,
      schema: {
        summary: 'Your balances: available and locked (held for open orders)',
        tags: ['account'],
        security: BEARER,
        response: { 200: { type: 'array', items: BALANCE }, ...errorResponses(401) },
      },
    },
    async (request) => {
      const [balances, markets] = await Promise.all([
        ports.balances.list(principalOf(request).userId),
        ports.markets.list(),
      ]);
      const precisions = assetPrecisions(markets);
      return balances.map((balance) => presentBalance(precisions, balance));
    },
  );
}
