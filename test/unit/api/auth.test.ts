import { expect } from 'chai';
import type { InjectOptions } from 'fastify';
import { base64url, SignJWT } from 'jose';
import { mintToken, verifyToken } from '../../../src/api/auth.ts';
import { ApiError } from '../../../src/api/errors.ts';
import { ALICE, bearer, createHarness, expectError, SECRET, type Harness } from './support/harness.ts';

const KEY = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/** Signs arbitrary claims with HS256 and the test secret, for claim-level failures. */
function signClaims(claims: Record<string, unknown>, alg = 'HS256', key = KEY): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(key);
}

/** Every route behind a token: none may answer anything but 401 without one. */
const PROTECTED: Array<Pick<InjectOptions, 'method' | 'url'> & { payload?: object }> = [
  { method: 'GET', url: '/v1/balances' },
  { method: 'POST', url: '/v1/orders', payload: { symbol: 'BTC-USDT' } },
  { method: 'DELETE', url: '/v1/orders/abc?symbol=BTC-USDT' },
  { method: 'DELETE', url: '/v1/orders?symbol=BTC-USDT' },
  { method: 'PATCH', url: '/v1/orders/abc?symbol=BTC-USDT', payload: { price: '1' } },
  { method: 'GET', url: '/v1/orders/abc' },
  { method: 'GET', url: '/v1/orders?symbol=BTC-USDT' },
  { method: 'GET', url: '/v1/trades?symbol=BTC-USDT' },
  { method: 'PUT', url: '/v1/admin/markets/BTC-USDT', payload: {} },
  { method: 'POST', url: '/v1/admin/deposits', payload: {} },
  { method: 'POST', url: '/v1/admin/withdrawals', payload: {} },
];
const ADMIN = PROTECTED.filter((route) => route.url!.toString().startsWith('/v1/admin/'));

