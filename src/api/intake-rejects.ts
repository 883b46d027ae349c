/**
 * Counts the places and amends refused before they reached the stream (`exchange_intake_rejects_total`,
 * DESIGN.md §6): bad input, a final or unknown order, a halted market, a backlogged symbol. A refusal
 * that comes back from the engine with `?wait=true` happened after the stream and is the matcher's
 * to count (exchange_rejects_total), so the routes mark a request once its command is appended.
 * Authentication failures are not intake refusals (they have their HTTP status series).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UNKNOWN_SYMBOL_LABEL } from '../observability/metrics.ts';
import { toApiError } from './error-handler.ts';
import type { ErrorCode } from './errors.ts';
import type { ApiPorts } from './ports.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's command is in the stream: a refusal from here on is the engine's. */
    commandAppended: boolean;
  }
}

/** Routes whose refusals count, by method and route pattern. */
const INTAKE_ROUTES: ReadonlySet<string> = new Set(['POST /v1/orders', 'PATCH /v1/orders/:orderId']);

/** Codes that are not about the command. */
const NOT_INTAKE: ReadonlySet<ErrorCode> = new Set([
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'NOT_FOUND',
]);

/** Called by a route right after its intake call succeeded. */
export function markAppended(request: FastifyRequest): void {
  request.commandAppended = true;
}

export function installIntakeRejectCounting(
  app: FastifyInstance,
  ports: Pick<ApiPorts, 'markets' | 'metrics'>,
): void {
  app.decorateRequest('commandAppended', false);
  const count = ports.metrics.intakeRejected?.bind(ports.metrics);
  if (count === undefined) return;
  app.addHook('onError', async (request, _reply, error) => {
    if (request.commandAppended || !INTAKE_ROUTES.has(`${request.method} ${request.routeOptions.url}`))
      return;
    const { code, httpStatus } = toApiError(error);
    if (NOT_INTAKE.has(code) || (httpStatus >= 500 && code !== 'SYMBOL_BACKLOGGED')) return;
    count({ symbol: await knownSymbol(ports, request), code });
  });
}

/** The symbol the request names, when it is a market's; the raw input never becomes a label. */
async function knownSymbol(ports: Pick<ApiPorts, 'markets'>, request: FastifyRequest): Promise<string> {
  const fromBody = (request.body as { symbol?: unknown } | undefined)?.symbol;
  const fromQuery = (request.query as { symbol?: unknown } | undefined)?.symbol;
  const symbol = request.method === 'POST' ? fromBody : fromQuery;
  if (typeof symbol !== 'string' || symbol.length === 0 || symbol.length > 64) return UNKNOWN_SYMBOL_LABEL;
  const market = await ports.markets.get(symbol).catch(() => undefined);
  return market?.definition.symbol ?? UNKNOWN_SYMBOL_LABEL;
}
