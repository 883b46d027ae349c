import { expect } from 'chai';
import type { MarketDefinition } from '../../../src/markets/market-rules.ts';
import { ALICE, bearer, createHarness, expectError, type Harness } from './support/harness.ts';

const ADA: Omit<MarketDefinition, 'symbol'> = {
  base: 'ADA',
  quote: 'USDT',
  basePrecision: 6,
  quotePrecision: 8,
  tickSize: '0.0001',
  lotSize: '1',
  minNotional: '1',
  makerFee: '0.001',
  takerFee: '0.002',
  status: 'trading',
};

describe('api: operator routes', () => {
  let h: Harness;

  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h.app.close();
  });
  beforeEach(() => h.reset());

  const admin = (method: 'PUT' | 'POST', url: string, payload: object) =>
    h.app.inject({ method, url, headers: bearer(h.tokens.admin), payload });
  const putMarket = (symbol: string, payload: object) => admin('PUT', `/v1/admin/markets/${symbol}`, payload);

  describe('PUT /v1/admin/markets/:symbol', () => {
    it('creates a market (201), listed at once, its stream opened with its fees', async () => {
      const response = await putMarket('ADA-USDT', { ...ADA, tickSize: '0.00010' });
      expect(response.statusCode, response.body).to.equal(201);
      expect(response.json()).to.deep.equal({ symbol: 'ADA-USDT', ...ADA });
      const markets = (await h.app.inject({ method: 'GET', url: '/v1/markets' })).json();
      expect(markets.map((m: MarketDefinition) => m.symbol)).to.deep.equal([
        'ADA-USDT',
        'BTC-USDT',
        'ETH-USDT',
        'SOL-USDT',
      ]);
      // The stream starts with the initial fees, so that a replay from its start charges them.
      expect(h.ports.intake.calls).to.deep.equal([
        {
          method: 'submit',
          symbol: 'ADA-USDT',
          command: { type: 'setFees', makerFeePpm: 1000, takerFeePpm: 2000 },
        },
      ]);
    });

    it('updates the fees (200) and sends them through the stream first', async () => {
      const current = (await h.ports.markets.get('BTC-USDT'))!.definition;
      let upsertedAfterSetFees = false;
      h.ports.intake.onAppend = () => {
        upsertedAfterSetFees =
          h.ports.markets.markets.get('BTC-USDT')!.definition.takerFee === current.takerFee;
      };
      const response = await putMarket('BTC-USDT', { ...current, makerFee: '0', takerFee: '0.0015' });
      expect(response.statusCode).to.equal(200);
      expect(h.ports.intake.calls).to.deep.equal([
        {
          method: 'submit',
          symbol: 'BTC-USDT',
          command: { type: 'setFees', makerFeePpm: 0, takerFeePpm: 1500 },
        },
      ]);
      expect(upsertedAfterSetFees).to.equal(true);
      expect(h.ports.markets.markets.get('BTC-USDT')!.rules.takerFeePpm).to.equal(1500);
    });

    it('halts a market without an engine command', async () => {
      const current = (await h.ports.markets.get('BTC-USDT'))!.definition;
      const response = await putMarket('BTC-USDT', { ...current, status: 'halted' });
      expect(response.statusCode).to.equal(200);
      expect(response.json()).to.include({ status: 'halted' });
      expect(h.ports.intake.calls).to.deep.equal([]);
    });

    for (const field of ['tickSize', 'lotSize', 'basePrecision'] as const) {
      it(`refuses to change the ${field} of a live market: 409 MARKET_UPDATE_CONFLICT`, async () => {
        const current = (await h.ports.markets.get('BTC-USDT'))!.definition;
        const changed = { tickSize: '0.1', lotSize: '0.0001', basePrecision: 10 }[field];
        expectError(
          await putMarket('BTC-USDT', { ...current, [field]: changed }),
          409,
          'MARKET_UPDATE_CONFLICT',
        );
        expect(h.ports.markets.markets.get('BTC-USDT')!.definition).to.deep.equal(current);
      });
    }

    it('refuses a precision for an asset that differs from the other markets: 409', async () => {
      expectError(await putMarket('ADA-USDT', { ...ADA, quotePrecision: 6 }), 409, 'MARKET_UPDATE_CONFLICT');
      expect(h.ports.markets.markets.has('ADA-USDT')).to.equal(false);
    });

    for (const [name, symbol, payload] of [
      ['a symbol that is not base-quote', 'ADA-BTC', ADA],
      ['a body symbol other than the path', 'ADA-USDT', { ...ADA, symbol: 'ADA-EUR' }],
      ['a fee with 7 decimals', 'ADA-USDT', { ...ADA, makerFee: '0.0000001' }],
      ['a fee above 1', 'ADA-USDT', { ...ADA, takerFee: '1.5' }],
      ['a lot finer than the base precision', 'ADA-USDT', { ...ADA, lotSize: '0.0000001' }],
      ['a precision out of range', 'ADA-USDT', { ...ADA, basePrecision: 19 }],
      ['a precision as a string', 'ADA-USDT', { ...ADA, basePrecision: '6' }],
      ['a missing field', 'ADA-USDT', { ...ADA, status: undefined }],
      ['an unknown status', 'ADA-USDT', { ...ADA, status: 'paused' }],
      ['an extra field', 'ADA-USDT', { ...ADA, owner: 'me' }],
      ['a lowercase symbol', 'ada-usdt', ADA],
    ] as const) {
      it(`${name}: 400 VALIDATION_ERROR`, async () => {
        expectError(await putMarket(symbol, payload), 400, 'VALIDATION_ERROR');
        expect(h.ports.markets.markets.size).to.equal(3);
      });
    }
  });

  describe('POST /v1/admin/deposits and /withdrawals', () => {
    const deposit = (payload: object) => admin('POST', '/v1/admin/deposits', payload);
    const withdraw = (payload: object) => admin('POST', '/v1/admin/withdrawals', payload);
    const balances = async () =>
      (await h.app.inject({ method: 'GET', url: '/v1/balances', headers: bearer(h.tokens.alice) })).json();

    it('credits once per depositId', async () => {
      const body = { userId: ALICE, asset: 'USDT', amount: '1000.5', depositId: 'dep-1' };
      const first = await deposit(body);
      expect(first.statusCode).to.equal(200);
      expect(first.json()).to.deep.equal({ ...body, amount: '1000.50000000', duplicate: false });
      expect((await deposit(body)).json()).to.include({ duplicate: true });
      expect(await balances()).to.deep.equal([
        { asset: 'USDT', available: '1000.50000000', locked: '0.00000000' },
      ]);
      expect(h.ports.balances.calls).to.deep.equal([
        'deposit 1 USDT 100050000000 dep-1',
        'deposit 1 USDT 100050000000 dep-1',
      ]);
    });

    it('generates a depositId when none is given', async () => {
      const response = await deposit({ userId: ALICE, asset: 'BTC', amount: '1' });
      expect(response.json()).to.include({ depositId: 'id-1', amount: '1.00000000' });
    });

    it('withdraws available funds, refuses more with 409 INSUFFICIENT_FUNDS', async () => {
      await deposit({ userId: ALICE, asset: 'USDT', amount: '100' });
      const ok = await withdraw({ userId: ALICE, asset: 'USDT', amount: '60', withdrawalId: 'w-1' });
      expect(ok.statusCode).to.equal(200);
      expect(ok.json()).to.deep.equal({
        withdrawalId: 'w-1',
        userId: ALICE,
        asset: 'USDT',
        amount: '60.00000000',
        duplicate: false,
      });
      expectError(
        await withdraw({ userId: ALICE, asset: 'USDT', amount: '40.00000001' }),
        409,
        'INSUFFICIENT_FUNDS',
      );
      expect(await balances()).to.deep.equal([
        { asset: 'USDT', available: '40.00000000', locked: '0.00000000' },
      ]);
    });

    for (const [name, payload, code] of [
      ['an unknown asset', { userId: ALICE, asset: 'DOGE', amount: '1' }, 'UNKNOWN_ASSET'],
      ['a zero amount', { userId: ALICE, asset: 'USDT', amount: '0' }, 'INVALID_QUANTITY'],
      ['a negative amount', { userId: ALICE, asset: 'USDT', amount: '-5' }, 'INVALID_QUANTITY'],
      ['an over-precise amount', { userId: ALICE, asset: 'USDT', amount: '0.000000001' }, 'INVALID_QUANTITY'],
      [
        'an amount past 2^63 units',
        { userId: ALICE, asset: 'USDT', amount: '100000000000' },
        'INVALID_QUANTITY',
      ],
      ['an amount as a number', { userId: ALICE, asset: 'USDT', amount: 5 }, 'VALIDATION_ERROR'],
      ['a userId as a string', { userId: '1', asset: 'USDT', amount: '5' }, 'VALIDATION_ERROR'],
      ['a userId of 0', { userId: 0, asset: 'USDT', amount: '5' }, 'VALIDATION_ERROR'],
      ['a fractional userId', { userId: 1.5, asset: 'USDT', amount: '5' }, 'VALIDATION_ERROR'],
      ['a lowercase asset', { userId: ALICE, asset: 'usdt', amount: '5' }, 'VALIDATION_ERROR'],
      [
        'a long depositId',
        { userId: ALICE, asset: 'USDT', amount: '5', depositId: 'x'.repeat(65) },
        'VALIDATION_ERROR',
      ],
      ['a missing amount', { userId: ALICE, asset: 'USDT' }, 'VALIDATION_ERROR'],
    ] as const) {
      it(`a deposit with ${name}: 400 ${code}, the store untouched`, async () => {
        expectError(await deposit(payload), 400, code);
        expect(h.ports.balances.calls).to.deep.equal([]);
      });
    }

    it('a withdrawal with an unknown field: 400, the store untouched', async () => {
      const payload = { userId: ALICE, asset: 'USDT', amount: '1', depositId: 'x' };
      expectError(await withdraw(payload), 400, 'VALIDATION_ERROR');
      expect(h.ports.balances.calls).to.deep.equal([]);
    });
  });
});
