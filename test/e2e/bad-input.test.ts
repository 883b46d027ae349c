import { expect } from 'chai';
import { codeOf, type ApiClient, type HttpResponse, type Market } from '../support/http-client.ts';
import { Harness, placed, type Trader } from './harness.ts';

/**
 * docs/api-errors.md: "A request that is refused with any 4xx code changed nothing". For each class
 * of bad input, over real HTTP: the status and stable code, and afterwards every symbol's stream has
 * had no entry appended (XINFO STREAM entries-added, which trimming does not lower) and the user's
 * balances, holds, deposit and withdrawal records are byte for byte as before.
 */
describe('e2e: bad input leaves no trace', function () {
  this.timeout(20_000);
  let h: Harness;
  let user: Trader;
  let resting: string;
  let symbols: string[];

  /** A market with a tick that is coarser than its precision, for a tick violation of its own. */
  const ADA: Omit<Market, 'symbol'> = {
    base: 'ADA',
    quote: 'USDT',
    basePrecision: 8,
    quotePrecision: 8,
    tickSize: '0.0005',
    lotSize: '5',
    minNotional: '1',
    makerFee: '0.001',
    takerFee: '0.002',
    status: 'trading',
  };

  before(async function () {
    this.timeout(30_000);
    h = await Harness.start();
    expect((await h.admin.putMarket('ADA-USDT', ADA)).status).to.equal(201);
    await h.system.waitForOwners(['ADA-USDT']);
    symbols = (await h.system.http.markets()).body.map((m) => m.symbol);
    user = await h.trader({ USDT: '100000', BTC: '1' });
    resting = (
      await placed(user.client, {
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        price: '20000',
        quantity: '0.01',
      })
    ).orderId;
  });
  after(async () => h?.stop());

  /**
   * Everything a refused request must not change. A withdrawal refused for funds records its
   * refusal under its id (docs/balances.md), so for that one only balances, holds and streams count.
   */
  async function trace(scope: 'all' | 'funds' = 'all'): Promise<string> {
    const { redis, keys } = h.system;
    const streams = await Promise.all(symbols.map((s) => h.system.streamAdded(s)));
    const watched = [
      keys.balances,
      keys.holds,
      ...(scope === 'all' ? [keys.deposits, keys.withdrawals] : []),
    ];
    const hashes = await Promise.all(watched.map((key) => redis.hgetall(key(user.id))));
    return JSON.stringify({ streams, hashes, markets: await redis.hgetall(keys.markets) });
  }

  async function refused(
    status: number,
    code: string,
    send: (client: ApiClient) => Promise<HttpResponse<unknown>>,
    scope: 'all' | 'funds' = 'all',
  ): Promise<void> {
    const before = await trace(scope);
    const res = await send(user.client);
    expect([res.status, codeOf(res)], res.text).to.deep.equal([status, code]);
    expect((res.body as { error: { message: string } }).error.message)
      .to.be.a('string')
      .and.not.equal('');
    expect(await trace(scope), 'the refused request left a trace').to.equal(before);
  }

  const order = {
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    price: '30000',
    quantity: '0.001',
  } as const;
  const place = (body: unknown) => (c: ApiClient) => c.post('/v1/orders?wait=true', body);
  const placeRaw = (raw: string, headers?: Record<string, string>) => (c: ApiClient) =>
    c.request('POST', '/v1/orders', { raw, headers });

  it('sanity: the valid order is accepted and leaves a trace', async () => {
    const before = await trace();
    const res = await user.client.place({ ...order, side: 'buy', type: 'limit' });
    expect(res.status, res.text).to.equal(200);
    expect(await trace()).to.not.equal(before);
    expect((await user.client.cancel(res.body.orderId, 'BTC-USDT')).body.status).to.equal('canceled');
  });

  it('bad JSON, a prototype key, another content type, an oversized body', async () => {
    await refused(400, 'INVALID_JSON', placeRaw('{"symbol": "BTC-USDT",'));
    await refused(400, 'INVALID_JSON', placeRaw('{"__proto__": {"x": 1}, "symbol": "BTC-USDT"}'));
    await refused(400, 'INVALID_JSON', placeRaw('{"constructor": {"prototype": {"x": 1}}}'));
    await refused(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      placeRaw(JSON.stringify(order), { 'content-type': 'text/plain' }),
    );
    const padding = 'x'.repeat(h.system.config.http.bodyLimitBytes);
    await refused(413, 'PAYLOAD_TOO_LARGE', placeRaw(JSON.stringify({ ...order, padding })));
    await refused(400, 'VALIDATION_ERROR', place(undefined));
    await refused(400, 'VALIDATION_ERROR', placeRaw('[1, 2]'));
  });

  it('a JSON number where a decimal string belongs', async () => {
    await refused(400, 'VALIDATION_ERROR', place({ ...order, price: 30000 }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, quantity: 0.001 }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, side: 1 }));
  });

  it('negative, zero, exponent, hex, leading zeros, spaces', async () => {
    for (const price of [
      '-30000',
      '0',
      '0.00',
      '3e4',
      '3E4',
      '0x7530',
      '030000',
      ' 30000',
      '30000.',
      '.5',
      '+30000',
    ]) {
      await refused(400, 'INVALID_PRICE', place({ ...order, price }));
    }
    for (const quantity of ['-0.001', '0', '1e-3', '0x1', '00.001', 'NaN', 'Infinity']) {
      await refused(400, 'INVALID_QUANTITY', place({ ...order, quantity }));
    }
    await refused(
      400,
      'INVALID_QUANTITY',
      place({ symbol: 'BTC-USDT', side: 'buy', type: 'market', quoteQuantity: '-10' }),
    );
  });

  it('over-precise, off the tick or the lot', async () => {
    await refused(400, 'INVALID_PRICE', place({ ...order, price: '30000.001' }));
    await refused(400, 'INVALID_QUANTITY', place({ ...order, quantity: '0.000001' }));
    await refused(
      400,
      'INVALID_QUANTITY',
      place({ ...order, symbol: 'SOL-USDT', price: '100', quantity: '1.0005' }),
    );
    // ADA-USDT: tick 0.0005, lot 5: in precision, but not a multiple of the step.
    await refused(
      400,
      'INVALID_PRICE',
      place({ ...order, symbol: 'ADA-USDT', price: '0.1002', quantity: '100' }),
    );
    await refused(
      400,
      'INVALID_QUANTITY',
      place({ ...order, symbol: 'ADA-USDT', price: '0.1', quantity: '12' }),
    );
    await refused(
      400,
      'INVALID_QUANTITY',
      place({ symbol: 'BTC-USDT', side: 'buy', type: 'market', quoteQuantity: '10.000000001' }),
    );
  });

  it('overflowing values', async () => {
    await refused(400, 'INVALID_PRICE', place({ ...order, price: '99999999999999999999' }));
    await refused(400, 'INVALID_QUANTITY', place({ ...order, quantity: '99999999999999999999' }));
    // Each fits, the order's value does not.
    await refused(400, 'INVALID_QUANTITY', place({ ...order, price: '90000000000', quantity: '90000' }));
    await refused(
      400,
      'INVALID_QUANTITY',
      place({ symbol: 'BTC-USDT', side: 'buy', type: 'market', quoteQuantity: '999999999999999999' }),
    );
  });

  it('too long strings', async () => {
    await refused(400, 'VALIDATION_ERROR', place({ ...order, price: '1'.repeat(65) }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, clientOrderId: 'c'.repeat(37) }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, clientOrderId: 'has space' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, symbol: `${'B'.repeat(13)}-USDT` }));
  });

  it('unknown or malformed symbol', async () => {
    await refused(400, 'UNKNOWN_SYMBOL', place({ ...order, symbol: 'DOGE-USDT' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, symbol: 'btc-usdt' }));
    await refused(400, 'UNKNOWN_SYMBOL', (c) => c.cancelAll('DOGE-USDT'));
    await refused(400, 'UNKNOWN_SYMBOL', (c) => c.cancel(resting, 'DOGE-USDT'));
    await refused(400, 'UNKNOWN_SYMBOL', (c) => c.orders('DOGE-USDT'));
  });

  it('below the minimum notional', async () => {
    await refused(400, 'MIN_NOTIONAL', place({ ...order, quantity: '0.0001' }));
    await refused(
      400,
      'MIN_NOTIONAL',
      place({ symbol: 'BTC-USDT', side: 'buy', type: 'market', quoteQuantity: '4.99' }),
    );
    await refused(400, 'MIN_NOTIONAL', (c) => c.amend(resting, 'BTC-USDT', { quantity: '0.0002' }));
    await refused(400, 'MIN_NOTIONAL', (c) => c.amend(resting, 'BTC-USDT', { price: '100' }));
  });

  it('unknown enum values and unknown fields', async () => {
    await refused(400, 'VALIDATION_ERROR', place({ ...order, side: 'long' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, type: 'stop' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, timeInForce: 'GTD' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, selfTradePrevention: 'cancel_newest' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, postOnly: 'true' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, leverage: '10' }));
    await refused(400, 'VALIDATION_ERROR', (c) => c.post('/v1/orders?wait=yes', order));
    await refused(400, 'VALIDATION_ERROR', (c) => c.orders('BTC-USDT', '&status=done'));
    await refused(400, 'VALIDATION_ERROR', (c) => c.trades('BTC-USDT', '&limit=0'));
  });

  it('fields that do not fit the order type', async () => {
    const market = { symbol: 'BTC-USDT', side: 'buy', type: 'market' };
    await refused(400, 'VALIDATION_ERROR', place({ ...market, price: '30000', quantity: '0.001' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...market }));
    await refused(400, 'VALIDATION_ERROR', place({ ...market, side: 'sell' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...market, quantity: '0.001', quoteQuantity: '100' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...market, side: 'sell', quoteQuantity: '100' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...market, quoteQuantity: '100', timeInForce: 'FOK' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...market, quantity: '0.001', timeInForce: 'GTC' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...market, quantity: '0.001', postOnly: true }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, price: undefined }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, quantity: undefined }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, quoteQuantity: '100' }));
    await refused(400, 'VALIDATION_ERROR', place({ ...order, postOnly: true, timeInForce: 'IOC' }));
  });

  it('bad amends and cancels', async () => {
    await refused(400, 'VALIDATION_ERROR', (c) => c.amend(resting, 'BTC-USDT', {}));
    await refused(400, 'INVALID_PRICE', (c) => c.amend(resting, 'BTC-USDT', { price: '-1' }));
    await refused(400, 'INVALID_QUANTITY', (c) => c.amend(resting, 'BTC-USDT', { quantity: '0' }));
    await refused(400, 'VALIDATION_ERROR', (c) =>
      c.patch(`/v1/orders/${resting}?symbol=BTC-USDT`, { price: 1 }),
    );
    await refused(400, 'VALIDATION_ERROR', (c) => c.patch(`/v1/orders/${resting}`, { price: '20001' }));
    await refused(400, 'VALIDATION_ERROR', (c) => c.delete(`/v1/orders/${resting}`));
    await refused(400, 'VALIDATION_ERROR', (c) => c.delete(`/v1/orders/bad%20id?symbol=BTC-USDT`));
    await refused(400, 'VALIDATION_ERROR', (c) => c.delete('/v1/orders'));
  });

  it('bad deposits and withdrawals', async () => {
    const admin = h.admin;
    const deposit = (body: unknown) => () => admin.post('/v1/admin/deposits', body);
    const withdraw = (body: unknown) => () => admin.post('/v1/admin/withdrawals', body);
    const base = { userId: user.id, asset: 'USDT' };
    for (const amount of ['-5', '0', '1e3', '0x10', '0.000000001', '99999999999999999999999']) {
      await refused(400, 'INVALID_QUANTITY', deposit({ ...base, amount }));
      await refused(400, 'INVALID_QUANTITY', withdraw({ ...base, amount }));
    }
    await refused(400, 'VALIDATION_ERROR', deposit({ ...base, amount: 5 }));
    await refused(400, 'VALIDATION_ERROR', deposit({ ...base, userId: '1', amount: '5' }));
    await refused(400, 'VALIDATION_ERROR', deposit({ ...base, userId: 0, amount: '5' }));
    await refused(400, 'VALIDATION_ERROR', deposit({ ...base, asset: 'usdt', amount: '5' }));
    await refused(400, 'VALIDATION_ERROR', deposit({ ...base, amount: '5', depositId: 'x'.repeat(65) }));
    await refused(400, 'UNKNOWN_ASSET', deposit({ ...base, asset: 'DOGE', amount: '5' }));
    await refused(409, 'INSUFFICIENT_FUNDS', withdraw({ ...base, amount: '1000000' }), 'funds');
  });

  it('bad market definitions', async () => {
    const admin = h.admin;
    const put = (symbol: string, body: unknown) => () => admin.put(`/v1/admin/markets/${symbol}`, body);
    await refused(400, 'VALIDATION_ERROR', put('ADA-USDT', { ...ADA, status: 'closed' }));
    await refused(400, 'VALIDATION_ERROR', put('ADA-USDT', { ...ADA, makerFee: 0.001 }));
    await refused(400, 'VALIDATION_ERROR', put('ADA-USDT', { ...ADA, symbol: 'BTC-USDT' }));
    await refused(409, 'MARKET_UPDATE_CONFLICT', put('ADA-USDT', { ...ADA, lotSize: '10' }));
    await refused(409, 'MARKET_UPDATE_CONFLICT', put('DOT-USDT', { ...ADA, base: 'DOT', quotePrecision: 6 }));
  });
});
