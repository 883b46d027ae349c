import { expect } from 'chai';
import { expectScriptError, useBalanceFixture } from './balance-fixture.ts';

const MAX = 2n ** 63n - 1n;

describe('redis/balances: deposit and withdraw', () => {
  const f = useBalanceFixture();

  it('credits available funds and records the deposit', async () => {
    const user = f.newUser();
    expect(await f.store.deposit(user, 'USDT', 1_000n, 'd-1')).to.deep.equal({
      status: 'OK',
      replayed: false,
      asset: 'USDT',
      amount: 1_000n,
    });
    await f.store.deposit(user, 'USDT', 500n, 'd-2');
    expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 1_500n, locked: 0n, fees: 0n });
    expect(await f.t.redis.hget(f.t.keys.deposits(user), 'd-1')).to.equal('USDT 1000');
  });

  it('answers a repeated deposit id with the recorded deposit and changes nothing', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'BTC', 7n, 'same');
    const before = await f.snapshot();
    const repeat = await f.store.deposit(user, 'BTC', 7n, 'same');
    expect(repeat).to.deep.equal({ status: 'OK', replayed: true, asset: 'BTC', amount: 7n });
    // A reuse of the id for something else is reported with what was recorded, and changes nothing.
    const conflicting = await f.store.deposit(user, 'ETH', 9n, 'same');
    expect(conflicting).to.deep.equal({ status: 'OK', replayed: true, asset: 'BTC', amount: 7n });
    expect(await f.snapshot()).to.deep.equal(before);
  });

  it('keeps amounts beyond 2^53 exact', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 9_007_199_254_740_993n, 'big');
    await f.store.deposit(user, 'USDT', 1n, 'one');
    expect((await f.balance(user, 'USDT')).available).to.equal(9_007_199_254_740_994n);
    await f.store.withdraw(user, 'USDT', 9_007_199_254_740_993n, 'w-big');
    expect((await f.balance(user, 'USDT')).available).to.equal(1n);
  });

  it('refuses a deposit that would pass 2^63 - 1 and changes nothing', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', MAX - 10n, 'almost');
    await f.store.deposit(user, 'USDT', 10n, 'exactly-max');
    expect((await f.balance(user, 'USDT')).available).to.equal(MAX);
    const before = await f.snapshot();
    await expectScriptError(f.store.deposit(user, 'USDT', 1n, 'one-too-many'), 'OVERFLOW');
    expect(await f.snapshot()).to.deep.equal(before);
  });

  it('debits available funds and records the withdrawal', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 1_000n, 'd');
    expect(await f.store.withdraw(user, 'USDT', 400n, 'w-1')).to.deep.equal({
      status: 'OK',
      replayed: false,
      asset: 'USDT',
      amount: 400n,
    });
    await f.store.withdraw(user, 'USDT', 600n, 'w-2');
    expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 0n, locked: 0n, fees: 0n });
  });

  it('refuses a withdrawal beyond available, records the refusal and repeats it', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 100n, 'd');
    expect(await f.store.withdraw(user, 'USDT', 101n, 'w')).to.deep.equal({
      status: 'INSUFFICIENT_FUNDS',
      replayed: false,
      asset: 'USDT',
      amount: 101n,
    });
    await f.store.deposit(user, 'USDT', 1_000n, 'd-more');
    const before = await f.snapshot();
    // Funds arrived since, but the id was refused: a repeat gets the first answer.
    expect(await f.store.withdraw(user, 'USDT', 101n, 'w')).to.deep.equal({
      status: 'INSUFFICIENT_FUNDS',
      replayed: true,
      asset: 'USDT',
      amount: 101n,
    });
    expect(await f.snapshot()).to.deep.equal(before);
  });

  it('repeats an accepted withdrawal without debiting twice', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 100n, 'd');
    await f.store.withdraw(user, 'USDT', 60n, 'w');
    const before = await f.snapshot();
    expect(await f.store.withdraw(user, 'USDT', 60n, 'w')).to.deep.equal({
      status: 'OK',
      replayed: true,
      asset: 'USDT',
      amount: 60n,
    });
    expect(await f.snapshot()).to.deep.equal(before);
    expect((await f.balance(user, 'USDT')).available).to.equal(40n);
  });

  it('never withdraws locked funds', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 100n, 'd');
    await f.store.hold(user, 'order-1', 'USDT', 70n);
    expect((await f.store.withdraw(user, 'USDT', 31n, 'w-1')).status).to.equal('INSUFFICIENT_FUNDS');
    expect((await f.store.withdraw(user, 'USDT', 30n, 'w-2')).status).to.equal('OK');
    expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 0n, locked: 70n, fees: 0n });
  });

  it('lists balances per asset, sorted, and fees apart', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 100n, 'd-1');
    await f.store.deposit(user, 'BTC', 5n, 'd-2');
    await f.store.hold(user, 'o', 'USDT', 40n);
    expect(await f.store.getBalances(user)).to.deep.equal([
      { asset: 'BTC', available: 5n, locked: 0n },
      { asset: 'USDT', available: 60n, locked: 40n },
    ]);
    expect(await f.store.getBalances(f.newUser())).to.deep.equal([]);
    expect(await f.store.getFeesPaid(user)).to.deep.equal(new Map());
  });
});
