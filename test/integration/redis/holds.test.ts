import { expect } from 'chai';
import { positionOf } from '../../../src/redis/balance-store.ts';
import { expectScriptError, useBalanceFixture } from './balance-fixture.ts';

describe('redis/balances: hold and holdMore', () => {
  const f = useBalanceFixture();

  async function funded(asset: string, amount: bigint): Promise<number> {
    const user = f.newUser();
    await f.store.deposit(user, asset, amount, `fund-${asset}`);
    return user;
  }

  describe('hold', () => {
    it('moves the amount from available to locked and records it for the order', async () => {
      const user = await funded('USDT', 1_000n);
      expect(await f.store.hold(user, 'o-1', 'USDT', 300n)).to.deep.equal({
        status: 'OK',
        replayed: false,
        amount: 300n,
      });
      expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 700n, locked: 300n, fees: 0n });
      expect(await f.store.getHold(user, 'o-1')).to.deep.equal({
        state: 'active',
        asset: 'USDT',
        held: 300n,
        amount: 300n,
      });
    });

    it('holds the exact available balance', async () => {
      const user = await funded('BTC', 50n);
      expect((await f.store.hold(user, 'o', 'BTC', 50n)).status).to.equal('OK');
      expect(await f.balance(user, 'BTC')).to.deep.equal({ available: 0n, locked: 50n, fees: 0n });
    });

    it('refuses beyond available, records the refusal, and repeats it after funds arrive', async () => {
      const user = await funded('USDT', 100n);
      expect(await f.store.hold(user, 'o', 'USDT', 101n)).to.deep.equal({
        status: 'INSUFFICIENT_FUNDS',
        replayed: false,
      });
      expect(await f.store.getHold(user, 'o')).to.deep.equal({ state: 'refused' });
      await f.store.deposit(user, 'USDT', 1_000n, 'late');
      const before = await f.snapshot();
      expect(await f.store.hold(user, 'o', 'USDT', 101n)).to.deep.equal({
        status: 'INSUFFICIENT_FUNDS',
        replayed: true,
      });
      expect(await f.snapshot()).to.deep.equal(before);
    });

    it('refuses a user with no balance of the asset at all', async () => {
      const user = f.newUser();
      expect((await f.store.hold(user, 'o', 'USDT', 1n)).status).to.equal('INSUFFICIENT_FUNDS');
    });

    it('in mode all, holds the whole available balance and repeats that amount', async () => {
      const user = await funded('USDT', 9_007_199_254_740_993n);
      await f.store.hold(user, 'limit', 'USDT', 3n);
      expect(await f.store.hold(user, 'mkt', 'USDT', 'all')).to.deep.equal({
        status: 'OK',
        replayed: false,
        amount: 9_007_199_254_740_990n,
      });
      expect(await f.balance(user, 'USDT')).to.deep.equal({
        available: 0n,
        locked: 9_007_199_254_740_993n,
        fees: 0n,
      });
      await f.store.deposit(user, 'USDT', 5n, 'more');
      const before = await f.snapshot();
      expect(await f.store.hold(user, 'mkt', 'USDT', 'all')).to.deep.equal({
        status: 'OK',
        replayed: true,
        amount: 9_007_199_254_740_990n,
      });
      expect(await f.snapshot()).to.deep.equal(before);
    });

    it('in mode all, refuses when nothing is available', async () => {
      const user = await funded('USDT', 10n);
      await f.store.hold(user, 'first', 'USDT', 10n);
      expect(await f.store.hold(user, 'mkt', 'USDT', 'all')).to.deep.equal({
        status: 'INSUFFICIENT_FUNDS',
        replayed: false,
      });
      expect(await f.store.hold(f.newUser(), 'mkt', 'USDT', 'all')).to.deep.equal({
        status: 'INSUFFICIENT_FUNDS',
        replayed: false,
      });
      expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 0n, locked: 10n, fees: 0n });
    });

    it('repeats an accepted hold with its first amount, even after settlement and release', async () => {
      const user = await funded('BTC', 100n);
      await f.store.hold(user, 'o', 'BTC', 60n);
      const again = { status: 'OK', replayed: true, amount: 60n };
      expect(await f.store.hold(user, 'o', 'BTC', 60n)).to.deep.equal(again);
      await f.store.settle({
        userId: user,
        symbol: 'BTC-USDT',
        position: positionOf(1, 'maker'),
        orderId: 'o',
        spentAsset: 'BTC',
        spent: 25n,
        receivedAsset: 'USDT',
        received: 1_000n,
        fee: 1n,
      });
      expect(await f.store.hold(user, 'o', 'BTC', 60n)).to.deep.equal(again);
      await f.store.release({
        userId: user,
        symbol: 'BTC-USDT',
        position: positionOf(2, 'release'),
        orderId: 'o',
        amount: 'all',
      });
      expect(await f.store.getHold(user, 'o')).to.deep.equal({
        state: 'released',
        asset: 'BTC',
        amount: 60n,
      });
      const before = await f.snapshot();
      expect(await f.store.hold(user, 'o', 'BTC', 60n)).to.deep.equal(again);
      expect(await f.snapshot()).to.deep.equal(before);
      expect(await f.balance(user, 'BTC')).to.deep.equal({ available: 75n, locked: 0n, fees: 0n });
    });
  });

  describe('holdMore', () => {
    it('adds the extra amount to the order hold and records it per amend entry', async () => {
      const user = await funded('USDT', 1_000n);
      await f.store.hold(user, 'o', 'USDT', 100n);
      expect(await f.store.holdMore(user, 'o', '1700000000000-0', 50n)).to.deep.equal({
        status: 'OK',
        replayed: false,
        amount: 50n,
      });
      expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 850n, locked: 150n, fees: 0n });
      expect(await f.store.getHold(user, 'o')).to.deep.equal({
        state: 'active',
        asset: 'USDT',
        held: 150n,
        amount: 100n,
      });
      const before = await f.snapshot();
      expect(await f.store.holdMore(user, 'o', '1700000000000-0', 50n)).to.deep.equal({
        status: 'OK',
        replayed: true,
        amount: 50n,
      });
      expect(await f.snapshot()).to.deep.equal(before);
    });

    it('refuses beyond available, records the refusal per entry, and leaves the hold as it was', async () => {
      const user = await funded('USDT', 120n);
      await f.store.hold(user, 'o', 'USDT', 100n);
      expect(await f.store.holdMore(user, 'o', 'e-1', 21n)).to.deep.equal({
        status: 'INSUFFICIENT_FUNDS',
        replayed: false,
      });
      await f.store.deposit(user, 'USDT', 100n, 'late');
      expect(await f.store.holdMore(user, 'o', 'e-1', 21n)).to.deep.equal({
        status: 'INSUFFICIENT_FUNDS',
        replayed: true,
      });
      // Another amend is a new decision.
      expect((await f.store.holdMore(user, 'o', 'e-2', 21n)).status).to.equal('OK');
      expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 99n, locked: 121n, fees: 0n });
    });

    it('records an amend that needs nothing more (amount 0); a replay that computes more gets that decision', async () => {
      const user = await funded('USDT', 1_000n);
      await f.store.hold(user, 'o', 'USDT', 100n);
      const before = await f.t.redis.hgetall(f.t.keys.balances(user));
      expect(await f.store.holdMore(user, 'o', 'e-1', 0n)).to.deep.equal({
        status: 'OK',
        replayed: false,
        amount: 0n,
      });
      expect(await f.t.redis.hgetall(f.t.keys.balances(user)), 'nothing moved, v unchanged').to.deep.equal(
        before,
      );
      // The replay saw a lower hold (settled since) and computes 40 more: it gets the first decision.
      expect(await f.store.holdMore(user, 'o', 'e-1', 40n)).to.deep.equal({
        status: 'OK',
        replayed: true,
        amount: 0n,
      });
      expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 900n, locked: 100n, fees: 0n });
    });

    it('needs an active hold: none, refused or released is an error that changes nothing', async () => {
      const user = await funded('USDT', 100n);
      await f.store.hold(user, 'refused', 'USDT', 1_000n);
      await f.store.hold(user, 'released', 'USDT', 10n);
      await f.store.release({
        userId: user,
        symbol: 'BTC-USDT',
        position: 0n,
        orderId: 'released',
        amount: 'all',
      });
      const before = await f.snapshot();
      for (const orderId of ['missing', 'refused', 'released']) {
        await expectScriptError(f.store.holdMore(user, orderId, 'e', 1n), 'NO_ACTIVE_HOLD');
      }
      expect(await f.snapshot()).to.deep.equal(before);
    });
  });
});
