import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildApp } from '../../../src/api/app.ts';
import { ApiError } from '../../../src/api/errors.ts';
import { memoryPorts } from './support/api-ports.ts';
import { bearer, createHarness, expectError, type Harness } from './support/harness.ts';

/** Every route of DESIGN.md §4, in OpenAPI path syntax. */
const CONTRACT: Array<[method: string, path: string]> = [
  ['get', '/v1/markets'],
  ['put', '/v1/admin/markets/{symbol}'],
  ['post', '/v1/admin/deposits'],
  ['post', '/v1/admin/withdrawals'],
  ['get', '/v1/balances'],
  ['post', '/v1/orders'],
  ['delete', '/v1/orders/{orderId}'],
  ['delete', '/v1/orders'],
  ['patch', '/v1/orders/{orderId}'],
  ['get', '/v1/orders/{orderId}'],
  ['get', '/v1/orders'],
  ['get', '/v1/trades'],
  ['get', '/v1/markets/{symbol}/depth'],
  ['get', '/v1/markets/{symbol}/trades'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
];

describe('api: public market data, infra routes, the OpenAPI document', () => {
  let h: Harness;

  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h.app.close();
  });
  beforeEach(() => h.reset());

  const get = (url: string) => h.app.inject({ method: 'GET', url });

  describe('market data', () => {
    it('GET /v1/markets lists every market with its rules', async () => {
      const response = await get('/v1/markets');
      expect(response.statusCode).to.equal(200);
      expect(response.json()[0]).to.deep.equal({
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
    });

    it('depth: aggregated levels in decimals, limit passed through', async () => {
      h.ports.marketData.depths.set('BTC-USDT', {
        sequence: 42,
        bids: [
          [3_000_000, 150_000],
          [2_999_999, 1],
        ],
        asks: [[3_000_100, 2_000]],
      });
      const response = await get('/v1/markets/BTC-USDT/depth?limit=1');
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.deep.equal({
        symbol: 'BTC-USDT',
        sequence: 42,
        bids: [['30000.00', '1.50000']],
        asks: [['30001.00', '0.02000']],
      });
      expect(h.ports.marketData.calls).to.deep.equal([{ symbol: 'BTC-USDT', limit: 1 }]);
    });

    it('depth and trades default to 100 entries', async () => {
      await get('/v1/markets/ETH-USDT/depth');
      await get('/v1/markets/ETH-USDT/trades');
      expect(h.ports.marketData.calls).to.deep.equal([
        { symbol: 'ETH-USDT', limit: 100 },
        { symbol: 'ETH-USDT', limit: 100 },
      ]);
    });

    it('recent trades in decimals', async () => {
      h.ports.marketData.trades.set('SOL-USDT', [
        { tradeId: '17', price: 15_025, quantity: 2_500, takerSide: 'sell', time: Date.UTC(2025, 5, 1) },
      ]);
      expect((await get('/v1/markets/SOL-USDT/trades')).json()).to.deep.equal([
        {
          tradeId: '17',
          price: '150.25',
          quantity: '2.500',
          takerSide: 'sell',
          time: '2025-06-01T00:00:00.000Z',
        },
      ]);
    });

    for (const [url, status, code] of [
      ['/v1/markets/DOGE-USDT/depth', 404, 'MARKET_NOT_FOUND'],
      ['/v1/markets/DOGE-USDT/trades', 404, 'MARKET_NOT_FOUND'],
      ['/v1/markets/doge/depth', 400, 'VALIDATION_ERROR'],
      ['/v1/markets/BTC-USDT/depth?limit=0', 400, 'VALIDATION_ERROR'],
      ['/v1/markets/BTC-USDT/trades?limit=5000', 400, 'VALIDATION_ERROR'],
      ['/v1/markets/BTC-USDT/trades?limit=10&x=1', 400, 'VALIDATION_ERROR'],
      ['/v1/nothing-here', 404, 'NOT_FOUND'],
    ] as const) {
      it(`GET ${url}: ${status} ${code}`, async () => {
        expectError(await get(url), status, code);
        expect(h.ports.marketData.calls).to.deep.equal([]);
      });
    }

    it('an unsupported method on a route: 404 NOT_FOUND', async () => {
      expectError(await h.app.inject({ method: 'POST', url: '/v1/markets', payload: {} }), 404, 'NOT_FOUND');
    });
  });

  describe('infra', () => {
    it('/healthz answers without touching any dependency', async () => {
      h.ports.health.checks = { redis: false };
      const response = await get('/healthz');
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.deep.equal({ status: 'ok' });
    });

    it('/readyz: 200 when every dependency answers, 503 otherwise', async () => {
      expect((await get('/readyz')).json()).to.deep.equal({
        status: 'ready',
        checks: { redis: true, mysql: true },
      });
      h.ports.health.checks = { redis: true, mysql: false };
      const response = await get('/readyz');
      expect(response.statusCode).to.equal(503);
      expect(response.json()).to.deep.equal({ status: 'not_ready', checks: { redis: true, mysql: false } });
    });

    it('/metrics: the exposition text and its content type', async () => {
      const response = await get('/metrics');
      expect(response.statusCode).to.equal(200);
      expect(response.headers['content-type']).to.equal(h.ports.metrics.contentType);
      expect(response.body).to.contain('http_requests_total 1');
    });

    it('observes each request by route pattern, never by order id', async () => {
      await h.app.inject({
        method: 'GET',
        url: '/v1/orders/secret-order-7',
        headers: bearer(h.tokens.alice),
      });
      await get('/v1/unknown');
      expect(h.ports.metrics.samples.map((s) => [s.method, s.route, s.statusCode])).to.deep.equal([
        ['GET', '/v1/orders/:orderId', 404],
        ['GET', 'unmatched', 404],
      ]);
      expect(h.ports.metrics.samples[0]!.seconds).to.be.a('number').and.at.least(0);
    });
  });

  describe('errors', () => {
    it('an unexpected failure: 500 INTERNAL, with nothing of it shown', async () => {
      h.ports.markets.list = async () => {
        throw new TypeError('cannot read properties of undefined (reading "password")');
      };
      const response = await get('/v1/markets');
      expectError(response, 500, 'INTERNAL');
      expect(response.json().error.message).to.equal('internal error');
    });

    it('logs an unexpected failure with its details, and no Authorization header', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const ports = memoryPorts(h.config.seedMarkets.values());
      ports.orders.getOrder = async () => {
        throw new Error('read model exploded');
      };
      const app = buildApp({ config: h.config, ports, logger: pino({ level: 'info' }, sink) });
      const response = await app.inject({
        method: 'GET',
        url: '/v1/orders/o-1',
        headers: bearer(h.tokens.alice),
      });
      await app.close();
      expectError(response, 500, 'INTERNAL');
      const logged = lines.join('');
      expect(logged).to.contain('read model exploded').and.contain('"code":"INTERNAL"');
      expect(logged).not.to.contain(h.tokens.alice);
    });

    it('OVERLOADED from a port: 503 with a Retry-After of at least one second', async () => {
      h.ports.marketData.depth = async () => {
        throw new ApiError('OVERLOADED', 'market data cache unavailable');
      };
      const response = await get('/v1/markets/BTC-USDT/depth');
      expectError(response, 503, 'OVERLOADED');
      expect(response.headers['retry-after']).to.equal('1');
    });
  });

  describe('GET /openapi.json', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let doc: any;
    before(async () => {
      const response = await get('/openapi.json');
      expect(response.statusCode).to.equal(200);
      doc = response.json();
    });

    it('is an OpenAPI 3.1 document', () => {
      expect(doc.openapi).to.equal('3.1.0');
      expect(doc.components.securitySchemes.bearer).to.deep.equal({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
      });
      expect(doc.components.schemas).to.have.keys(['ApiError', 'Order', 'Market']);
    });

    for (const [method, path] of CONTRACT) {
      it(`lists ${method.toUpperCase()} ${path}`, () => {
        expect(doc.paths[path], path).to.have.property(method);
      });
    }

    it('lists no route outside the contract but itself', () => {
      const listed = Object.entries(doc.paths as Record<string, object>).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method} ${path}`),
      );
      const expected = [...CONTRACT.map(([m, p]) => `${m} ${p}`), 'get /openapi.json'];
      expect(listed.sort()).to.deep.equal(expected.sort());
    });

    it('protected routes declare the bearer scheme; their errors use the shared schema', () => {
      const placed = doc.paths['/v1/orders'].post;
      expect(placed.security).to.deep.equal([{ bearer: [] }]);
      expect(placed.responses['400'].content['application/json'].schema).to.deep.equal({
        $ref: '#/components/schemas/ApiError',
      });
      expect(placed.requestBody.content['application/json'].schema.additionalProperties).to.equal(false);
    });
  });
});
