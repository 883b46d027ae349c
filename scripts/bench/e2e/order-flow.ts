/**
 * The order flow of the end-to-end benchmark: a seeded, deterministic sequence of requests over
 * several markets and users, in the shape of a busy spot market:
 *
 * - passive: GTC limits 1..50 ticks behind the mid (most near the top), which rest;
 * - cancel: of a resting passive order taken at random among those acknowledged so far (any user:
 *   each request carries its owner's token);
 * - cross: limits 1..5 ticks through the mid, half IOC and half GTC, which take the top levels;
 * - market: a market buy spending a quote amount, or a market sell of a quantity.
 *
 * Each market's mid walks by a tick now and then (kept within 2 % of where it started), so the
 * book moves and crossing orders keep finding liquidity. Bodies are JSON strings built once here,
 * ahead of their send time. The sequence depends on the seed and options only; which order a
 * cancel hits depends on the acknowledgements received (RestingOrders), which the flow does not
 * see: `pick` only says which one.
 */
import { formatUnits } from '../../../src/money/decimal.ts';
import { Prng } from '../prng.ts';

/** A market as the flow needs it; amounts in integer units of the market's scales. */
export interface FlowMarket {
  readonly symbol: string;
  /** Where the mid starts, in ticks. */
  readonly midTicks: number;
  /** Decimals of a tick (tickSize = 10^-priceScale) and of a lot. */
  readonly priceScale: number;
  readonly qtyScale: number;
  /** Order sizes in lots: from minLots to maxLots (both included). */
  readonly minLots: number;
  readonly maxLots: number;
  /** Decimals of the quote amount of a market buy, and its range in those units. */
  readonly quoteScale: number;
  readonly minQuote: number;
  readonly maxQuote: number;
}

/** Relative weights of the request kinds. */
export interface OrderMix {
  readonly passive: number;
  readonly cancel: number;
  readonly cross: number;
  readonly market: number;
}

export const DEFAULT_MIX: OrderMix = { passive: 50, cancel: 25, cross: 20, market: 5 };

export interface FlowOptions {
  readonly seed: number;
  readonly markets: readonly FlowMarket[];
  /** Users are 0..users-1 here; the caller maps them to user ids and tokens. */
  readonly users: number;
  readonly mix?: OrderMix;
  /** Fraction (0..1) of places that carry a clientOrderId. */
  readonly clientOrderIdShare?: number;
  /** Makes clientOrderIds unique across runs: `<tag>-<n>`, at most 25 characters. */
  readonly runTag?: string;
}

export interface PlaceRequest {
  readonly kind: 'place';
  readonly market: number;
  readonly user: number;
  /** The JSON body of POST /v1/orders. */
  readonly body: string;
  /** A passive limit: once acknowledged it may be the target of a cancel. */
  readonly rests: boolean;
}

export interface CancelRequest {
  readonly kind: 'cancel';
  readonly market: number;
  /** Which resting order to cancel: an index into the market's resting orders, modulo their count. */
  readonly pick: number;
  /** Sent instead when the market has no resting order to cancel yet. */
  readonly fallback: PlaceRequest;
}

export type FlowRequest = PlaceRequest | CancelRequest;

const PASSIVE_DEPTH_TICKS = 50;
const CROSS_TICKS = 5;
const MID_STEP_CHANCE = 0.02;
const MID_BAND = 0.02;

export class OrderFlow {
  private readonly rng: Prng;
  private readonly mids: number[];
  private readonly thresholds: [number, number, number];
  private readonly coidShare: number;
  private readonly runTag: string;
  private coidSeq = 0;

  constructor(private readonly options: FlowOptions) {
    if (options.markets.length === 0) throw new RangeError('the flow needs at least one market');
    if (!Number.isSafeInteger(options.users) || options.users < 1) throw new RangeError('users must be >= 1');
    const mix = options.mix ?? DEFAULT_MIX;
    const total = mix.passive + mix.cancel + mix.cross + mix.market;
    if (!(total > 0) || Object.values(mix).some((w) => !(w >= 0))) throw new RangeError('bad order mix');
    this.thresholds = [
      mix.passive / total,
      (mix.passive + mix.cancel) / total,
      (mix.passive + mix.cancel + mix.cross) / total,
    ];
    this.rng = new Prng(options.seed);
    this.mids = options.markets.map((m) => m.midTicks);
    this.coidShare = options.clientOrderIdShare ?? 0;
    this.runTag = options.runTag ?? `s${options.seed}`;
  }

  /** The current mid of a market, in ticks. */
  midOf(market: number): number {
    return this.mids[market]!;
  }

