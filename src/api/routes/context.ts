/**
 * What every route module receives, and the lookups several of them share: a market by symbol
 * (400 or 404 depending on where the symbol came from), an order that must be the caller's, and
 * the `?wait=true` dance with the outcome port.
 */
import type { Config } from '../../config/config.ts';
import type { CompiledMarket } from '../../markets/market-rules.ts';
import type { Authenticator } from '../auth.ts';
import { ApiError, type ErrorCode } from '../errors.ts';
import { OPEN_STATUSES, type ApiPorts, type CommandOutcome, type OrderRecord } from '../ports.ts';

export interface RouteContext {
  readonly config: Config;
  readonly ports: ApiPorts;
  readonly auth: Authenticator;
}

/** A symbol from a body or query: an unknown one is bad input (400 UNKNOWN_SYMBOL). */
export async function marketOf(ctx: RouteContext, symbol: string): Promise<CompiledMarket> {
  const market = await ctx.ports.markets.get(symbol);
  if (market === undefined) throw new ApiError('UNKNOWN_SYMBOL', `no market ${symbol}`);
  return market;
}

/** A symbol from a path: an unknown one is a missing resource (404 MARKET_NOT_FOUND). */
export async function pathMarketOf(ctx: RouteContext, symbol: string): Promise<CompiledMarket> {
  const market = await ctx.ports.markets.get(symbol);
  if (market === undefined) throw new ApiError('MARKET_NOT_FOUND', `no market ${symbol}`);
  return market;
}

/** The market of an order the read model holds; markets are never deleted, so it exists. */
export async function marketOfOrder(ctx: RouteContext, order: OrderRecord): Promise<CompiledMarket> {
  const market = await ctx.ports.markets.get(order.symbol);
  if (market === undefined) throw new Error(`order ${order.orderId} is on unknown market ${order.symbol}`);
  return market;
}

function notFound(orderId: string): ApiError {
  return new ApiError('ORDER_NOT_FOUND', `no order ${orderId}`);
}

/** The caller's order, or ORDER_NOT_FOUND: another user's order looks exactly like a missing one. */
export async function ownOrder(ctx: RouteContext, userId: number, orderId: string): Promise<OrderRecord> {
  const order = await ctx.ports.orders.getOrder(orderId);
  if (order === undefined || order.userId !== userId) throw notFound(orderId);
  return order;
}

/**
 * Before a cancel or amend: the order as the read model knows it, when it does. An order it shows
 * as someone else's, on another symbol, or final is refused here. One it does not know yet (placed
 * a moment ago) goes to the engine, which refuses it if it does not rest or is not the caller's.
 * So does one the reads cannot look up right now (MySQL down): the check is a courtesy, the engine's
 * is the rule, and a cancel must keep working while the history is unreachable.
 */
export async function openOrderIfKnown(
  ctx: RouteContext,
  userId: number,
  orderId: string,
  symbol: string,
): Promise<OrderRecord | undefined> {
  const { orders } = ctx.ports;
  const lookup = orders.getLatestOrder?.bind(orders) ?? orders.getOrder.bind(orders);
  const order = await lookup(orderId).catch((error: unknown) => {
    if (error instanceof ApiError && error.httpStatus === 503) return undefined;
    throw error;
  });
  if (order === undefined) return undefined;
  if (order.userId !== userId || order.symbol !== symbol) throw notFound(orderId);
  if (!OPEN_STATUSES.includes(order.status)) {
    throw new ApiError('ORDER_NOT_OPEN', `order ${orderId} is ${order.status}`);
  }
  return order;
}

/** Engine (or hold) refusals of a cancel or amend that have a code of their own; others are COMMAND_REJECTED. */
const REJECTION_CODES: Readonly<Record<string, ErrorCode>> = {
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  POST_ONLY_WOULD_TAKE: 'POST_ONLY_WOULD_TAKE',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
};

export function rejectionError(command: string, orderId: string, reason: string): ApiError {
  if (reason === 'ORDER_NOT_FOUND') return notFound(orderId);
  const code = Object.hasOwn(REJECTION_CODES, reason) ? REJECTION_CODES[reason]! : 'COMMAND_REJECTED';
  return new ApiError(code, `${command} of order ${orderId} refused: ${reason}`);
}

/**
 * Appends a command and, when the caller asked to wait, waits for its outcome. The watch starts
 * before the append so that a fast matcher cannot answer before anyone listens. Resolves to the
 * outcome, or null when not waiting, on timeout, or when `append` reports that nothing was appended.
 */
export async function appendAndMaybeWait(
  ctx: RouteContext,
  orderId: string,
  wait: boolean,
  append: () => Promise<boolean>,
): Promise<CommandOutcome | null> {
  const watch = wait ? ctx.ports.outcomes.watch(orderId, ctx.config.http.waitTimeoutMs) : undefined;
  let appended: boolean;
  try {
    appended = await append();
  } catch (error) {
    watch?.stop();
    throw error;
  }
  if (watch === undefined) return null;
  if (!appended) {
    watch.stop();
    return null;
  }
  return watch.outcome;
}
