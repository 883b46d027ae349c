import type { AmendCommand, EngineEvent, OrderView, PlaceCommand } from '../engine/types.ts';
import type { CompiledMarket } from '../markets/market-rules.ts';
import { positionOf, type Release, type Settlement } from '../redis/balance-store.ts';

/**
 * What the matcher asks of the balance scripts (docs/balances.md) for the commands and events of a
 * batch. Pure: the processor sends these in pipelines and the tests check them against the engine.
 * Amounts are bigint: a price × quantity in quote units may pass 2^53 across a whole order.
 */

export interface HoldRequest {
  readonly asset: string;
  /** 'all': a market buy by base quantity holds the whole available balance as its budget. */
  readonly amount: bigint | 'all';
}

export type BalanceEffect =
  ({ readonly kind: 'settle' } & Settlement) | ({ readonly kind: 'release' } & Release);

/** The funds a place command needs before the engine sees it. */
export function holdForPlace(command: PlaceCommand, market: CompiledMarket): HoldRequest {
  const { base, quote } = market.definition;
  const { baseUnitsPerLot, quoteUnitsPerTickLot } = market.rules;
  if (command.side === 'sell') {
    return { asset: base, amount: BigInt(command.quantity) * BigInt(baseUnitsPerLot) };
  }
  if (command.orderType === 'limit') {
    return {
      asset: quote,
      amount: BigInt(command.price) * BigInt(command.quantity) * BigInt(quoteUnitsPerTickLot),
    };
  }
  return command.quantity === 0
    ? { asset: quote, amount: BigInt(command.quoteLimit) }
    : { asset: quote, amount: 'all' };
}

/**
 * The extra funds an amend needs, given the order as it rests and what is held for it now, or 0n.
 * A sell holds exactly its remaining base; a buy at least price × remaining (fills at better prices
 * leave more), so only the shortfall is asked for. Funds an amend frees stay held until the order
 * finishes, when the release returns everything left.
 */
export function extraHoldForAmend(
  order: OrderView,
  amend: AmendCommand,
  held: bigint,
  market: CompiledMarket,
): bigint {
  const price = amend.price || order.price;
  const quantity = amend.quantity || order.quantity;
  const remaining = BigInt(Math.max(0, quantity - order.filledQuantity));
  const needed =
    order.side === 'sell'
      ? remaining * BigInt(market.rules.baseUnitsPerLot)
      : BigInt(price) * remaining * BigInt(market.rules.quoteUnitsPerTickLot);
  return needed > held ? needed - held : 0n;
}

/**
 * The settlements and releases that a batch's engine events cause, in the order they must apply.
 * A trade settles both sides (buyer spends quote and receives base less its fee, seller the other
 * way round); a done releases what is still held; a refused place releases its hold if it got one,
 * except a DUPLICATE_ORDER_ID, whose hold belongs to the order already resting.
 */
export function effectsOf(
  events: readonly EngineEvent[],
  market: CompiledMarket,
  /** Whether funds were held for the command's place (false: the engine refuses it untouched). */
  placeHeld = true,
): BalanceEffect[] {
  const { symbol, base, quote } = market.definition;
  const baseUnitsPerLot = BigInt(market.rules.baseUnitsPerLot);
  const effects: BalanceEffect[] = [];
  for (const e of events) {
    if (e.type === 'trade') {
      const baseAmount = BigInt(e.quantity) * baseUnitsPerLot;
      const quoteAmount = BigInt(e.quoteQuantity);
      const takerBuys = e.takerSide === 'buy';
      const sides = [
        {
          role: 'maker' as const,
          userId: e.makerUserId,
          orderId: e.makerOrderId,
          buys: !takerBuys,
          fee: e.makerFee,
        },
        {
          role: 'taker' as const,
          userId: e.takerUserId,
          orderId: e.takerOrderId,
          buys: takerBuys,
          fee: e.takerFee,
        },
      ];
      for (const side of sides) {
        effects.push({
          kind: 'settle',
          symbol,
          userId: side.userId,
          position: positionOf(e.seq, side.role),
          orderId: side.orderId,
          spentAsset: side.buys ? quote : base,
          spent: side.buys ? quoteAmount : baseAmount,
          receivedAsset: side.buys ? base : quote,
          received: side.buys ? baseAmount : quoteAmount,
          fee: BigInt(side.fee),
        });
      }
    } else if (e.type === 'done') {
      effects.push(releaseAll(symbol, e.userId, e.seq, e.orderId));
    } else if (
      e.type === 'rejected' &&
      e.command === 'place' &&
      placeHeld &&
      e.reason !== 'DUPLICATE_ORDER_ID'
    ) {
      effects.push(releaseAll(symbol, e.userId, e.seq, e.orderId));
    }
  }
  return effects;
}

function releaseAll(symbol: string, userId: number, seq: number, orderId: string): BalanceEffect {
  return { kind: 'release', symbol, userId, position: positionOf(seq, 'release'), orderId, amount: 'all' };
}
