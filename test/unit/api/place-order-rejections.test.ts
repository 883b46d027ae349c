import { expect } from 'chai';
import type { InjectOptions } from 'fastify';
import { compileMarket } from '../../../src/markets/market-rules.ts';
import { bearer, createHarness, expectError, type Harness } from './support/harness.ts';

const LIMIT_BUY = { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '30000.01', quantity: '0.5' };

describe('api: POST /v1/orders refuses', () => {
  let h: Harness;

  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h.app.close();
  });
  beforeEach(async () => {
    h.reset();
    // A market whose tick and lot are not powers of ten, to test "multiple of" apart from "too precise".
    await h.ports.markets.upsert(
      compileMarket({
        symbol: 'XYZ-USDT',
        base: 'XYZ',
        quote: 'USDT',
        basePrecision: 8,
        quotePrecision: 8,
        tickSize: '0.05',
        lotSize: '0.25',
        minNotional: '1',
        makerFee: '0.001',
        takerFee: '0.002',
        status: 'trading',
      }),
    );
  });
  afterEach(() => {
    expect(h.ports.outcomes.pending, 'watches left open').to.equal(0);
  });

  const place = (payload: unknown, extra: Partial<InjectOptions> = {}) =>
    h.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: bearer(h.tokens.alice),
      payload: payload as InjectOptions['payload'],
      ...extra,
    });

  describe('refuses bad input with a stable code and appends nothing', () => {
    const M = { symbol: 'BTC-USDT', side: 'buy', type: 'market' };
    const XYZ = { ...LIMIT_BUY, symbol: 'XYZ-USDT' };
    // prettier-ignore
    const cases: Array<[name: string, body: Record<string, unknown>, code: string]> = [
      ['a number where a decimal string is required (price)', { ...LIMIT_BUY, price: 30000 }, 'VALIDATION_ERROR'],
      ['a number where a decimal string is required (quantity)', { ...LIMIT_BUY, quantity: 0.5 }, 'VALIDATION_ERROR'],
      ['null for an optional field', { ...LIMIT_BUY, price: null }, 'VALIDATION_ERROR'],
      ['a negative price', { ...LIMIT_BUY, price: '-30000' }, 'INVALID_PRICE'],
      ['a zero price', { ...LIMIT_BUY, price: '0' }, 'INVALID_PRICE'],
      ['a zero quantity', { ...LIMIT_BUY, quantity: '0.00000' }, 'INVALID_QUANTITY'],
      ['a negative quantity', { ...LIMIT_BUY, quantity: '-1' }, 'INVALID_QUANTITY'],
      ['an exponent', { ...LIMIT_BUY, price: '3e4' }, 'INVALID_PRICE'],
      ['hex', { ...LIMIT_BUY, quantity: '0x10' }, 'INVALID_QUANTITY'],
      ['leading zeros', { ...LIMIT_BUY, price: '030000' }, 'INVALID_PRICE'],
      ['a bare fraction', { ...LIMIT_BUY, quantity: '.5' }, 'INVALID_QUANTITY'],
      ['a plus sign', { ...LIMIT_BUY, price: '+30000' }, 'INVALID_PRICE'],
      ['spaces', { ...LIMIT_BUY, price: ' 30000' }, 'INVALID_PRICE'],
      ['Infinity', { ...LIMIT_BUY, price: 'Infinity' }, 'INVALID_PRICE'],
      ['an empty string', { ...LIMIT_BUY, price: '' }, 'VALIDATION_ERROR'],
      ['an over-precise price', { ...LIMIT_BUY, price: '30000.001' }, 'INVALID_PRICE'],
      ['an over-precise quantity', { ...LIMIT_BUY, quantity: '0.500001' }, 'INVALID_QUANTITY'],
      ['a price off the tick', { ...XYZ, price: '1.03', quantity: '10' }, 'INVALID_PRICE'],
      ['a quantity off the lot', { ...XYZ, price: '1.05', quantity: '10.1' }, 'INVALID_QUANTITY'],
      ['a price past 2^53 ticks', { ...LIMIT_BUY, price: '99999999999999999999' }, 'INVALID_PRICE'],
      ['a quantity past 2^53 lots', { ...LIMIT_BUY, quantity: '999999999999999999' }, 'INVALID_QUANTITY'],
      ['an order value past 2^53 units', { ...LIMIT_BUY, price: '1000000', quantity: '1000000' }, 'INVALID_QUANTITY'],
      ['a decimal longer than 64 characters', { ...LIMIT_BUY, quantity: `1.${'0'.repeat(70)}` }, 'VALIDATION_ERROR'],
      ['a value below the minimum notional', { ...LIMIT_BUY, price: '30000', quantity: '0.0001' }, 'MIN_NOTIONAL'],
      ['a market buy below the minimum notional', { ...M, quoteQuantity: '4.99' }, 'MIN_NOTIONAL'],
      ['an over-precise quoteQuantity', { ...M, quoteQuantity: '10.000000001' }, 'INVALID_QUANTITY'],
      ['an unknown symbol', { ...LIMIT_BUY, symbol: 'DOGE-USDT' }, 'UNKNOWN_SYMBOL'],
      ['a symbol of the wrong shape', { ...LIMIT_BUY, symbol: 'btc-usdt' }, 'VALIDATION_ERROR'],
      ['a symbol string too long', { ...LIMIT_BUY, symbol: `${'A'.repeat(30)}-USDT` }, 'VALIDATION_ERROR'],
      ['an unknown side', { ...LIMIT_BUY, side: 'hold' }, 'VALIDATION_ERROR'],
      ['an unknown type', { ...LIMIT_BUY, type: 'stop' }, 'VALIDATION_ERROR'],
      ['an unknown timeInForce', { ...LIMIT_BUY, timeInForce: 'GTD' }, 'VALIDATION_ERROR'],
      ['an unknown selfTradePrevention', { ...LIMIT_BUY, selfTradePrevention: 'cancel_both' }, 'VALIDATION_ERROR'],
      ['postOnly as a string', { ...LIMIT_BUY, postOnly: 'true' }, 'VALIDATION_ERROR'],
      ['an extra field', { ...LIMIT_BUY, leverage: '10' }, 'VALIDATION_ERROR'],
      ['a missing side', { symbol: 'BTC-USDT', type: 'limit', price: '1', quantity: '1' }, 'VALIDATION_ERROR'],
      ['a clientOrderId too long', { ...LIMIT_BUY, clientOrderId: 'a'.repeat(37) }, 'VALIDATION_ERROR'],
      ['a clientOrderId with odd characters', { ...LIMIT_BUY, clientOrderId: 'a b/c' }, 'VALIDATION_ERROR'],
      ['a limit order without a price', { ...LIMIT_BUY, price: undefined }, 'VALIDATION_ERROR'],
      ['a limit order without a quantity', { ...LIMIT_BUY, quantity: undefined }, 'VALIDATION_ERROR'],
      ['a limit order with a quoteQuantity', { ...LIMIT_BUY, quoteQuantity: '100' }, 'VALIDATION_ERROR'],
      ['a market order with a price', { ...M, side: 'sell', price: '30000', quantity: '1' }, 'VALIDATION_ERROR'],
      ['a market sell without a quantity', { ...M, side: 'sell' }, 'VALIDATION_ERROR'],
      ['a market sell by quote amount', { ...M, side: 'sell', quoteQuantity: '100' }, 'VALIDATION_ERROR'],
      ['a market buy with neither quantity', M, 'VALIDATION_ERROR'],
      ['a market buy with both quantities', { ...M, quantity: '1', quoteQuantity: '100' }, 'VALIDATION_ERROR'],
      ['a market buy by quote amount with FOK', { ...M, quoteQuantity: '100', timeInForce: 'FOK' }, 'VALIDATION_ERROR'],
      ['a GTC market order', { ...M, side: 'sell', quantity: '1', timeInForce: 'GTC' }, 'VALIDATION_ERROR'],
      ['a post-only market order', { ...M, side: 'sell', quantity: '1', postOnly: true }, 'VALIDATION_ERROR'],
      ['a post-only IOC limit order', { ...LIMIT_BUY, timeInForce: 'IOC', postOnly: true }, 'VALIDATION_ERROR'],
    ];
    for (const [name, payload, code] of cases) {
      it(`${name}: 400 ${code}`, async () => {
        expectError(await place(payload), 400, code);
        expect(h.ports.intake.calls).to.deep.equal([]);
      });
    }

    it('a body that is not JSON: 400 INVALID_JSON', async () => {
      const response = await place('{"symbol": "BTC-USDT",', {
        headers: { ...bearer(h.tokens.alice), 'content-type': 'application/json' },
      });
      expectError(response, 400, 'INVALID_JSON');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('a prototype-poisoning body: 400 INVALID_JSON', async () => {
      const body = `{"symbol":"BTC-USDT","side":"buy","type":"limit","price":"1","quantity":"1","__proto__":{"x":1}}`;
      expectError(
        await place(body, { headers: { ...bearer(h.tokens.alice), 'content-type': 'application/json' } }),
        400,
        'INVALID_JSON',
      );
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('no body at all: 400 VALIDATION_ERROR', async () => {
      expectError(await place(undefined), 400, 'VALIDATION_ERROR');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('a JSON array instead of an object: 400 VALIDATION_ERROR', async () => {
      expectError(await place([LIMIT_BUY]), 400, 'VALIDATION_ERROR');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('a body that is not JSON at all: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const response = await place('symbol=BTC-USDT', {
        headers: { ...bearer(h.tokens.alice), 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('a body over the configured limit: 413 PAYLOAD_TOO_LARGE', async () => {
      const payload = JSON.stringify({
        ...LIMIT_BUY,
        clientOrderId: 'x'.repeat(h.config.http.bodyLimitBytes),
      });
      expectError(
        await place(payload, { headers: { ...bearer(h.tokens.alice), 'content-type': 'application/json' } }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('an unknown or malformed query parameter: 400 VALIDATION_ERROR', async () => {
      expectError(await place(LIMIT_BUY, { url: '/v1/orders?wait=yes' }), 400, 'VALIDATION_ERROR');
      expectError(await place(LIMIT_BUY, { url: '/v1/orders?debug=1' }), 400, 'VALIDATION_ERROR');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('a halted market: 409 MARKET_HALTED', async () => {
      const market = (await h.ports.markets.get('BTC-USDT'))!;
      await h.ports.markets.upsert(compileMarket({ ...market.definition, status: 'halted' }));
      expectError(await place(LIMIT_BUY), 409, 'MARKET_HALTED');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('names the unknown field in the message', async () => {
      const response = await place({ ...LIMIT_BUY, leverage: '10' });
      expect(response.json().error.message).to.contain('"leverage"');
    });
  });
});
