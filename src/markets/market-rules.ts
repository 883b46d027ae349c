/**
 * A market as operators and the API spell it (decimal strings), compiled once into the engine's
 * integer MarketRules plus what the API edge needs to turn prices, quantities and quote amounts
 * into ticks, lots and units and back (docs/engine.md, "Units").
 *
 * Compiling refuses any market whose units would not be exact: a lot must be a whole number of base
 * units and one tick times one lot a whole number of quote units, otherwise a trade could owe a
 * fraction of an asset's smallest unit.
 */
import type { MarketRules } from '../engine/types.ts';
import {
  DecimalError,
  formatUnits,
  MAX_SAFE_BIGINT,
  normalizeDecimal,
  parseSafeUnits,
  parseUnits,
  scaleOf,
} from '../money/decimal.ts';

export type MarketStatus = 'trading' | 'halted';

/** The market as `config/markets.json` and `PUT /v1/admin/markets/:symbol` carry it. */
export interface MarketDefinition {
  /** `${base}-${quote}`, e.g. "BTC-USDT". */
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  /** Decimals of the asset's smallest unit (BTC 8: 1 unit = 0.00000001 BTC). 0..18. */
  readonly basePrecision: number;
  readonly quotePrecision: number;
  /** Price step, in quote per base. */
  readonly tickSize: string;
  /** Quantity step, in base. */
  readonly lotSize: string;
  /** Smallest order value, in quote; "0" for none. */
  readonly minNotional: string;
  /** Fee rates, "0.001" = 0.1 %; at most 6 decimals (the engine counts in ppm), 0..1. */
  readonly makerFee: string;
  readonly takerFee: string;
  readonly status: MarketStatus;
}

/** A decimal step (tick or lot): `units × 10^-scale`, with `scale` the step's own decimals. */
export interface Step {
  readonly scale: number;
  readonly units: bigint;
}

export interface CompiledMarket {
  /** The definition with every decimal in its shortest form ("0.010" → "0.01"), as GET /v1/markets shows it. */
  readonly definition: MarketDefinition;
  readonly rules: MarketRules;
  readonly tick: Step;
  readonly lot: Step;
  /** In quote units. */
  readonly minNotional: number;
}

export type MarketErrorCode = 'INVALID_PRICE' | 'INVALID_QUANTITY' | 'MIN_NOTIONAL' | 'VALIDATION_ERROR';

/** Codes match the API's error codes; the HTTP error module maps them to 400 responses. */
export class MarketError extends Error {
  override readonly name = 'MarketError';

  constructor(
    readonly code: MarketErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const ASSET = /^[A-Z0-9]{2,12}$/;
const MAX_PRECISION = 18;
const PPM_SCALE = 6;

function invalid(message: string, cause?: unknown): never {
  throw new MarketError('VALIDATION_ERROR', message, { cause });
}

/** Runs a decimal parse and turns its DecimalError into a MarketError naming the field. */
function field<T>(code: MarketErrorCode, name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DecimalError)
      throw new MarketError(code, `${name}: ${error.message}`, { cause: error });
    throw error;
  }
}

function precision(name: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_PRECISION) {
    invalid(`${name} must be an integer in 0..${MAX_PRECISION}, got ${String(value)}`);
  }
  return value as number;
}

function step(name: string, text: unknown): Step {
  return field('VALIDATION_ERROR', name, () => {
    const scale = scaleOf(text);
    return { scale, units: parseUnits(text, scale) };
  });
}

/** `units × 10^from` expressed in 10^-to units, or undefined when that is not a whole number. */
function rescale(units: bigint, from: number, to: number): bigint | undefined {
  if (to >= from) return units * 10n ** BigInt(to - from);
  const divisor = 10n ** BigInt(from - to);
  return units % divisor === 0n ? units / divisor : undefined;
}

function safeInteger(name: string, value: bigint | undefined, why: string): number {
  if (value === undefined) invalid(`${name} is not a whole number: ${why}`);
  if (value > MAX_SAFE_BIGINT) invalid(`${name} is too large: ${why}`);
  return Number(value);
}

/** Validates a definition and compiles it. Throws MarketError VALIDATION_ERROR naming the first bad field. */
export function compileMarket(def: MarketDefinition): CompiledMarket {
  // Definitions arrive from JSON (config, admin API), so the types are checked here too.
  for (const name of ['base', 'quote'] as const) {
    if (typeof def[name] !== 'string' || !ASSET.test(def[name])) {
      invalid(`${name} must be 2 to 12 characters A-Z or 0-9, got ${JSON.stringify(def[name])}`);
    }
  }
  if (def.base === def.quote) invalid(`base and quote must differ, both are ${def.base}`);
  if (def.symbol !== `${def.base}-${def.quote}`) {
    invalid(`symbol must be ${def.base}-${def.quote}, got ${JSON.stringify(def.symbol)}`);
  }
  if (def.status !== 'trading' && def.status !== 'halted') {
    invalid(`status must be "trading" or "halted", got ${JSON.stringify(def.status)}`);
  }
  const basePrecision = precision('basePrecision', def.basePrecision);
  const quotePrecision = precision('quotePrecision', def.quotePrecision);
  const tick = step('tickSize', def.tickSize);
  const lot = step('lotSize', def.lotSize);

  const baseUnitsPerLot = safeInteger(
    'lotSize in base units',
    rescale(lot.units, lot.scale, basePrecision),
    `lot ${def.lotSize} with basePrecision ${basePrecision}`,
  );
  const quoteUnitsPerTickLot = safeInteger(
    'tickSize × lotSize in quote units',
    rescale(tick.units * lot.units, tick.scale + lot.scale, quotePrecision),
    `tick ${def.tickSize} × lot ${def.lotSize} with quotePrecision ${quotePrecision}; ` +
      'use a coarser tick or lot, or a finer quote precision',
  );
  const fee = (name: string, text: unknown): number =>
    field('VALIDATION_ERROR', name, () =>
      parseSafeUnits(text, PPM_SCALE, { allowZero: true, max: 1_000_000n }),
    );
  const makerFeePpm = fee('makerFee', def.makerFee);
  const takerFeePpm = fee('takerFee', def.takerFee);
  const minNotional = field('VALIDATION_ERROR', 'minNotional', () =>
    parseSafeUnits(def.minNotional, quotePrecision, { allowZero: true }),
  );

  const definition: MarketDefinition = Object.freeze({
    symbol: def.symbol,
    base: def.base,
    quote: def.quote,
    basePrecision,
    quotePrecision,
    tickSize: normalizeDecimal(def.tickSize),
    lotSize: normalizeDecimal(def.lotSize),
    minNotional: normalizeDecimal(def.minNotional),
    makerFee: normalizeDecimal(def.makerFee),
    takerFee: normalizeDecimal(def.takerFee),
    status: def.status,
  });
  const rules: MarketRules = Object.freeze({
    symbol: def.symbol,
    baseUnitsPerLot,
    quoteUnitsPerTickLot,
    makerFeePpm,
    takerFeePpm,
  });
  return Object.freeze({ definition, rules, tick, lot, minNotional });
}