  next(): FlowRequest {
    const market = this.rng.int(0, this.options.markets.length - 1);
    const user = this.rng.int(0, this.options.users - 1);
    const roll = this.rng.next();
    this.walkMid(market);
    if (roll < this.thresholds[0]) return this.passive(market, user);
    if (roll < this.thresholds[1]) {
      const pick = this.rng.nextU32();
      return { kind: 'cancel', market, pick, fallback: this.passive(market, user) };
    }
    if (roll < this.thresholds[2]) return this.cross(market, user);
    return this.marketOrder(market, user);
  }

  private walkMid(market: number): void {
    if (!this.rng.chance(MID_STEP_CHANCE)) return;
    const start = this.options.markets[market]!.midTicks;
    const band = Math.max(1, Math.floor(start * MID_BAND));
    const mid = this.mids[market]!;
    // Back toward the start at the band's edges, a fair coin inside it.
    const up = mid <= start - band ? true : mid >= start + band ? false : this.rng.chance(0.5);
    this.mids[market] = Math.max(CROSS_TICKS + PASSIVE_DEPTH_TICKS + 2, mid + (up ? 1 : -1));
  }

  private passive(market: number, user: number): PlaceRequest {
    const side = this.rng.chance(0.5) ? 'buy' : 'sell';
    const u = this.rng.next();
    const offset = 1 + Math.floor(PASSIVE_DEPTH_TICKS * u * u);
    const price = side === 'buy' ? this.mids[market]! - offset : this.mids[market]! + offset;
    return this.limit(market, user, side, price, 'GTC', true);
  }

  private cross(market: number, user: number): PlaceRequest {
    const side = this.rng.chance(0.5) ? 'buy' : 'sell';
    const through = 1 + this.rng.int(0, CROSS_TICKS - 1);
    const price = side === 'buy' ? this.mids[market]! + through : this.mids[market]! - through;
    return this.limit(market, user, side, price, this.rng.chance(0.5) ? 'IOC' : 'GTC', false);
  }

  private limit(
    market: number,
    user: number,
    side: 'buy' | 'sell',
    priceTicks: number,
    timeInForce: 'GTC' | 'IOC',
    rests: boolean,
  ): PlaceRequest {
    const m = this.options.markets[market]!;
    const lots = this.rng.int(m.minLots, m.maxLots);
    const body =
      `{"symbol":"${m.symbol}","side":"${side}","type":"limit","price":"${formatUnits(priceTicks, m.priceScale)}",` +
      `"quantity":"${formatUnits(lots, m.qtyScale)}","timeInForce":"${timeInForce}"${this.clientOrderId()}}`;
    return { kind: 'place', market, user, body, rests };
  }

  private marketOrder(market: number, user: number): PlaceRequest {
    const m = this.options.markets[market]!;
    let amount: string;
    if (this.rng.chance(0.5)) {
      const quote = this.rng.int(m.minQuote, m.maxQuote);
      amount = `"side":"buy","type":"market","quoteQuantity":"${formatUnits(quote, m.quoteScale)}"`;
    } else {
      const lots = this.rng.int(m.minLots, m.maxLots);
      amount = `"side":"sell","type":"market","quantity":"${formatUnits(lots, m.qtyScale)}"`;
    }
    const body = `{"symbol":"${m.symbol}",${amount}${this.clientOrderId()}}`;
    return { kind: 'place', market, user, body, rests: false };
  }

  private clientOrderId(): string {
    if (this.coidShare <= 0 || !this.rng.chance(this.coidShare)) return '';
    return `,"clientOrderId":"${this.runTag}-${this.coidSeq++}"`;
  }
}

/**
 * The acknowledged resting orders of one market, to cancel at random: O(1) add and take (the taken
 * slot is filled with the last entry).
 */
export class RestingOrders {
  private readonly ids: string[] = [];
  private readonly users: number[] = [];

  get size(): number {
    return this.ids.length;
  }

  add(orderId: string, user: number): void {
    this.ids.push(orderId);
    this.users.push(user);
  }

  /** Removes and returns the order at pick modulo the count; undefined when there is none. */
  take(pick: number): { orderId: string; user: number } | undefined {
    const n = this.ids.length;
    if (n === 0) return undefined;
    const i = pick % n;
    const taken = { orderId: this.ids[i]!, user: this.users[i]! };
    this.ids[i] = this.ids[n - 1]!;
    this.users[i] = this.users[n - 1]!;
    this.ids.pop();
    this.users.pop();
    return taken;
  }
}
