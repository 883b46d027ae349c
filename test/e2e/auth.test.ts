import { expect } from 'chai';
import { SignJWT } from 'jose';
import { mintToken } from '../../src/api/auth.ts';
import { codeOf, type HttpResponse } from '../support/http-client.ts';
import { Harness, placed, waitForOrder } from './harness.ts';

/**
 * Authentication and authorization over real HTTP (DESIGN.md §4, docs/api-errors.md): every bad
 * token is a 401 with `WWW-Authenticate: Bearer`, an ordinary user on an operator route is a 403,
 * and another user's order is a 404 exactly like a missing one, on GET, DELETE and PATCH, and the
 * refused request appends nothing to the stream.
 */
describe('e2e: authentication and authorization', function () {
  this.timeout(20_000);
  let h: Harness;
  let secret: string;

  before(async function () {
    this.timeout(30_000);
    h = await Harness.start();
    secret = h.system.config.auth.jwtSecret;
  });
  after(async () => h?.stop());

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);

  /** Every protected route, with a body that would be valid. */
  const PROTECTED: ReadonlyArray<[method: string, path: string, body?: unknown]> = [
    ['GET', '/v1/balances'],
    [
      'POST',
      '/v1/orders',
      { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '30000', quantity: '0.001' },
    ],
    ['DELETE', '/v1/orders/1?symbol=BTC-USDT'],
    ['DELETE', '/v1/orders?symbol=BTC-USDT'],
    ['PATCH', '/v1/orders/1?symbol=BTC-USDT', { quantity: '0.001' }],
    ['GET', '/v1/orders/1'],
    ['GET', '/v1/orders?symbol=BTC-USDT'],
    ['GET', '/v1/trades?symbol=BTC-USDT'],
    ['POST', '/v1/admin/deposits', { userId: 1, asset: 'USDT', amount: '1' }],
    ['POST', '/v1/admin/withdrawals', { userId: 1, asset: 'USDT', amount: '1' }],
  ];

  function expect401(res: HttpResponse<unknown>, code = 'UNAUTHORIZED'): void {
    expect(res.status, res.text).to.equal(401);
    expect(codeOf(res)).to.equal(code);
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
  }

  async function badTokens(): Promise<Array<[string, string, string]>> {
    const valid = await mintToken(secret, { userId: 7, expiresIn: 3600 });
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const key = new TextEncoder().encode(secret);
    return [
      ['malformed', 'not-a-jwt', 'UNAUTHORIZED'],
      ['two segments', `${header}.${payload}`, 'UNAUTHORIZED'],
      ['expired', await mintToken(secret, { userId: 7, expiresIn: -60 }), 'TOKEN_EXPIRED'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'UNAUTHORIZED'],
      ['tampered sub', `${header}.${b64({ ...claims, sub: '8' })}.${signature}`, 'UNAUTHORIZED'],
      ['tampered role', `${header}.${b64({ ...claims, role: 'admin' })}.${signature}`, 'UNAUTHORIZED'],
      [
        'wrong secret',
        await mintToken('another-secret-of-at-least-32-characters!', { userId: 7, expiresIn: 3600 }),
        'UNAUTHORIZED',
      ],
      [
        'HS512',
        await new SignJWT({})
          .setProtectedHeader({ alg: 'HS512' })
          .setSubject('7')
          .setExpirationTime(now() + 60)
          .sign(key),
        'UNAUTHORIZED',
      ],
      [
        'no exp',
        await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('7').sign(key),
        'UNAUTHORIZED',
      ],
      [
        'sub not a user id',
        await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('alice')
          .setExpirationTime(now() + 60)
          .sign(key),
        'UNAUTHORIZED',
      ],
    ];
  }

  it('a request without a token is 401 on every protected route', async () => {
    for (const [method, path, body] of PROTECTED) {
      expect401(await h.system.http.request(method, path, { body }));
    }
  });

  it('a malformed Authorization header is 401', async () => {
    const token = await mintToken(secret, { userId: 7, expiresIn: 3600 });
    for (const authorization of [`Basic ${token}`, token, 'Bearer', `Bearer ${token} extra`]) {
      expect401(await h.system.http.get('/v1/balances', { headers: { authorization } }));
    }
  });

  it('malformed, expired, alg none, tampered, wrong-secret and other bad tokens are 401 and change nothing', async () => {
    const added = await h.system.streamAdded('BTC-USDT');
    for (const [name, token, code] of await badTokens()) {
      const client = h.system.http.withToken(token);
      for (const [method, path, body] of PROTECTED) {
        const res = await client.request(method, path, { body });
        expect(res.status, `${name}: ${method} ${path}`).to.equal(401);
        expect401(res, code);
      }
    }
    expect(await h.system.streamAdded('BTC-USDT')).to.equal(added);
    expect(await h.system.redis.exists(h.system.keys.balances(1), h.system.keys.balances(7))).to.equal(0);
  });

  it('authentication comes before the body: a bad token with a bad body is still 401', async () => {
    const res = await h.system.http.withToken('x.y.z').request('POST', '/v1/orders', { raw: '{not json' });
    expect401(res);
  });

  it('a user on an admin route is 403 FORBIDDEN and nothing changes', async () => {
    const user = await h.trader();
    const market = (await h.system.http.markets()).body[0]!;
    const answers = [
      await user.client.putMarket('BTC-USDT', { ...market, makerFee: '0' }),
      await user.client.deposit({ userId: user.id, asset: 'USDT', amount: '1000' }),
      await user.client.withdraw({ userId: user.id, asset: 'USDT', amount: '1' }),
    ];
    for (const res of answers) expect([res.status, codeOf(res)]).to.deep.equal([403, 'FORBIDDEN']);
    expect((await user.client.balances()).body).to.deep.equal([]);
    expect((await h.system.http.markets()).body[0]).to.deep.equal(market);
  });

  it("another user's order is 404 ORDER_NOT_FOUND on GET, DELETE and PATCH, and stays as it was", async () => {
    const owner = await h.trader({ USDT: '1000' });
    const intruder = await h.trader({ USDT: '1000' });
    const order = await placed(owner.client, {
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      price: '30000',
      quantity: '0.001',
    });
    const added = await h.system.streamAdded('BTC-USDT');
    const answers = [
      await intruder.client.order(order.orderId),
      await intruder.client.cancel(order.orderId, 'BTC-USDT'),
      await intruder.client.cancel(order.orderId, 'BTC-USDT', { wait: false }),
      await intruder.client.amend(order.orderId, 'BTC-USDT', { quantity: '0.0005' }),
    ];
    for (const res of answers)
      expect([res.status, codeOf(res)], res.text).to.deep.equal([404, 'ORDER_NOT_FOUND']);
    const missing = await intruder.client.order('424242');
    expect([missing.status, codeOf(missing)]).to.deep.equal([404, 'ORDER_NOT_FOUND']);
    expect(answers[0]!.body).to.deep.equal({
      error: { code: 'ORDER_NOT_FOUND', message: `no order ${order.orderId}` },
    });
    expect(await h.system.streamAdded('BTC-USDT')).to.equal(added);
    expect((await owner.client.order(order.orderId)).body).to.deep.equal(order);

    // Also on the wrong symbol: the order is not there.
    const wrongSymbol = await owner.client.cancel(order.orderId, 'ETH-USDT');
    expect([wrongSymbol.status, codeOf(wrongSymbol)]).to.deep.equal([404, 'ORDER_NOT_FOUND']);
    const canceled = await owner.client.cancel(order.orderId, 'BTC-USDT');
    expect(canceled.body.status).to.equal('canceled');
    await waitForOrder(owner.client, order.orderId, ['canceled']);
  });

  it('an admin token acts as its own user on user routes', async () => {
    const res = await h.admin.balances();
    expect([res.status, res.body]).to.deep.equal([200, []]);
  });
});
