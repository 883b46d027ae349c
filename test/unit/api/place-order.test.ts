import { expect } from 'chai';
import type { InjectOptions } from 'fastify';
import { ApiError } from '../../../src/api/errors.ts';
import {
  ALICE,
  BOB,
  bearer,
  createHarness,
  expectError,
  orderRecord,
  type Harness,
} from './support/harness.ts';

const LIMIT_BUY = { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '30000.01', quantity: '0.5' };

describe('api: POST /v1/orders', () => {
  let h: Harness;

  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h.app.close();
  });
  beforeEach(() => h.reset());
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

  describe('accepts', () => {
    it('a limit buy: 202 with the order id, the command in ticks and lots with the defaults', async () => {
      const response = await place(LIMIT_BUY);
      expect(response.statusCode).to.equal(202);
      expect(response.json()).to.deep.equal({ orderId: 'id-1', clientOrderId: null, status: 'accepted' });
      expect(h.ports.intake.calls).to.deep.equal([
        {
          method: 'place',
          symbol: 'BTC-USDT',
          command: {
            type: 'place',
            orderId: 'id-1',
            userId: ALICE,
            side: 'buy',
            orderType: 'limit',
            price: 3_000_001,
            quantity: 50_000,
            quoteLimit: 0,
            timeInForce: 'GTC',
            postOnly: false,
            selfTradePrevention: 'expire_taker',
            clientOrderId: null,
          },
        },
      ]);
      expect(h.ports.outcomes.watched).to.deep.equal([]);
    });

    it('the minimum notional exactly', async () => {
      const response = await place({ ...LIMIT_BUY, price: '50000', quantity: '0.0001' });
      expect(response.statusCode, response.body).to.equal(202);
    });

    it('trailing zeros within the precision', async () => {
      expect(
        (await place({ ...LIMIT_BUY, price: '30000.0100', quantity: '0.50000000' })).statusCode,
      ).to.equal(202);
      expect(h.ports.intake.calls[0]!.command).to.include({ price: 3_000_001, quantity: 50_000 });
    });

    it('a market buy by quote amount: quantity 0, quoteLimit in quote units, IOC', async () => {
      const response = await place({
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'market',
        quoteQuantity: '100.5',
      });
      expect(response.statusCode).to.equal(202);
      expect(h.ports.intake.calls[0]!.command).to.include({
        orderType: 'market',
        price: 0,
        quantity: 0,
        quoteLimit: 10_050_000_000,
        timeInForce: 'IOC',
      });
    });

    it('a FOK market sell by quantity, and explicit options', async () => {
      const response = await place({
        symbol: 'ETH-USDT',
        side: 'sell',
        type: 'market',
        quantity: '1.5',
        timeInForce: 'FOK',
        selfTradePrevention: 'none',
      });
      expect(response.statusCode).to.equal(202);
      expect(h.ports.intake.calls[0]).to.deep.include({ symbol: 'ETH-USDT' });
      expect(h.ports.intake.calls[0]!.command).to.include({
        side: 'sell',
        quantity: 15_000,
        timeInForce: 'FOK',
        selfTradePrevention: 'none',
        postOnly: false,
      });
    });

    it('a post-only GTC limit order', async () => {
      expect((await place({ ...LIMIT_BUY, postOnly: true })).statusCode).to.equal(202);
      expect(h.ports.intake.calls[0]!.command).to.include({ postOnly: true, timeInForce: 'GTC' });
    });

    it('a repeated clientOrderId: the first order id, and no second command', async () => {
      const body = { ...LIMIT_BUY, clientOrderId: 'my-order_1' };
      const first = await place(body);
      const second = await place(body);
      expect(first.json()).to.deep.equal({
        orderId: 'id-1',
        clientOrderId: 'my-order_1',
        status: 'accepted',
      });
      expect(second.statusCode).to.equal(202);
      expect(second.json()).to.deep.equal({
        orderId: 'id-1',
        clientOrderId: 'my-order_1',
        status: 'accepted',
      });
      expect(h.ports.intake.calls).to.have.length(1);
    });

    it('the same clientOrderId from another user: a new order', async () => {
      const body = { ...LIMIT_BUY, clientOrderId: 'shared' };
      await place(body);
      const bobs = await place(body, { headers: bearer(h.tokens.bob) });
      expect(bobs.json().orderId).to.equal('id-2');
      expect(h.ports.intake.calls.map((c) => ('userId' in c.command ? c.command.userId : 0))).to.deep.equal([
        ALICE,
        BOB,
      ]);
    });
  });

  describe('?wait=true', () => {
    it('answers 200 with the order once the engine outcome arrives', async () => {
      h.ports.intake.onAppend = (call) => {
        if (call.method !== 'place') return;
        const order = orderRecord({
          orderId: call.command.orderId,
          price: call.command.price,
          quantity: call.command.quantity,
          status: 'partially_filled',
          filledQuantity: 10_000,
          filledQuote: 300_000_100_000,
          fills: [
            {
              tradeId: '7',
              price: 3_000_001,
              quantity: 10_000,
              fee: 20_000,
              feeAsset: 'BTC',
              liquidity: 'taker',
            },
          ],
        });
        setImmediate(() => h.ports.outcomes.publish(call.command.orderId, { kind: 'order', order }));
      };
      const response = await place(LIMIT_BUY, { url: '/v1/orders?wait=true' });
      expect(response.statusCode, response.body).to.equal(200);
      expect(response.json()).to.deep.equal({
        orderId: 'id-1',
        clientOrderId: null,
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        price: '30000.01',
        quantity: '0.50000',
        quoteQuantity: null,
        timeInForce: 'GTC',
        postOnly: false,
        status: 'partially_filled',
        filledQuantity: '0.10000',
        filledQuoteQuantity: '3000.00100000',
        rejectReason: null,
        fills: [
          {
            tradeId: '7',
            price: '30000.01',
            quantity: '0.10000',
            fee: '0.00020000',
            feeAsset: 'BTC',
            liquidity: 'taker',
          },
        ],
        createdAt: '2025-01-31T12:00:00.000Z',
        updatedAt: '2025-01-31T12:00:00.000Z',
      });
      expect(h.ports.outcomes.watched).to.deep.equal([
        { orderId: 'id-1', timeoutMs: h.config.http.waitTimeoutMs },
      ]);
    });

    it('answers 200 with a rejected order (funds are an outcome, not an HTTP error)', async () => {
      h.ports.intake.onAppend = (call) => {
        const order = orderRecord({
          orderId: 'id-1',
          status: 'rejected',
          rejectReason: 'INSUFFICIENT_FUNDS',
        });
        h.ports.outcomes.publish(call.method === 'place' ? call.command.orderId : '', {
          kind: 'order',
          order,
        });
      };
      const response = await place(LIMIT_BUY, { url: '/v1/orders?wait=true' });
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.include({ status: 'rejected', rejectReason: 'INSUFFICIENT_FUNDS' });
    });

    it('answers the 202 ack when no outcome arrives within the wait timeout', async () => {
      const started = Date.now();
      const response = await place(LIMIT_BUY, { url: '/v1/orders?wait=true' });
      expect(response.statusCode).to.equal(202);
      expect(response.json()).to.deep.equal({ orderId: 'id-1', clientOrderId: null, status: 'accepted' });
      expect(Date.now() - started).to.be.at.least(h.config.http.waitTimeoutMs - 5);
    });

    it('a repeated clientOrderId answers with the first order as the read model has it', async () => {
      const body = { ...LIMIT_BUY, clientOrderId: 'again' };
      await place(body);
      h.ports.orders.add(orderRecord({ orderId: 'id-1', clientOrderId: 'again', status: 'filled' }));
      const response = await place(body, { url: '/v1/orders?wait=true' });
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.include({ orderId: 'id-1', clientOrderId: 'again', status: 'filled' });
      expect(h.ports.intake.calls).to.have.length(1);
    });

    it('stops watching when the append fails, and answers 500 INTERNAL without details', async () => {
      h.ports.intake.failWith = new Error('connection to redis lost: secret-host:6379');
      const response = await place(LIMIT_BUY, { url: '/v1/orders?wait=true' });
      expectError(response, 500, 'INTERNAL');
      expect(response.body).not.to.contain('secret-host');
    });

    it('an overloaded intake: 503 OVERLOADED with Retry-After', async () => {
      h.ports.intake.failWith = new ApiError('OVERLOADED', 'stream backlog too long', {
        retryAfterSeconds: 2.5,
      });
      const response = await place(LIMIT_BUY);
      expectError(response, 503, 'OVERLOADED');
      expect(response.headers['retry-after']).to.equal('3');
    });
  });
});
