/**
 * The routes that change orders: place, cancel, cancel all, amend. Each validates everything it can
 * before it calls the intake port, so a refused request leaves no trace; an accepted one answers
 * 202 once the command is durably in the symbol's stream, or, with `?wait=true`, the order as the
 * engine left it when that outcome arrives within the configured wait.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CompiledMarket } from '../../markets/market-rules.ts';
import { principalOf } from '../auth.ts';
import { markAppended } from '../intake-rejects.ts';
import {
  toAmendIntent,
  toPlaceIntent,
  waitOf,
  type AmendOrderBody,
  type PlaceOrderBody,
} from '../order-request.ts';
import type { CommandOutcome } from '../ports.ts';
import { presentOrder } from '../present.ts';
import { BEARER, errorResponses } from '../schemas/common.ts';
import {
  AMEND_ORDER_BODY,
  CANCEL_ALL_ACK,
  COMMAND_ACK,
  ORDER_PARAMS,
  ORDER_REF,
  PLACE_ORDER_BODY,
  SYMBOL_QUERY,
  SYMBOL_WAIT_QUERY,
  WAIT_QUERY,
} from '../schemas/orders.ts';
import {
  appendAndMaybeWait,
  marketOf,
  marketOfOrder,
  openOrderIfKnown,
  rejectionError,
  type RouteContext,
} from './context.ts';

const TAGS = ['orders'];
const COMMAND_RESPONSES = { 200: ORDER_REF, 202: COMMAND_ACK };

function ack(reply: FastifyReply, orderId: string, clientOrderId: string | null): FastifyReply {
  return reply.code(202).send({ orderId, clientOrderId, status: 'accepted' });
}

/** 200 with the order for an outcome, the mapped error for a refusal, the 202 ack for none. */
function answer(
  reply: FastifyReply,
  market: CompiledMarket,
  command: string,
  ids: { orderId: string; clientOrderId: string | null },
  outcome: CommandOutcome | null,
): FastifyReply {
  if (outcome === null) return ack(reply, ids.orderId, ids.clientOrderId);
  if (outcome.kind === 'rejected') throw rejectionError(command, ids.orderId, outcome.reason);
  return reply.code(200).send(presentOrder(market, outcome.order));
}

export function orderCommandRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ports } = ctx;

  app.post<{ Body: PlaceOrderBody; Querystring: { wait?: string } }>(
    '/v1/orders',
    {
      onRequest: ctx.auth.user,
      schema: {
        summary: 'Place an order',
        tags: TAGS,
        security: BEARER,
        querystring: WAIT_QUERY,
        body: PLACE_ORDER_BODY,
        response: { ...COMMAND_RESPONSES, ...errorResponses(400, 401, 409, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const market = await marketOf(ctx, request.body.symbol);
      const intent = toPlaceIntent(request.body, market, { orderId: ports.ids.next(), userId });
      const wait = waitOf(request.query.wait);
      let orderId = intent.orderId;
      const outcome = await appendAndMaybeWait(ctx, orderId, wait, async () => {
        const result = await ports.intake.place(market.definition.symbol, intent, { awaitOutcome: wait });
        markAppended(request);
        orderId = result.orderId;
        return !result.duplicate;
      });
      if (orderId !== intent.orderId && wait) {
        // A repeated clientOrderId: answer with the first order, as the read model has it by now.
        const first = await ports.orders.getOrder(orderId);
        if (first !== undefined && first.userId === userId) {
          return reply.code(200).send(presentOrder(await marketOfOrder(ctx, first), first));
        }
      }
      return answer(reply, market, 'place', { orderId, clientOrderId: intent.clientOrderId }, outcome);
    },
  );

  app.delete<{ Params: { orderId: string }; Querystring: { symbol: string; wait?: string } }>(
    '/v1/orders/:orderId',
    {
      onRequest: ctx.auth.user,
      schema: {
        summary: 'Cancel an order',
        tags: TAGS,
        security: BEARER,
        params: ORDER_PARAMS,
        querystring: SYMBOL_WAIT_QUERY,
        response: { ...COMMAND_RESPONSES, ...errorResponses(400, 401, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const { orderId } = request.params;
      const market = await marketOf(ctx, request.query.symbol);
      const symbol = market.definition.symbol;
      const known = await openOrderIfKnown(ctx, userId, orderId, symbol);
      const wait = waitOf(request.query.wait);
      const outcome = await appendAndMaybeWait(ctx, orderId, wait, async () => {
        await ports.intake.submit(symbol, { type: 'cancel', orderId, userId }, { awaitOutcome: wait });
        return true;
      });
      return answer(
        reply,
        market,
        'cancel',
        { orderId, clientOrderId: known?.clientOrderId ?? null },
        outcome,
      );
    },
  );

  app.delete<{ Querystring: { symbol: string } }>(
    '/v1/orders',
    {
      onRequest: ctx.auth.user,
      schema: {
        summary: "Cancel all the user's open orders on a symbol",
        tags: TAGS,
        security: BEARER,
        querystring: SYMBOL_QUERY,
        response: { 202: CANCEL_ALL_ACK, ...errorResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const symbol = (await marketOf(ctx, request.query.symbol)).definition.symbol;
      await ports.intake.submit(symbol, { type: 'cancelAll', userId }, { awaitOutcome: false });
      return reply.code(202).send({ symbol, status: 'accepted' });
    },
  );

  app.patch<{
    Params: { orderId: string };
    Querystring: { symbol: string; wait?: string };
    Body: AmendOrderBody;
  }>(
    '/v1/orders/:orderId',
    {
      onRequest: ctx.auth.user,
      schema: {
        summary:
          'Amend an order: a smaller quantity keeps its priority, a new price or larger quantity loses it',
        tags: TAGS,
        security: BEARER,
        params: ORDER_PARAMS,
        querystring: SYMBOL_WAIT_QUERY,
        body: AMEND_ORDER_BODY,
        response: { ...COMMAND_RESPONSES, ...errorResponses(400, 401, 404, 409, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const { orderId } = request.params;
      const market = await marketOf(ctx, request.query.symbol);
      const symbol = market.definition.symbol;
      const known = await openOrderIfKnown(ctx, userId, orderId, symbol);
      const command = toAmendIntent(request.body, market, { orderId, userId }, known);
      const wait = waitOf(request.query.wait);
      const outcome = await appendAndMaybeWait(ctx, orderId, wait, async () => {
        await ports.intake.submit(symbol, command, { awaitOutcome: wait });
        markAppended(request);
        return true;
      });
      return answer(
        reply,
        market,
        'amend',
        { orderId, clientOrderId: known?.clientOrderId ?? null },
        outcome,
      );
    },
  );
}
