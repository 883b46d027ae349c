import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  assertMinNotional,
  baseUnitsToDecimal,
  compileMarket,
  compileMarkets,
  type CompiledMarket,
  lotsToQuantity,
  MarketError,
  type MarketErrorCode,
  type MarketDefinition,
  notionalQuoteUnits,
  priceToTicks,
  quantityToLots,
  quoteToUnits,
  quoteUnitsToDecimal,
  ticksToPrice,
} from '../../../src/markets/market-rules.ts';
import { formatUnits, parseUnits } from '../../../src/money/decimal.ts';

const configured = JSON.parse(
  readFileSync(new URL('../../../config/markets.json', import.meta.url), 'utf8'),
) as MarketDefinition[];

const BTC: MarketDefinition = {
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  basePrecision: 8,
  quotePrecision: 8,
  tickSize: '0.01',
  lotSize: '0.00001',
  minNotional: '5',
  makerFee: '0.001',
  takerFee: '0.002',
  status: 'trading',
};

function errorOf(fn: () => unknown): MarketError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MarketError) return error;
    throw error;
  }
  throw new Error('expected a MarketError, got a value');
}

const codeOf = (fn: () => unknown): MarketErrorCode => errorOf(fn).code;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** A market without a minimum around a given tick and lot; the default precisions are fine enough for the tables. */
function market(tickSize: string, lotSize: string, basePrecision = 8, quotePrecision = 12): CompiledMarket {
  return compileMarket({ ...BTC, tickSize, lotSize, minNotional: '0', basePrecision, quotePrecision });
}

