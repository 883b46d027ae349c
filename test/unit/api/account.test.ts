import { expect } from 'chai';
import {
  ALICE,
  BOB,
  bearer,
  createHarness,
  expectError,
  orderRecord,
  type Harness,
} from './support/harness.ts';

describe('api: orders, trades and balances of the caller', () => {
  let h: Harness;

  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h.app.close();
  });
  beforeEach(() => h.reset());

  const get = (url: string, token = h.tokens.alice) =>
    h.app.inject({ method: 'GET', url, headers: bearer(token) });

  describe('GET /v1/orders/:orderId', () => {
    it('the owner gets the order in decimals, fees in the asset received', async () => {
      h.ports.orders.add(
        orderRecord({
          orderId: 'o-1',
          side: 'sell',
          status: 'filled',
          filledQuantity: 50_000,
          filledQuote: 1_500_000_000_000,
          fills: [
            {
              tradeId: '3',
              price: 3_000_000,
              quantity: 50_000,
              fee: 1_500_000_000,
              feeAsset: 'USDT',
              liquidity: 'maker',
            },
          ],
          updatedAt: Date.UTC(2025, 0, 31, 12, 0, 1, 250),
        }),
      );
      const response = await get('/v1/orders/o-1');
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.deep.include({
        orderId: 'o-1',
        side: 'sell',
        price: '30000.00',
        quantity: '0.50000',
        status: 'filled',
        filledQuantity: '0.50000',
        filledQuoteQuantity: '15000.00000000',
        fills: [
          {
            tradeId: '3',
            price: '30000.00',
            quantity: '0.50000',
            fee: '15.00000000',
            feeAsset: 'USDT',
            liquidity: 'maker',
          },
        ],
        updatedAt: '2025-01-31T12:00:01.250Z',
      });
    });

    it('a market buy by quote amount shows its quoteQuantity and no price or quantity', async () => {
      h.ports.orders.add(
        orderRecord({
          orderId: 'm-1',
          type: 'market',
          price: null,
          quantity: null,
          quoteQuantity: 10_000_000_000,
          timeInForce: 'IOC',
        }),
      );
      expect((await get('/v1/orders/m-1')).json()).to.include({
        price: null,
        quantity: null,
        quoteQuantity: '100.00000000',
      });
    });

    it("another user's order is a 404 exactly like a missing one", async () => {
      h.ports.orders.add(orderRecord({ orderId: 'bobs', userId: BOB }));
      const theirs = await get('/v1/orders/bobs');
      const missing = await get('/v1/orders/nobodys');
      expectError(theirs, 404, 'ORDER_NOT_FOUND');
      expectError(missing, 404, 'ORDER_NOT_FOUND');
      expect(theirs.json().error.message.replace('bobs', 'X')).to.equal(
        missing.json().error.message.replace('nobodys', 'X'),
      );
      expect((await get('/v1/orders/bobs', h.tokens.bob)).statusCode).to.equal(200);
    });
  });

  describe('GET /v1/orders', () => {
    beforeEach(() => {
      h.ports.orders.add(orderRecord({ orderId: 'a-new', createdAt: 1 }));
      h.ports.orders.add(orderRecord({ orderId: 'a-partial', status: 'partially_filled', createdAt: 2 }));
      h.ports.orders.add(orderRecord({ orderId: 'a-filled', status: 'filled', createdAt: 3 }));
      h.ports.orders.add(orderRecord({ orderId: 'a-eth', symbol: 'ETH-USDT', createdAt: 4 }));
      h.ports.orders.add(orderRecord({ orderId: 'b-new', userId: BOB, createdAt: 5 }));
    });
    const ids = async (url: string) => (await get(url)).json().map((o: { orderId: string }) => o.orderId);

    it("lists the caller's orders on the symbol, newest first", async () => {
      expect(await ids('/v1/orders?symbol=BTC-USDT')).to.deep.equal(['a-filled', 'a-partial', 'a-new']);
    });

    it('status=open is new and partially filled', async () => {
      expect(await ids('/v1/orders?symbol=BTC-USDT&status=open')).to.deep.equal(['a-partial', 'a-new']);
      expect(await ids('/v1/orders?symbol=BTC-USDT&status=filled')).to.deep.equal(['a-filled']);
    });

    it('limit bounds the list', async () => {
      expect(await ids('/v1/orders?symbol=BTC-USDT&limit=1')).to.deep.equal(['a-filled']);
      expect(await ids('/v1/orders?symbol=BTC-USDT&limit=1000')).to.have.length(3);
    });

    for (const [query, code] of [
      ['', 'VALIDATION_ERROR'],
      ['symbol=DOGE-USDT', 'UNKNOWN_SYMBOL'],
      ['symbol=BTC-USDT&status=pending', 'VALIDATION_ERROR'],
      ['symbol=BTC-USDT&limit=0', 'VALIDATION_ERROR'],
      ['symbol=BTC-USDT&limit=1001', 'VALIDATION_ERROR'],
      ['symbol=BTC-USDT&limit=-1', 'VALIDATION_ERROR'],
      ['symbol=BTC-USDT&limit=1e2', 'VALIDATION_ERROR'],
      ['symbol=BTC-USDT&limit=abc', 'VALIDATION_ERROR'],
      ['symbol=BTC-USDT&page=2', 'VALIDATION_ERROR'],
    ]) {
      it(`?${query}: 400 ${code}`, async () => {
        expectError(await get(`/v1/orders?${query}`), 400, code!);
      });
    }
  });

  describe('GET /v1/trades', () => {
    it("lists the caller's fills on the symbol", async () => {
      const fill = {
        tradeId: '9',
        orderId: 'a-1',
        symbol: 'BTC-USDT',
        side: 'buy' as const,
        price: 3_000_000,
        quantity: 1_000,
        quoteQuantity: 30_000_000_000,
        fee: 2_000,
        feeAsset: 'BTC',
        liquidity: 'taker' as const,
        time: Date.UTC(2025, 1, 1),
      };
      h.ports.orders.trades.push({ ...fill, userId: ALICE }, { ...fill, tradeId: '10', userId: BOB });
      const response = await get('/v1/trades?symbol=BTC-USDT');
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.deep.equal([
        {
          tradeId: '9',
          orderId: 'a-1',
          symbol: 'BTC-USDT',
          side: 'buy',
          price: '30000.00',
          quantity: '0.01000',
          quoteQuantity: '300.00000000',
          fee: '0.00002000',
          feeAsset: 'BTC',
          liquidity: 'taker',
          time: '2025-02-01T00:00:00.000Z',
        },
      ]);
    });

    it('needs a known symbol', async () => {
      expectError(await get('/v1/trades'), 400, 'VALIDATION_ERROR');
      expectError(await get('/v1/trades?symbol=DOGE-USDT'), 400, 'UNKNOWN_SYMBOL');
    });
  });

  describe('GET /v1/balances', () => {
    it("the caller's balances in decimals", async () => {
      h.ports.balances.balances.set(`${ALICE}:USDT`, { available: 123_450_000_000n, locked: 1n });
      h.ports.balances.balances.set(`${ALICE}:BTC`, { available: 2n ** 60n, locked: 0n });
      h.ports.balances.balances.set(`${BOB}:USDT`, { available: 5n, locked: 0n });
      const response = await get('/v1/balances');
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.deep.equal([
        { asset: 'BTC', available: '11529215046.06846976', locked: '0.00000000' },
        { asset: 'USDT', available: '1234.50000000', locked: '0.00000001' },
      ]);
    });
  });
});
