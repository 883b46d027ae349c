import { expect } from 'chai';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../../src/api/app.ts';
import { mintToken } from '../../../src/api/auth.ts';
import { ApiError } from '../../../src/api/errors.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { METRICS } from '../../../src/observability/metric-names.ts';
import { ApiMetrics } from '../../../src/observability/metrics.ts';
import { Scrape } from '../../support/prometheus-text.ts';
import { memoryPorts, type MemoryPorts } from './support/api-ports.ts';

const SECRET = 'unit-test-secret-0123456789abcdef-xyz';
const LIMIT_BUY = { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '30000.01', quantity: '0.5' };

describe('api: metrics of the intake (exchange_intake_rejects_total, exchange_market_info)', () => {
  let app: FastifyInstance;
  let ports: MemoryPorts;
  let metrics: ApiMetrics;
  let token: string;

  beforeEach(async () => {
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: SECRET, WAIT_TIMEOUT_MS: '200' });
    ports = memoryPorts(config.seedMarkets.values());
    metrics = new ApiMetrics({ markets: ports.markets });
    app = buildApp({ config, ports: { ...ports, metrics } });
    await app.ready();
    token = await mintToken(SECRET, { userId: 7, expiresIn: '1h' });
  });
  afterEach(async () => {
    await app.close();
  });

  const send = (options: InjectOptions) =>
    app.inject({ ...options, headers: { authorization: `Bearer ${token}`, ...options.headers } });
  const place = (payload: object, url = '/v1/orders') => send({ method: 'POST', url, payload });
  const scrape = async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).to.equal(200);
    return new Scrape(response.body);
  };
  const rejects = (s: Scrape, symbol: string, code: string) => s.sum(METRICS.intakeRejects, { symbol, code });

  it('counts refusals before the stream by market and code, the unknown symbol as "unknown"', async () => {
    expect((await place({ ...LIMIT_BUY, price: '-1' })).statusCode).to.equal(400);
    expect((await place({ ...LIMIT_BUY, price: 30000 })).statusCode).to.equal(400);
    expect((await place({ ...LIMIT_BUY, symbol: 'DOGE-USDT' })).statusCode).to.equal(400);
    // Input that breaks the schema, symbol included: the raw text never becomes a label.
    expect((await place({ ...LIMIT_BUY, symbol: 'user-42-secret' })).statusCode).to.equal(400);
    const badJson = await send({
      method: 'POST',
      url: '/v1/orders',
      payload: '{"symbol":',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.statusCode).to.equal(400);
    const amend = await send({
      method: 'PATCH',
      url: '/v1/orders/abc?symbol=ETH-USDT',
      payload: { price: '-5' },
    });
    expect(amend.statusCode).to.equal(400);
    ports.intake.failWith = new ApiError('SYMBOL_BACKLOGGED', 'backlog', { retryAfterSeconds: 1 });
    expect((await place(LIMIT_BUY)).statusCode).to.equal(503);
    // Not intake refusals: no token, and a store that fails.
    expect(
      (await send({ method: 'POST', url: '/v1/orders', payload: LIMIT_BUY, headers: { authorization: '' } }))
        .statusCode,
    ).to.equal(401);
    ports.intake.failWith = new ApiError('UNAVAILABLE', 'down');
    expect((await place(LIMIT_BUY)).statusCode).to.equal(503);

    const s = await scrape();
    expect(rejects(s, 'BTC-USDT', 'INVALID_PRICE')).to.equal(1);
    expect(rejects(s, 'BTC-USDT', 'VALIDATION_ERROR')).to.equal(1);
    expect(rejects(s, 'unknown', 'UNKNOWN_SYMBOL')).to.equal(1);
    expect(rejects(s, 'unknown', 'VALIDATION_ERROR')).to.equal(1);
    expect(rejects(s, 'unknown', 'INVALID_JSON')).to.equal(1);
    expect(rejects(s, 'ETH-USDT', 'INVALID_PRICE')).to.equal(1);
    expect(rejects(s, 'BTC-USDT', 'SYMBOL_BACKLOGGED')).to.equal(1);
    expect(s.sum(METRICS.intakeRejects), 'nothing else').to.equal(7);
    const symbols = s.labelValues(METRICS.intakeRejects, 'symbol');
    expect(symbols, 'only markets and "unknown" label a refusal').to.deep.equal([
      'BTC-USDT',
      'ETH-USDT',
      'SOL-USDT',
      'unknown',
    ]);
  });

  it('does not count a refusal that came back from the engine after the append', async () => {
    ports.intake.onAppend = (call) => {
      if (call.method === 'place')
        ports.outcomes.publish(call.command.orderId, { kind: 'rejected', reason: 'INSUFFICIENT_FUNDS' });
    };
    const answer = await place(LIMIT_BUY, '/v1/orders?wait=true');
    expect(answer.statusCode, answer.body).to.equal(409);
    expect(ports.intake.calls).to.have.length(1);
    expect((await scrape()).sum(METRICS.intakeRejects)).to.equal(0);
  });

  it('starts every market’s refusal series at 0 and lists the markets it knows', async () => {
    const s = await scrape();
    for (const symbol of ['BTC-USDT', 'ETH-USDT', 'SOL-USDT']) {
      expect(s.sum(METRICS.marketInfo, { symbol }), symbol).to.equal(1);
      expect(s.series(METRICS.intakeRejects, { symbol, code: 'SYMBOL_BACKLOGGED' }), symbol).to.have.length(
        1,
      );
    }
    expect(s.series(METRICS.marketInfo)).to.have.length(3);
    expect(s.types.get(METRICS.httpRequestDuration)).to.equal('histogram');
    expect(s.series('process_cpu_user_seconds_total'), 'default metrics').to.have.length(1);
  });
});