describe('markets/market-rules', () => {
  describe('compileMarket', () => {
    it('compiles every market of config/markets.json, USDT with one precision', () => {
      const markets = compileMarkets(configured);
      expect([...markets.keys()]).to.deep.equal(['BTC-USDT', 'ETH-USDT', 'SOL-USDT']);
      expect(markets.get('BTC-USDT')!.rules).to.deep.equal({
        symbol: 'BTC-USDT',
        baseUnitsPerLot: 1000,
        quoteUnitsPerTickLot: 10,
        makerFeePpm: 1000,
        takerFeePpm: 2000,
      });
      expect(markets.get('BTC-USDT')!.minNotional).to.equal(500_000_000);
      expect(markets.get('ETH-USDT')!.rules.quoteUnitsPerTickLot).to.equal(100);
      expect(markets.get('SOL-USDT')!.rules.baseUnitsPerLot).to.equal(100_000);
    });

    it('refuses tick × lot that is not whole quote units (the docs example, USDT at 6 decimals)', () => {
      const error = errorOf(() => compileMarket({ ...BTC, quotePrecision: 6 }));
      expect(error.code).to.equal('VALIDATION_ERROR');
      expect(error.message).to.contain('tick 0.01 × lot 0.00001').and.contain('quotePrecision 6');
    });

    it('keeps the shortest spelling of every decimal and freezes the result', () => {
      const m = compileMarket({ ...BTC, tickSize: '0.010', makerFee: '0.00100', minNotional: '5.00' });
      expect(m.definition).to.deep.include({ tickSize: '0.01', makerFee: '0.001', minNotional: '5' });
      expect(m.tick).to.deep.equal({ scale: 2, units: 1n });
      expect(m.lot).to.deep.equal({ scale: 5, units: 1n });
      expect(Object.isFrozen(m) && Object.isFrozen(m.rules) && Object.isFrozen(m.definition)).to.equal(true);
    });

    it('accepts the boundaries: zero fees, a 100 % fee, no minimum, a halted market', () => {
      const m = compileMarket({ ...BTC, makerFee: '0', takerFee: '1', minNotional: '0', status: 'halted' });
      expect([m.rules.makerFeePpm, m.rules.takerFeePpm, m.minNotional]).to.deep.equal([0, 1_000_000, 0]);
    });

    const bad: Array<[string, Partial<Record<keyof MarketDefinition, unknown>>]> = [
      ['symbol not base-quote', { symbol: 'ETH-USDT' }],
      ['symbol with a slash', { symbol: 'BTC/USDT' }],
      ['lower-case asset', { base: 'btc', symbol: 'btc-USDT' }],
      ['one-letter asset', { base: 'B', symbol: 'B-USDT' }],
      ['13-letter asset', { base: 'ABCDEFGHIJKLM', symbol: 'ABCDEFGHIJKLM-USDT' }],
      ['same base and quote', { base: 'USDT', symbol: 'USDT-USDT' }],
      ['missing base', { base: undefined }],
      ['unknown status', { status: 'open' }],
      ['negative precision', { basePrecision: -1 }],
      ['precision above 18', { quotePrecision: 19 }],
      ['fractional precision', { basePrecision: 7.5 }],
      ['precision as a string', { basePrecision: '8' }],
      ['zero tick', { tickSize: '0' }],
      ['negative tick', { tickSize: '-0.01' }],
      ['tick as a number', { tickSize: 0.01 }],
      ['tick with an exponent', { tickSize: '1e-2' }],
      ['zero lot', { lotSize: '0.00000' }],
      ['lot finer than the base precision', { lotSize: '0.000000001' }],
      ['fee above 100 %', { makerFee: '1.5' }],
      ['fee with 7 decimals', { takerFee: '0.0000001' }],
      ['negative fee', { takerFee: '-0.001' }],
      ['minNotional finer than the quote precision', { minNotional: '0.000000001' }],
      ['negative minNotional', { minNotional: '-5' }],
      ['quote units per tick-lot past 2^53', { tickSize: '1000000000', lotSize: '1000000000' }],
    ];
    for (const [label, change] of bad) {
      it(`VALIDATION_ERROR: ${label}`, () => {
        const def = { ...BTC, ...change } as MarketDefinition;
        expect(codeOf(() => compileMarket(def))).to.equal('VALIDATION_ERROR');
      });
    }

    it('compileMarkets refuses a duplicate symbol and an asset with two precisions', () => {
      expect(errorOf(() => compileMarkets([BTC, BTC])).message).to.contain('defined twice');
      const eth = { ...configured[1]!, quotePrecision: 10 };
      expect(errorOf(() => compileMarkets([BTC, eth])).message).to.contain('USDT has precision 10');
    });

    it('compiles exactly when tick × lot is whole quote units and the lot whole base units', () => {
      const input = fc.record({
        tick: fc.integer({ min: 1, max: 10_000 }),
        ts: fc.integer({ min: 0, max: 8 }),
        lot: fc.integer({ min: 1, max: 10_000 }),
        ls: fc.integer({ min: 0, max: 8 }),
        bp: fc.integer({ min: 0, max: 18 }),
        qp: fc.integer({ min: 0, max: 18 }),
      });
      fc.assert(
        fc.property(input, ({ tick, ts, lot, ls, bp, qp }) => {
          const def = { ...BTC, basePrecision: bp, quotePrecision: qp, minNotional: '0' };
          const run = () =>
            compileMarket({ ...def, tickSize: formatUnits(tick, ts), lotSize: formatUnits(lot, ls) });
          // numerator / 10^exponent when that is a safe whole number, computed on exact rationals.
          const whole = (numerator: bigint, exponent: number) =>
            numerator % 10n ** BigInt(exponent) === 0n && numerator / 10n ** BigInt(exponent) <= MAX_SAFE_BIG
              ? Number(numerator / 10n ** BigInt(exponent))
              : undefined;
          const perLot = whole(BigInt(lot) * 10n ** BigInt(bp), ls);
          const perTickLot = whole(BigInt(tick) * BigInt(lot) * 10n ** BigInt(qp), ts + ls);
          if (perLot === undefined || perTickLot === undefined)
            expect(codeOf(run)).to.equal('VALIDATION_ERROR');
          else
            expect(run().rules).to.deep.include({
              baseUnitsPerLot: perLot,
              quoteUnitsPerTickLot: perTickLot,
            });
        }),
      );
    });
  });

  describe('edge conversions', () => {
    const btc = compileMarket(BTC);

    const prices: Array<[CompiledMarket, unknown, number | MarketErrorCode]> = [
      [btc, '30000.01', 3_000_001],
      [btc, '30000.010', 3_000_001],
      [btc, '0.01', 1],
      [btc, '90071992547409.91', Number.MAX_SAFE_INTEGER],
      [btc, '90071992547409.92', 'INVALID_PRICE'],
      [btc, '30000.015', 'INVALID_PRICE'],
      [btc, '0', 'INVALID_PRICE'],
      [btc, '0.00', 'INVALID_PRICE'],
      [btc, '-1', 'INVALID_PRICE'],
      [btc, '3e4', 'INVALID_PRICE'],
      [btc, 30000, 'INVALID_PRICE'],
      [market('0.5', '1'), '100.5', 201],
      [market('0.5', '1'), '100.3', 'INVALID_PRICE'],
      [market('0.5', '1'), '100.25', 'INVALID_PRICE'],
      [market('5', '1'), '15', 3],
      [market('5', '1'), '15.000', 3],
      [market('5', '1'), '12', 'INVALID_PRICE'],
    ];
    for (const [m, text, expected] of prices) {
      it(`priceToTicks(tick ${m.definition.tickSize}, ${JSON.stringify(text)}) → ${expected}`, () => {
        if (typeof expected === 'number') expect(priceToTicks(m, text)).to.equal(expected);
        else expect(codeOf(() => priceToTicks(m, text))).to.equal(expected);
      });
    }

    const quantities: Array<[CompiledMarket, unknown, number | MarketErrorCode]> = [
      [btc, '0.5', 50_000],
      [btc, '0.00001', 1],
      [btc, '1.000010', 100_001],
      [btc, '0.000001', 'INVALID_QUANTITY'],
      [btc, '0', 'INVALID_QUANTITY'],
      [btc, '.5', 'INVALID_QUANTITY'],
      [market('0.01', '0.25'), '0.75', 3],
      [market('0.01', '0.25'), '0.3', 'INVALID_QUANTITY'],
    ];
    for (const [m, text, expected] of quantities) {
      it(`quantityToLots(lot ${m.definition.lotSize}, ${JSON.stringify(text)}) → ${expected}`, () => {
        if (typeof expected === 'number') expect(quantityToLots(m, text)).to.equal(expected);
        else expect(codeOf(() => quantityToLots(m, text))).to.equal(expected);
      });
    }

    it('quoteToUnits parses positive amounts at the quote precision', () => {
      expect(quoteToUnits(btc, '5')).to.equal(500_000_000);
      expect(quoteToUnits(btc, '0.00000001')).to.equal(1);
      for (const text of ['0', '0.000000001', '-5', '5 ']) {
        expect(codeOf(() => quoteToUnits(btc, text))).to.equal('INVALID_QUANTITY');
      }
    });

    it('formats back with the market’s fixed decimals', () => {
      expect(ticksToPrice(btc, 3_000_001)).to.equal('30000.01');
      expect(lotsToQuantity(btc, 50_000)).to.equal('0.50000');
      expect(quoteUnitsToDecimal(btc, 500_000_000)).to.equal('5.00000000');
      expect(quoteUnitsToDecimal(btc, -1n)).to.equal('-0.00000001');
      expect(baseUnitsToDecimal(btc, 1000)).to.equal('0.00001000');
      expect(ticksToPrice(market('5', '1'), 3)).to.equal('15');
    });

    it('computes the notional exactly, past 2^53 too', () => {
      expect(notionalQuoteUnits(btc, 3_000_001, 50_000)).to.equal(1_500_000_500_000n);
      expect(quoteUnitsToDecimal(btc, notionalQuoteUnits(btc, 3_000_001, 50_000))).to.equal('15000.00500000');
      const max = BigInt(Number.MAX_SAFE_INTEGER);
      expect(notionalQuoteUnits(btc, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).to.equal(
        max * max * 10n,
      );
    });

    it('passes MIN_NOTIONAL exactly at the minimum and refuses one unit below', () => {
      // 0.0001 BTC at 50 000.00 USDT is exactly 5 USDT.
      expect(() => assertMinNotional(btc, notionalQuoteUnits(btc, 5_000_000, 10))).not.to.throw();
      expect(codeOf(() => assertMinNotional(btc, notionalQuoteUnits(btc, 5_000_000, 9)))).to.equal(
        'MIN_NOTIONAL',
      );
      expect(codeOf(() => assertMinNotional(btc, notionalQuoteUnits(btc, 4_999_999, 10)))).to.equal(
        'MIN_NOTIONAL',
      );
      expect(() => assertMinNotional(btc, 500_000_000)).not.to.throw();
      expect(errorOf(() => assertMinNotional(btc, 499_999_999)).message).to.contain('4.99999999 USDT');
      expect(() => assertMinNotional(market('0.01', '1'), 0n)).not.to.throw();
    });

    it('round-trips random ticks and lots on random markets, and the notional is the exact product', () => {
      const input = fc.record({
        tick: fc.integer({ min: 1, max: 1000 }),
        ts: fc.integer({ min: 0, max: 6 }),
        lot: fc.integer({ min: 1, max: 1000 }),
        ls: fc.integer({ min: 0, max: 6 }),
        extra: fc.integer({ min: 0, max: 4 }),
        ticks: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        lots: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      });
      fc.assert(
        fc.property(input, ({ tick, ts, lot, ls, extra, ticks, lots }) => {
          const m = market(formatUnits(tick, ts), formatUnits(lot, ls), ls + extra, ts + ls + extra);
          const price = ticksToPrice(m, ticks);
          const quantity = lotsToQuantity(m, lots);
          expect(priceToTicks(m, price)).to.equal(ticks);
          expect(quantityToLots(m, quantity)).to.equal(lots);
          // Independent check: multiply the decimals themselves, then express them in quote units.
          const priceUnits = parseUnits(price, ts, { max: 10n ** 30n });
          const quantityUnits = parseUnits(quantity, ls, { max: 10n ** 30n });
          const expected = priceUnits * quantityUnits * 10n ** BigInt(extra);
          expect(notionalQuoteUnits(m, ticks, lots)).to.equal(expected);
          expect(parseUnits(quoteUnitsToDecimal(m, expected), ts + ls + extra, { max: 10n ** 60n })).to.equal(
            expected,
          );
        }),
      );
    });

    it('MIN_NOTIONAL holds exactly when the notional is below the minimum', () => {
      const input = fc.record({
        ticks: fc.integer({ min: 1, max: 10_000_000 }),
        lots: fc.integer({ min: 1, max: 1_000_000 }),
        min: fc.integer({ min: 0, max: 10 ** 12 }),
      });
      fc.assert(
        fc.property(input, ({ ticks, lots, min }) => {
          const m = compileMarket({ ...BTC, minNotional: formatUnits(min, 8) });
          const notional = notionalQuoteUnits(m, ticks, lots);
          if (notional < BigInt(min))
            expect(codeOf(() => assertMinNotional(m, notional))).to.equal('MIN_NOTIONAL');
          else expect(() => assertMinNotional(m, notional)).not.to.throw();
        }),
      );
    });
  });
});
