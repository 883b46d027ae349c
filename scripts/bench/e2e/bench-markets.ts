/**
 * The markets the end-to-end benchmark creates (PUT /v1/admin/markets/:symbol) and trades:
 * BENCH1-USDT, BENCH2-USDT, ... with a tick of 0.01, a lot of 0.001, and mids from 10 to 3000 USDT
 * so that order sizes in lots differ between markets as they do on a real exchange. Orders are
 * worth 5 to 60 USDT; each user gets funds worth a million USDT in every asset, far more than the
 * orders of a run can lock, so that a refusal for funds means a bug, not a poor user.
 */
import type { FlowMarket } from './order-flow.ts';

export const QUOTE_ASSET = 'USDT';
/** USDT's precision in the default markets (config/markets.json): one precision per asset. */
const QUOTE_PRECISION = 8;
const BASE_PRECISION = 8;
const PRICE_SCALE = 2;
const QTY_SCALE = 3;
/** Mids in whole USDT, cycled over the markets. */
const MIDS = [100, 250, 40, 1200, 75, 500, 20, 3000, 10, 150];
const MIN_ORDER_USDT = 5;
const MAX_ORDER_USDT = 60;
const FUNDS_USDT = 1_000_000;

/** The body of PUT /v1/admin/markets/:symbol (every field but the symbol). */
export interface MarketBody {
  readonly base: string;
  readonly quote: string;
  readonly basePrecision: number;
  readonly quotePrecision: number;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minNotional: string;
  readonly makerFee: string;
  readonly takerFee: string;
  readonly status: 'trading';
}

export interface BenchMarket {
  readonly symbol: string;
  readonly base: string;
  readonly body: MarketBody;
  readonly flow: FlowMarket;
  /** What each user is given of the base asset, a decimal string. */
  readonly baseFunds: string;
}

export function benchMarkets(count: number): BenchMarket[] {
  return Array.from({ length: count }, (_, i) => {
    const base = `BENCH${i + 1}`;
    const symbol = `${base}-${QUOTE_ASSET}`;
    const mid = MIDS[i % MIDS.length]!;
    const midTicks = mid * 10 ** PRICE_SCALE;
    // Lots (0.001) worth MIN_ORDER_USDT at the mid, rounded up.
    const minLots = Math.ceil((MIN_ORDER_USDT * 10 ** QTY_SCALE) / mid);
    const maxLots = Math.ceil((MAX_ORDER_USDT * 10 ** QTY_SCALE) / mid);
    return {
      symbol,
      base,
      body: {
        base,
        quote: QUOTE_ASSET,
        basePrecision: BASE_PRECISION,
        quotePrecision: QUOTE_PRECISION,
        tickSize: '0.01',
        lotSize: '0.001',
        minNotional: '1',
        makerFee: '0.001',
        takerFee: '0.002',
        status: 'trading',
      },
      flow: {
        symbol,
        midTicks,
        priceScale: PRICE_SCALE,
        qtyScale: QTY_SCALE,
        minLots,
        maxLots,
        quoteScale: 2,
        minQuote: MIN_ORDER_USDT * 100,
        maxQuote: MAX_ORDER_USDT * 100,
      },
      baseFunds: String(Math.ceil(FUNDS_USDT / mid)),
    };
  });
}

/** What each user is given of the quote asset. */
export const QUOTE_FUNDS = String(FUNDS_USDT);