describe('api: authentication', () => {
  let h: Harness;

  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h.app.close();
  });
  beforeEach(() => h.reset());

  const placeWith = (headers: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers,
      payload: { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '30000', quantity: '1' },
    });

  async function expectRefused(headers: Record<string, string>, code = 'UNAUTHORIZED'): Promise<void> {
    const response = await placeWith(headers);
    expectError(response, 401, code);
    expect(response.headers['www-authenticate']).to.equal('Bearer error="invalid_token"');
    expect(h.ports.intake.calls).to.deep.equal([]);
  }

  it('a valid token is accepted', async () => {
    expect((await placeWith(bearer(h.tokens.alice))).statusCode).to.equal(202);
    expect(h.ports.intake.calls[0]!.command).to.include({ userId: ALICE });
  });

  it('the scheme is case-insensitive', async () => {
    expect((await placeWith({ authorization: `bearer ${h.tokens.alice}` })).statusCode).to.equal(202);
  });

  it('a missing Authorization header: 401', () => expectRefused({}));
  it('an empty Authorization header: 401', () => expectRefused({ authorization: '' }));
  it('another scheme: 401', () => expectRefused({ authorization: `Basic ${btoa('alice:pw')}` }));
  it('Bearer without a token: 401', () => expectRefused({ authorization: 'Bearer' }));
  it('a token with extra parts: 401', () =>
    expectRefused({ authorization: `Bearer ${h.tokens.alice} extra` }));
  it('a malformed token: 401', () => expectRefused(bearer('not.a.jwt')));
  it('garbage: 401', () => expectRefused(bearer('%%%')));
  it('an oversized header: 401', () => expectRefused(bearer('a'.repeat(5000))));

  it('an expired token: 401 TOKEN_EXPIRED', async () => {
    const expired = await mintToken(SECRET, { userId: ALICE, expiresIn: -60 });
    await expectRefused(bearer(expired), 'TOKEN_EXPIRED');
  });

  it('alg none (unsigned): 401', async () => {
    const unsigned = `${encodeJson({ alg: 'none', typ: 'JWT' })}.${encodeJson({ sub: '1', exp: now() + 600 })}.`;
    await expectRefused(bearer(unsigned));
  });

  it('another HMAC algorithm, even with the right secret: 401', async () => {
    await expectRefused(bearer(await signClaims({ sub: '1', exp: now() + 600 }, 'HS512')));
  });

  it('a tampered payload: 401', async () => {
    const [header, , signature] = h.tokens.alice.split('.');
    const forged = `${header}.${encodeJson({ sub: '2', exp: now() + 600, role: 'admin' })}.${signature}`;
    await expectRefused(bearer(forged));
  });

  it('a tampered signature: 401', async () => {
    // Flip a character in the middle of the signature (the last one may only hold padding bits).
    const token = h.tokens.alice;
    const at = token.length - 10;
    const flipped = token[at] === 'A' ? 'B' : 'A';
    await expectRefused(bearer(`${token.slice(0, at)}${flipped}${token.slice(at + 1)}`));
  });

  it('a token signed with another secret: 401', async () => {
    await expectRefused(
      bearer(await mintToken('another-secret-0123456789abcdef-0000', { userId: 1, expiresIn: '1h' })),
    );
  });

  it('a token without exp: 401', async () => {
    await expectRefused(bearer(await signClaims({ sub: '1' })));
  });

  it('a token not yet valid (nbf in the future): 401', async () => {
    await expectRefused(bearer(await signClaims({ sub: '1', exp: now() + 600, nbf: now() + 300 })));
  });

  for (const sub of ['0', '-1', 'abc', '1.5', '01', '', '9007199254740992', ' 1', 1, null]) {
    it(`sub ${JSON.stringify(sub)}: 401`, async () => {
      await expectRefused(bearer(await signClaims({ sub, exp: now() + 600 })));
    });
  }

  it('a token without sub: 401', async () => {
    await expectRefused(bearer(await signClaims({ exp: now() + 600 })));
  });

  it('a token verified once is served from memory, and refused with TOKEN_EXPIRED the moment it expires', async function () {
    this.timeout(5_000);
    // Valid until the end of the next whole second: jose refuses it once floor(now / 1000) >= exp.
    const exp = now() + 1;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(ALICE))
      .setExpirationTime(exp)
      .sign(KEY);
    const good = { symbol: 'BTC-USDT', side: 'buy', type: 'limit', price: '30000', quantity: '1' };
    for (let i = 0; i < 3; i++) {
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: bearer(token),
        payload: good,
      });
      expect(response.statusCode, response.body).to.equal(202);
    }
    // The same claims with one signature byte changed are another token: verified in full, refused.
    expect(h.ports.intake.calls).to.have.length(3);
    h.reset();
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'AB' : 'AA');
    await expectRefused(bearer(tampered));
    while (Date.now() < exp * 1000) await new Promise((resolve) => setTimeout(resolve, 20));
    await expectRefused(bearer(token), 'TOKEN_EXPIRED');
  });

  it('authenticates before validating: a bad body without a token is 401, not 400', async () => {
    const response = await h.app.inject({ method: 'POST', url: '/v1/orders', payload: { nonsense: true } });
    expectError(response, 401, 'UNAUTHORIZED');
  });

  for (const route of PROTECTED) {
    it(`${route.method} ${route.url} needs a token`, async () => {
      expectError(await h.app.inject({ ...route }), 401, 'UNAUTHORIZED');
      expect(h.ports.intake.calls).to.deep.equal([]);
      expect(h.ports.balances.calls).to.deep.equal([]);
    });
  }

  for (const route of ADMIN) {
    it(`${route.method} ${route.url} refuses a user token: 403 FORBIDDEN`, async () => {
      expectError(await h.app.inject({ ...route, headers: bearer(h.tokens.alice) }), 403, 'FORBIDDEN');
      expect(h.ports.balances.calls).to.deep.equal([]);
    });
  }

  it('a role other than admin is an ordinary user', async () => {
    const token = await signClaims({ sub: '5', exp: now() + 600, role: 'Admin' });
    const route = ADMIN[0]!;
    expectError(await h.app.inject({ ...route, headers: bearer(token) }), 403, 'FORBIDDEN');
  });

  it('public routes need no token', async () => {
    for (const url of [
      '/v1/markets',
      '/v1/markets/BTC-USDT/depth',
      '/v1/markets/BTC-USDT/trades',
      '/healthz',
    ]) {
      expect((await h.app.inject({ method: 'GET', url })).statusCode, url).to.equal(200);
    }
  });

  describe('verifyToken and mintToken', () => {
    it('round-trip the user id and the role', async () => {
      const admin = await mintToken(SECRET, { userId: 42, role: 'admin', expiresIn: 60 });
      expect(await verifyToken(KEY, admin)).to.deep.equal({ userId: 42, role: 'admin' });
      const user = await mintToken(SECRET, { userId: 7, expiresIn: '5m' });
      expect(await verifyToken(KEY, user)).to.deep.equal({ userId: 7, role: 'user' });
    });

    it('mintToken refuses a user id that is not a positive safe integer', async () => {
      for (const userId of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
        let error: unknown;
        await mintToken(SECRET, { userId, expiresIn: 60 }).catch((e: unknown) => (error = e));
        expect(error, String(userId)).to.be.instanceOf(RangeError);
      }
    });

    it('verifyToken throws ApiError', async () => {
      let error: unknown;
      await verifyToken(KEY, 'x').catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(ApiError).and.include({ code: 'UNAUTHORIZED', httpStatus: 401 });
    });
  });
});