/**
 * Compiles a set of markets. Beyond each market's own checks, symbols must be unique and an asset
 * must have one precision everywhere: balances count each asset in one unit, whichever market trades it.
 */
export function compileMarkets(defs: readonly MarketDefinition[]): ReadonlyMap<string, CompiledMarket> {
  const markets = new Map<string, CompiledMarket>();
  const precisions = new Map<string, { precision: number; symbol: string }>();
  for (const def of defs) {
    const market = compileMarket(def);
    const { symbol, base, quote, basePrecision, quotePrecision } = market.definition;
    if (markets.has(symbol)) invalid(`market ${symbol} is defined twice`);
    for (const [asset, p] of [
      [base, basePrecision],
      [quote, quotePrecision],
    ] as const) {
      const seen = precisions.get(asset);
      if (seen !== undefined && seen.precision !== p) {
        invalid(`${asset} has precision ${p} in ${symbol} but ${seen.precision} in ${seen.symbol}`);
      }
      precisions.set(asset, { precision: p, symbol });
    }
    markets.set(symbol, market);
  }
  return markets;
}

/**
 * A decimal price into ticks. INVALID_PRICE when it is not a positive multiple of the tick size or
 * its tick count passes Number.MAX_SAFE_INTEGER.
 */
export function priceToTicks(market: CompiledMarket, text: unknown): number {
  return toSteps(market, market.tick, 'INVALID_PRICE', 'price', market.definition.tickSize, text);
}

/** A decimal base quantity into lots. INVALID_QUANTITY when it is not a positive multiple of the lot size. */
export function quantityToLots(market: CompiledMarket, text: unknown): number {
  return toSteps(market, market.lot, 'INVALID_QUANTITY', 'quantity', market.definition.lotSize, text);
}

function toSteps(
  market: CompiledMarket,
  { scale, units }: Step,
  code: MarketErrorCode,
  name: string,
  size: string,
  text: unknown,
): number {
  const value = field(code, name, () => parseUnits(text, scale, { max: MAX_SAFE_BIGINT * units }));
  if (value % units !== 0n) {
    throw new MarketError(
      code,
      `${name} ${text as string} is not a multiple of ${size} on ${market.rules.symbol}`,
    );
  }
  return Number(value / units);
}

/** A positive decimal quote amount (a market buy's quoteQuantity) into quote units; INVALID_QUANTITY otherwise. */
export function quoteToUnits(market: CompiledMarket, text: unknown): number {
  return field('INVALID_QUANTITY', 'quoteQuantity', () =>
    parseSafeUnits(text, market.definition.quotePrecision),
  );
}

export function ticksToPrice(market: CompiledMarket, ticks: number): string {
  return formatUnits(BigInt(ticks) * market.tick.units, market.tick.scale);
}

export function lotsToQuantity(market: CompiledMarket, lots: number): string {
  return formatUnits(BigInt(lots) * market.lot.units, market.lot.scale);
}

export function quoteUnitsToDecimal(market: CompiledMarket, units: bigint | number): string {
  return formatUnits(units, market.definition.quotePrecision);
}

export function baseUnitsToDecimal(market: CompiledMarket, units: bigint | number): string {
  return formatUnits(units, market.definition.basePrecision);
}

/** ticks × lots × quoteUnitsPerTickLot in quote units, exact even where the product passes 2^53. */
export function notionalQuoteUnits(market: CompiledMarket, ticks: number, lots: number): bigint {
  return BigInt(ticks) * BigInt(lots) * BigInt(market.rules.quoteUnitsPerTickLot);
}

/** MIN_NOTIONAL when an order's value in quote units is below the market's minimum; the minimum itself passes. */
export function assertMinNotional(market: CompiledMarket, quoteUnits: bigint | number): void {
  if (BigInt(quoteUnits) < BigInt(market.minNotional)) {
    throw new MarketError(
      'MIN_NOTIONAL',
      `order value ${quoteUnitsToDecimal(market, quoteUnits)} ${market.definition.quote} is below the ` +
        `minimum ${market.definition.minNotional} on ${market.rules.symbol}`,
    );
  }
}
