/**
 * Records of the ports (integers) into the API's response bodies (decimal strings, ISO times).
 * Prices show the tick's decimals, quantities the lot's, quote amounts and fees their asset's
 * precision: a fixed number of digits per market keeps responses aligned and predictable.
 */
import {
  baseUnitsToDecimal,
  lotsToQuantity,
  quoteUnitsToDecimal,
  ticksToPrice,
  type CompiledMarket,
  type MarketDefinition,
} from '../markets/market-rules.ts';
import { formatUnits } from '../money/decimal.ts';
import type {
  BalanceRecord,
  DepthRecord,
  FillRecord,
  OrderRecord,
  PublicTradeRecord,
  UserTradeRecord,
} from './ports.ts';

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function presentMarket(market: CompiledMarket): MarketDefinition {
  return market.definition;
}

/** A fee in the asset it was charged in: base or quote of the order's market. */
function feeDecimal(market: CompiledMarket, fill: FillRecord): string {
  return fill.feeAsset === market.definition.base
    ? baseUnitsToDecimal(market, fill.fee)
    : quoteUnitsToDecimal(market, fill.fee);
}

function presentFill(market: CompiledMarket, fill: FillRecord) {
  return {
    tradeId: fill.tradeId,
    price: ticksToPrice(market, fill.price),
    quantity: lotsToQuantity(market, fill.quantity),
    fee: feeDecimal(market, fill),
    feeAsset: fill.feeAsset,
    liquidity: fill.liquidity,
  };
}

export function presentOrder(market: CompiledMarket, order: OrderRecord) {
  return {
    orderId: order.orderId,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    price: order.price === null ? null : ticksToPrice(market, order.price),
    quantity: order.quantity === null ? null : lotsToQuantity(market, order.quantity),
    quoteQuantity: order.quoteQuantity === null ? null : quoteUnitsToDecimal(market, order.quoteQuantity),
    timeInForce: order.timeInForce,
    postOnly: order.postOnly,
    status: order.status,
    filledQuantity: lotsToQuantity(market, order.filledQuantity),
    filledQuoteQuantity: quoteUnitsToDecimal(market, order.filledQuote),
    rejectReason: order.rejectReason,
    fills: order.fills.map((fill) => presentFill(market, fill)),
    createdAt: isoTime(order.createdAt),
    updatedAt: isoTime(order.updatedAt),
  };
}

export function presentUserTrade(market: CompiledMarket, trade: UserTradeRecord) {
  return {
    ...presentFill(market, trade),
    orderId: trade.orderId,
    symbol: trade.symbol,
    side: trade.side,
    quoteQuantity: quoteUnitsToDecimal(market, trade.quoteQuantity),
    time: isoTime(trade.time),
  };
}

export function presentDepth(market: CompiledMarket, depth: DepthRecord) {
  const levels = (side: DepthRecord['bids']) =>
    side.map(([price, lots]) => [ticksToPrice(market, price), lotsToQuantity(market, lots)]);
  return {
    symbol: market.definition.symbol,
    sequence: depth.sequence,
    bids: levels(depth.bids),
    asks: levels(depth.asks),
  };
}

export function presentPublicTrade(market: CompiledMarket, trade: PublicTradeRecord) {
  return {
    tradeId: trade.tradeId,
    price: ticksToPrice(market, trade.price),
    quantity: lotsToQuantity(market, trade.quantity),
    takerSide: trade.takerSide,
    time: isoTime(trade.time),
  };
}

/**
 * Deposits need an asset some market trades, markets are never deleted and an asset's precision
 * never changes (routes/admin.ts), so every balance has a known precision; guessing one would show
 * an amount off by powers of ten, hence the error.
 */
export function presentBalance(precisions: ReadonlyMap<string, number>, balance: BalanceRecord) {
  const precision = precisions.get(balance.asset);
  if (precision === undefined) throw new Error(`no market trades ${balance.asset}: its precision is unknown`);
  return {
    asset: balance.asset,
    available: formatUnits(balance.available, precision),
    locked: formatUnits(balance.locked, precision),
  };
}

/** Asset → precision over every market (compileMarkets guarantees one precision per asset). */
export function assetPrecisions(markets: readonly CompiledMarket[]): Map<string, number> {
  const precisions = new Map<string, number>();
  for (const { definition: d } of markets) {
    precisions.set(d.base, d.basePrecision);
    precisions.set(d.quote, d.quotePrecision);
  }
  return precisions;
}
