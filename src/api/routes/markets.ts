/** Public market routes: the market list, a market's depth and its recent trades. No token needed. */
import type { FastifyInstance } from 'fastify';
import { limitOf } from '../order-request.ts';
import { presentDepth, presentMarket, presentPublicTrade } from '../present.ts';
import { errorResponses } from '../schemas/common.ts';
import { DEPTH, LIMIT_QUERY, MARKET_PARAMS, MARKET_REF, PUBLIC_TRADE } from '../schemas/markets.ts';
import { pathMarketOf, type RouteContext } from './context.ts';

interface MarketRoute {
  Params: { symbol: string };
  Querystring: { limit?: string };
}

export function marketRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ports } = ctx;

  app.get(
    '/v1/markets',
    {
      schema: {
        summary: 'The markets and their rules',
        tags: ['markets'],
        response: { 200: { type: 'array', items: MARKET_REF }, ...errorResponses() },
      },
    },
    async () => {
      const markets = await ports.markets.list();
      return [...markets]
        .sort((a, b) => (a.definition.symbol < b.definition.symbol ? -1 : 1))
        .map(presentMarket);
    },
  );

  app.get<MarketRoute>(
    '/v1/markets/:symbol/depth',
    {
      schema: {
        summary: 'Aggregated price levels, best first, at most `limit` per side',
        tags: ['markets'],
        params: MARKET_PARAMS,
        querystring: LIMIT_QUERY,
        response: { 200: DEPTH, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const market = await pathMarketOf(ctx, request.params.symbol);
      const depth = await ports.marketData.depth(market.definition.symbol, limitOf(request.query.limit));
      return presentDepth(market, depth);
    },
  );

  app.get<MarketRoute>(
    '/v1/markets/:symbol/trades',
    {
      schema: {
        summary: 'Recent trades, newest first',
        tags: ['markets'],
        params: MARKET_PARAMS,
        querystring: LIMIT_QUERY,
        response: { 200: { type: 'array', items: PUBLIC_TRADE }, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const market = await pathMarketOf(ctx, request.params.symbol);
      const trades = await ports.marketData.recentTrades(
        market.definition.symbol,
        limitOf(request.query.limit),
      );
      return trades.map((trade) => presentPublicTrade(market, trade));
    },
  );
}
