import { expect } from 'chai';
import { compileMarket } from '../../../src/markets/market-rules.ts';
import {
  ALICE,
  BOB,
  bearer,
  createHarness,
  expectError,
  orderRecord,
  type Harness,
} from './support/harness.ts';

describe('api: cancel, cancel all, amend', () => {
  let h: Harness;

  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h.app.close();
  });
  beforeEach(() => {
    h.reset();
    h.ports.orders.add(orderRecord({ orderId: 'alice-1', clientOrderId: 'mine', userId: ALICE }));
    h.ports.orders.add(orderRecord({ orderId: 'bob-1', userId: BOB }));
    h.ports.orders.add(orderRecord({ orderId: 'alice-filled', userId: ALICE, status: 'filled' }));
  });
  afterEach(() => {
    expect(h.ports.outcomes.pending, 'watches left open').to.equal(0);
  });

  const cancel = (orderId: string, query = 'symbol=BTC-USDT', token = h.tokens.alice) =>
    h.app.inject({ method: 'DELETE', url: `/v1/orders/${orderId}?${query}`, headers: bearer(token) });
  const amend = (orderId: string, payload: object, query = 'symbol=BTC-USDT') =>
    h.app.inject({
      method: 'PATCH',
      url: `/v1/orders/${orderId}?${query}`,
      headers: bearer(h.tokens.alice),
      payload,
    });

  it('asks the matcher for an outcome only when the request waits for it', async () => {
    await cancel('alice-1');
    await cancel('alice-1', 'symbol=BTC-USDT&wait=true');
    await amend('alice-1', { quantity: '0.5' });
    await amend('alice-1', { quantity: '0.4' }, 'symbol=BTC-USDT&wait=true');
    await h.app.inject({
      method: 'DELETE',
      url: '/v1/orders?symbol=BTC-USDT',
      headers: bearer(h.tokens.alice),
    });
    const place = (query: string) =>
      h.app.inject({
        method: 'POST',
        url: `/v1/orders${query}`,
        headers: bearer(h.tokens.alice),
        payload: { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '30000', quantity: '1' },
      });
    await place('');
    await place('?wait=true');
    expect(h.ports.intake.calls.map((c) => c.method)).to.deep.equal([
      'submit',
      'submit',
      'submit',
      'submit',
      'submit',
      'place',
      'place',
    ]);
    expect(h.ports.intake.awaitedOutcomes).to.deep.equal([false, true, false, true, false, false, true]);
  });

  describe('DELETE /v1/orders/:orderId', () => {
    it('appends a cancel and answers 202', async () => {
      const response = await cancel('alice-1');
      expect(response.statusCode).to.equal(202);
      expect(response.json()).to.deep.equal({
        orderId: 'alice-1',
        clientOrderId: 'mine',
        status: 'accepted',
      });
      expect(h.ports.intake.calls).to.deep.equal([
        {
          method: 'submit',
          symbol: 'BTC-USDT',
          command: { type: 'cancel', orderId: 'alice-1', userId: ALICE },
        },
      ]);
    });

    it('an order the read model does not know yet still goes to the engine', async () => {
      const response = await cancel('just-placed');
      expect(response.statusCode).to.equal(202);
      expect(response.json()).to.include({ orderId: 'just-placed', clientOrderId: null });
      expect(h.ports.intake.calls).to.have.length(1);
    });

    it("another user's order: 404 ORDER_NOT_FOUND, nothing appended", async () => {
      expectError(await cancel('bob-1'), 404, 'ORDER_NOT_FOUND');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('an order on another symbol than the query: 404 ORDER_NOT_FOUND', async () => {
      expectError(await cancel('alice-1', 'symbol=ETH-USDT'), 404, 'ORDER_NOT_FOUND');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('a final order: 409 ORDER_NOT_OPEN', async () => {
      expectError(await cancel('alice-filled'), 409, 'ORDER_NOT_OPEN');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('works on a halted market', async () => {
      const market = (await h.ports.markets.get('BTC-USDT'))!;
      await h.ports.markets.upsert(compileMarket({ ...market.definition, status: 'halted' }));
      expect((await cancel('alice-1')).statusCode).to.equal(202);
    });

    for (const [name, orderId, query, code] of [
      ['without a symbol', 'alice-1', '', 'VALIDATION_ERROR'],
      ['with an unknown symbol', 'alice-1', 'symbol=DOGE-USDT', 'UNKNOWN_SYMBOL'],
      ['with an order id too long', 'a'.repeat(65), 'symbol=BTC-USDT', 'VALIDATION_ERROR'],
      ['with odd characters in the order id', 'a%20b', 'symbol=BTC-USDT', 'VALIDATION_ERROR'],
      ['with wait=1', 'alice-1', 'symbol=BTC-USDT&wait=1', 'VALIDATION_ERROR'],
      ['with a repeated symbol', 'alice-1', 'symbol=BTC-USDT&symbol=ETH-USDT', 'VALIDATION_ERROR'],
    ] as const) {
      it(`${name}: 400 ${code}`, async () => {
        expectError(await cancel(orderId, query), 400, code);
        expect(h.ports.intake.calls).to.deep.equal([]);
      });
    }

    it('?wait=true: 200 with the final order', async () => {
      h.ports.intake.onAppend = () =>
        h.ports.outcomes.publish('alice-1', {
          kind: 'order',
          order: orderRecord({ orderId: 'alice-1', clientOrderId: 'mine', status: 'canceled' }),
        });
      const response = await cancel('alice-1', 'symbol=BTC-USDT&wait=true');
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.include({ orderId: 'alice-1', status: 'canceled', price: '30000.00' });
    });

    it('?wait=true and the engine does not know the order: 404 ORDER_NOT_FOUND', async () => {
      h.ports.intake.onAppend = () =>
        h.ports.outcomes.publish('ghost', { kind: 'rejected', reason: 'ORDER_NOT_FOUND' });
      expectError(await cancel('ghost', 'symbol=BTC-USDT&wait=true'), 404, 'ORDER_NOT_FOUND');
    });

    it('?wait=true without an outcome in time: the 202 ack', async () => {
      expect((await cancel('alice-1', 'symbol=BTC-USDT&wait=true')).statusCode).to.equal(202);
    });
  });

  describe('DELETE /v1/orders?symbol=S', () => {
    it("appends a cancelAll for the caller's orders on the symbol", async () => {
      const response = await h.app.inject({
        method: 'DELETE',
        url: '/v1/orders?symbol=ETH-USDT',
        headers: bearer(h.tokens.bob),
      });
      expect(response.statusCode).to.equal(202);
      expect(response.json()).to.deep.equal({ symbol: 'ETH-USDT', status: 'accepted' });
      expect(h.ports.intake.calls).to.deep.equal([
        { method: 'submit', symbol: 'ETH-USDT', command: { type: 'cancelAll', userId: BOB } },
      ]);
    });

    it('accepts a JSON content type without a body', async () => {
      const response = await h.app.inject({
        method: 'DELETE',
        url: '/v1/orders?symbol=ETH-USDT',
        headers: { ...bearer(h.tokens.bob), 'content-type': 'application/json' },
      });
      expect(response.statusCode).to.equal(202);
    });

    it('needs a known symbol', async () => {
      const inject = (url: string) =>
        h.app.inject({ method: 'DELETE', url, headers: bearer(h.tokens.alice) });
      expectError(await inject('/v1/orders'), 400, 'VALIDATION_ERROR');
      expectError(await inject('/v1/orders?symbol=DOGE-USDT'), 400, 'UNKNOWN_SYMBOL');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });
  });

  describe('PATCH /v1/orders/:orderId', () => {
    it('a new price: ticks, quantity 0 (kept)', async () => {
      const response = await amend('alice-1', { price: '30100.5' });
      expect(response.statusCode).to.equal(202);
      expect(h.ports.intake.calls).to.deep.equal([
        {
          method: 'submit',
          symbol: 'BTC-USDT',
          command: { type: 'amend', orderId: 'alice-1', userId: ALICE, price: 3_010_050, quantity: 0 },
        },
      ]);
    });

    it('a new quantity: lots, price 0 (kept)', async () => {
      expect((await amend('alice-1', { quantity: '0.25' })).statusCode).to.equal(202);
      expect(h.ports.intake.calls[0]!.command).to.include({ price: 0, quantity: 25_000 });
    });

    for (const [name, payload, status, code] of [
      ['an empty body', {}, 400, 'VALIDATION_ERROR'],
      ['an unknown field', { price: '1', side: 'sell' }, 400, 'VALIDATION_ERROR'],
      ['a number', { price: 30000 }, 400, 'VALIDATION_ERROR'],
      ['a price off the tick', { price: '30000.001' }, 400, 'INVALID_PRICE'],
      ['a zero quantity', { quantity: '0' }, 400, 'INVALID_QUANTITY'],
      [
        'a quantity below the minimum notional at the current price',
        { quantity: '0.0001' },
        400,
        'MIN_NOTIONAL',
      ],
      ['a price below the minimum notional at the current quantity', { price: '0.01' }, 400, 'MIN_NOTIONAL'],
    ] as const) {
      it(`${name}: ${status} ${code}`, async () => {
        expectError(await amend('alice-1', payload), status, code);
        expect(h.ports.intake.calls).to.deep.equal([]);
      });
    }

    it("another user's order: 404, nothing appended", async () => {
      expectError(await amend('bob-1', { price: '1' }), 404, 'ORDER_NOT_FOUND');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    it('a final order: 409 ORDER_NOT_OPEN', async () => {
      expectError(await amend('alice-filled', { price: '30000' }), 409, 'ORDER_NOT_OPEN');
    });

    it('a halted market: 409 MARKET_HALTED', async () => {
      const market = (await h.ports.markets.get('BTC-USDT'))!;
      await h.ports.markets.upsert(compileMarket({ ...market.definition, status: 'halted' }));
      expectError(await amend('alice-1', { price: '30000' }), 409, 'MARKET_HALTED');
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    for (const [reason, status, code] of [
      ['POST_ONLY_WOULD_TAKE', 409, 'POST_ONLY_WOULD_TAKE'],
      ['INSUFFICIENT_FUNDS', 409, 'INSUFFICIENT_FUNDS'],
      ['INVALID_QUANTITY', 409, 'COMMAND_REJECTED'],
      ['ORDER_NOT_FOUND', 404, 'ORDER_NOT_FOUND'],
    ] as const) {
      it(`?wait=true and the engine refuses with ${reason}: ${status} ${code}`, async () => {
        h.ports.intake.onAppend = () => h.ports.outcomes.publish('alice-1', { kind: 'rejected', reason });
        const response = await amend('alice-1', { price: '29000' }, 'symbol=BTC-USDT&wait=true');
        expectError(response, status, code);
        if (code === 'COMMAND_REJECTED') expect(response.json().error.message).to.contain(reason);
      });
    }

    it('?wait=true: 200 with the amended order', async () => {
      h.ports.intake.onAppend = () =>
        h.ports.outcomes.publish('alice-1', {
          kind: 'order',
          order: orderRecord({ orderId: 'alice-1', price: 2_900_000 }),
        });
      const response = await amend('alice-1', { price: '29000' }, 'symbol=BTC-USDT&wait=true');
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.include({ price: '29000.00' });
    });
  });
});
