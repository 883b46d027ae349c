/**
 * Operator routes (role admin): create or update a market, credit and debit balances.
 *
 * A live market keeps its assets, precisions, tick and lot size: resting orders and balances are
 * counted in those units, so changing them would silently reprice the book (409
 * MARKET_UPDATE_CONFLICT; open a new market instead). Status, minimum notional and fees may change.
 * A new market's fees, and every fee change, travel through the symbol's stream as a setFees command, appended *before* the
 * directory is updated: if the update then fails, a retry still sees the old fees and appends again
 * (harmless), whereas the other order could lose the command for good.
 */
import type { FastifyInstance } from 'fastify';
import {
  compileMarket,
  compileMarkets,
  MarketError,
  type CompiledMarket,
  type MarketDefinition,
} from '../../markets/market-rules.ts';
import { formatUnits } from '../../money/decimal.ts';
import { ApiError } from '../errors.ts';
import { convert, toAssetUnits } from '../order-request.ts';
import { assetPrecisions, presentMarket } from '../present.ts';
import { BEARER, errorResponses } from '../schemas/common.ts';
import {
  DEPOSIT_BODY,
  DEPOSIT_RESULT,
  MARKET_BODY,
  MARKET_PARAMS,
  MARKET_REF,
  WITHDRAWAL_BODY,
  WITHDRAWAL_RESULT,
} from '../schemas/markets.ts';
import type { RouteContext } from './context.ts';

const IMMUTABLE = ['base', 'quote', 'basePrecision', 'quotePrecision', 'tickSize', 'lotSize'] as const;
const TAGS = ['admin'];

type MarketBody = Omit<MarketDefinition, 'symbol'> & { symbol?: string };

interface BalanceBody {
  userId: number;
  asset: string;
  amount: string;
}

/** Checks the new definition against the others: one precision per asset, immutable fields kept. */
function checkAgainst(markets: readonly CompiledMarket[], next: CompiledMarket): CompiledMarket | undefined {
  const symbol = next.definition.symbol;
  const others = markets.filter((m) => m.definition.symbol !== symbol).map((m) => m.definition);
  try {
    compileMarkets([...others, next.definition]);
  } catch (error) {
    if (error instanceof MarketError) throw new ApiError('MARKET_UPDATE_CONFLICT', error.message);
    throw error;
  }
  const existing = markets.find((m) => m.definition.symbol === symbol);
  const changed = IMMUTABLE.filter((key) => existing && existing.definition[key] !== next.definition[key]);
  if (changed.length > 0) {
    throw new ApiError(
      'MARKET_UPDATE_CONFLICT',
      `${symbol}: ${changed.join(', ')} of a live market cannot change`,
    );
  }
  return existing;
}

export function adminRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ports } = ctx;

  const precisionOf = async (asset: string): Promise<number> => {
    const precision = assetPrecisions(await ports.markets.list()).get(asset);
    if (precision === undefined) throw new ApiError('UNKNOWN_ASSET', `no market trades ${asset}`);
    return precision;
  };

  app.put<{ Params: { symbol: string }; Body: MarketBody }>(
    '/v1/admin/markets/:symbol',
    {
      onRequest: ctx.auth.admin,
      schema: {
        summary: 'Create or update a market; live without restart',
        tags: TAGS,
        security: BEARER,
        params: MARKET_PARAMS,
        body: MARKET_BODY,
        response: { 200: MARKET_REF, 201: MARKET_REF, ...errorResponses(400, 401, 403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { symbol } = request.params;
      if (request.body.symbol !== undefined && request.body.symbol !== symbol) {
        throw new ApiError(
          'VALIDATION_ERROR',
          `body symbol ${request.body.symbol} differs from the path's ${symbol}`,
        );
      }
      const next = convert(() => compileMarket({ ...request.body, symbol }));
      const existing = checkAgainst(await ports.markets.list(), next);
      const fees = next.rules;
      // A new market's stream starts with its fees too: a book built without a snapshot then charges,
      // at every point of a replay, the fees that were in force there (not the directory's current ones).
      if (
        existing === undefined ||
        existing.rules.makerFeePpm !== fees.makerFeePpm ||
        existing.rules.takerFeePpm !== fees.takerFeePpm
      ) {
        await ports.intake.submit(symbol, {
          type: 'setFees',
          makerFeePpm: fees.makerFeePpm,
          takerFeePpm: fees.takerFeePpm,
        });
      }
      const { created } = await ports.markets.upsert(next);
      return reply.code(created ? 201 : 200).send(presentMarket(next));
    },
  );

  app.post<{ Body: BalanceBody & { depositId?: string } }>(
    '/v1/admin/deposits',
    {
      onRequest: ctx.auth.admin,
      schema: {
        summary: "Credit a user's available balance; idempotent on depositId",
        tags: TAGS,
        security: BEARER,
        body: DEPOSIT_BODY,
        response: { 200: DEPOSIT_RESULT, ...errorResponses(400, 401, 403, 413, 415, 503) },
      },
    },
    async (request) => {
      const { userId, asset, amount } = request.body;
      const precision = await precisionOf(asset);
      const units = toAssetUnits(amount, precision);
      const depositId = request.body.depositId ?? ports.ids.next();
      const recorded = await ports.balances.deposit({ userId, asset, amount: units, depositId });
      // A repeat answers with what the first request credited, whatever the repeat asked for.
      const recordedPrecision = recorded.asset === asset ? precision : await precisionOf(recorded.asset);
      return {
        depositId,
        userId,
        asset: recorded.asset,
        amount: formatUnits(recorded.amount, recordedPrecision),
        duplicate: recorded.duplicate,
      };
    },
  );

  app.post<{ Body: BalanceBody & { withdrawalId?: string } }>(
    '/v1/admin/withdrawals',
    {
      onRequest: ctx.auth.admin,
      schema: {
        summary: "Debit a user's available balance; idempotent on withdrawalId",
        tags: TAGS,
        security: BEARER,
        body: WITHDRAWAL_BODY,
        response: { 200: WITHDRAWAL_RESULT, ...errorResponses(400, 401, 403, 409, 413, 415, 503) },
      },
    },
    async (request) => {
      const { userId, asset, amount } = request.body;
      const precision = await precisionOf(asset);
      const units = toAssetUnits(amount, precision);
      const withdrawalId = request.body.withdrawalId ?? ports.ids.next();
      const result = await ports.balances.withdraw({ userId, asset, amount: units, withdrawalId });
      if (result.status === 'insufficient_funds') {
        throw new ApiError('INSUFFICIENT_FUNDS', `user ${userId} has less than ${amount} ${asset} available`);
      }
      const recordedPrecision = result.asset === asset ? precision : await precisionOf(result.asset);
      return {
        withdrawalId,
        userId,
        asset: result.asset,
        amount: formatUnits(result.amount, recordedPrecision),
        duplicate: result.duplicate,
      };
    },
  );
}
