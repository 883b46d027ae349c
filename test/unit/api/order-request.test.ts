import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../../src/api/errors.ts';
import {
  limitOf,
  statusesOf,
  toAmendIntent,
  toAssetUnits,
  toPlaceIntent,
  waitOf,
  type PlaceOrderBody,
} from '../../../src/api/order-request.ts';
import {
  compileMarket,
  lotsToQuantity,
  ticksToPrice,
  type CompiledMarket,
} from '../../../src/markets/market-rules.ts';
import { orderRecord } from './support/harness.ts';

const BTC_USDT = compileMarket({
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
});
const IDS = { orderId: 'o-1', userId: 7 };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ApiError);
    return (error as ApiError).code;
  }
  return undefined;
}

describe('api: order-request', () => {
  describe('toPlaceIntent', () => {
    const place = (body: Partial<PlaceOrderBody>, market: CompiledMarket = BTC_USDT) =>
      toPlaceIntent(
        { symbol: 'BTC-USDT', side: 'buy', type: 'limit', ...body } as PlaceOrderBody,
        market,
        IDS,
      );

    it('defaults: GTC for limit, IOC for market, expire_taker, not post-only, no clientOrderId', () => {
      expect(place({ price: '100', quantity: '1' })).to.deep.equal({
        type: 'place',
        orderId: 'o-1',
        userId: 7,
        side: 'buy',
        orderType: 'limit',
        price: 10_000,
        quantity: 100_000,
        quoteLimit: 0,
        timeInForce: 'GTC',
        postOnly: false,
        selfTradePrevention: 'expire_taker',
        clientOrderId: null,
      });
      expect(place({ type: 'market', side: 'sell', quantity: '1' })).to.include({
        orderType: 'market',
        price: 0,
        timeInForce: 'IOC',
      });
    });

    it('a market buy by base quantity goes out without a quote bound (the matcher holds its budget)', () => {
      expect(place({ type: 'market', quantity: '0.001' })).to.include({ quantity: 100, quoteLimit: 0 });
    });

    it('a market buy by base quantity has no minimum notional to check (no price)', () => {
      expect(place({ type: 'market', quantity: '0.00001' })).to.include({ quantity: 1 });
    });

    it('checks the shape before the values, and the market status last', () => {
      const halted = compileMarket({ ...BTC_USDT.definition, status: 'halted' });
      expect(codeOf(() => place({ price: '-1' }, halted))).to.equal('VALIDATION_ERROR');
      expect(codeOf(() => place({ price: '-1', quantity: '1' }, halted))).to.equal('INVALID_PRICE');
      expect(codeOf(() => place({ price: '100', quantity: '1' }, halted))).to.equal('MARKET_HALTED');
    });

    it('every price on the tick grid becomes the ticks that format back to it', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2 ** 40 }),
          fc.integer({ min: 1, max: 1_000_000 }),
          (ticks, lots) => {
            const price = ticksToPrice(BTC_USDT, ticks);
            const quantity = lotsToQuantity(BTC_USDT, lots);
            let intent;
            try {
              intent = place({ price, quantity });
            } catch (error) {
              // Small orders fall under the minimum notional; huge ones past 2^53 quote units.
              expect((error as ApiError).code).to.be.oneOf(['MIN_NOTIONAL', 'INVALID_QUANTITY']);
              return;
            }
            expect(intent).to.include({ price: ticks, quantity: lots });
          },
        ),
      );
    });
  });

  describe('toAmendIntent', () => {
    it('0 keeps a value; the minimum notional uses the known order for the missing one', () => {
      const current = orderRecord({ price: 3_000_000, quantity: 50_000 });
      expect(toAmendIntent({ quantity: '0.2' }, BTC_USDT, IDS, current)).to.deep.equal({
        type: 'amend',
        orderId: 'o-1',
        userId: 7,
        price: 0,
        quantity: 20_000,
      });
      expect(codeOf(() => toAmendIntent({ quantity: '0.0001' }, BTC_USDT, IDS, current))).to.equal(
        'MIN_NOTIONAL',
      );
    });

    it('without the order at hand, only what the body gives is checked', () => {
      expect(toAmendIntent({ quantity: '0.0001' }, BTC_USDT, IDS, undefined)).to.include({ quantity: 10 });
      expect(
        codeOf(() => toAmendIntent({ price: '1', quantity: '0.0001' }, BTC_USDT, IDS, undefined)),
      ).to.equal('MIN_NOTIONAL');
      expect(codeOf(() => toAmendIntent({}, BTC_USDT, IDS, undefined))).to.equal('VALIDATION_ERROR');
    });
  });

  describe('query and amount helpers', () => {
    it('limit, wait and status', () => {
      expect(limitOf(undefined)).to.equal(100);
      expect(limitOf('25')).to.equal(25);
      expect(waitOf('true')).to.equal(true);
      expect(waitOf('false')).to.equal(false);
      expect(waitOf(undefined)).to.equal(false);
      expect(statusesOf('open')).to.deep.equal(['new', 'partially_filled']);
      expect(statusesOf('expired')).to.deep.equal(['expired']);
      expect(statusesOf(undefined)).to.equal(undefined);
    });

    it('toAssetUnits: exact up to 2^63 - 1 units, INVALID_QUANTITY beyond or when malformed', () => {
      expect(toAssetUnits('92233720368.54775807', 8)).to.equal(2n ** 63n - 1n);
      for (const bad of ['92233720368.54775808', '0', '1e3', '0.000000001', '-1']) {
        expect(
          codeOf(() => toAssetUnits(bad, 8)),
          bad,
        ).to.equal('INVALID_QUANTITY');
      }
    });
  });
});
