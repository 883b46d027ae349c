/**
 * The version `v` of a user's balances hash (docs/balances.md): every script call that changes the
 * hash bumps it exactly once; repeats, skips, refusals and errors leave it (and everything else)
 * as it was. And readAccounts, which reads it back with the balances for MySQL.
 */
import { expect } from 'chai';
import {
  BalanceScriptError,
  positionOf,
  type AccountSnapshot,
  type Settlement,
} from '../../../src/redis/balance-store.ts';
import { expectScriptError, useBalanceFixture } from './balance-fixture.ts';

const SYMBOL = 'BTC-USDT';
const MAX = 2n ** 63n - 1n;

describe('redis/balances: the version of the balances hash', () => {
  const f = useBalanceFixture();

  const version = async (userId: number): Promise<bigint> =>
    BigInt((await f.t.redis.hget(f.t.keys.balances(userId), 'v')) ?? 0);

  /** Runs `change` and expects the version to have moved by `by`. */
  async function bumps(userId: number, by: bigint, change: () => Promise<unknown>): Promise<void> {
    const before = await version(userId);
    await change();
    expect(await version(userId)).to.equal(before + by);
  }

  /** Runs `call` (which must not change anything) and expects every key of the file unchanged. */
  async function changesNothing(call: () => Promise<unknown>): Promise<void> {
    const before = await f.snapshot();
    await call();
    expect(await f.snapshot()).to.deep.equal(before);
  }

  it('deposit: bumps once per credit; a repeat or an overflow does not', async () => {
    const user = f.newUser();
    expect(await version(user)).to.equal(0n);
    await bumps(user, 1n, () => f.store.deposit(user, 'USDT', 100n, 'd-1'));
    await bumps(user, 1n, () => f.store.deposit(user, 'BTC', 5n, 'd-2'));
    expect(await version(user)).to.equal(2n);
    await changesNothing(() => f.store.deposit(user, 'USDT', 100n, 'd-1'));
    await f.store.deposit(user, 'ETH', MAX, 'd-max');
    await changesNothing(() => expectScriptError(f.store.deposit(user, 'ETH', 1n, 'd-over'), 'OVERFLOW'));
    expect(await version(user)).to.equal(3n);
  });

  it('withdraw: bumps when it debits; a refusal or a repeat does not', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 100n, 'd');
    await bumps(user, 1n, () => f.store.withdraw(user, 'USDT', 40n, 'w-1'));
    // The refusal is recorded in the withdrawals hash, but the balances hash is untouched.
    await bumps(user, 0n, async () => {
      const refused = await f.store.withdraw(user, 'USDT', 61n, 'w-2');
      expect(refused.status).to.equal('INSUFFICIENT_FUNDS');
    });
    await changesNothing(() => f.store.withdraw(user, 'USDT', 40n, 'w-1'));
    await changesNothing(() => f.store.withdraw(user, 'USDT', 61n, 'w-2'));
    expect(await version(user)).to.equal(2n);
  });

  it('hold and hold_more: bump when they hold; refusals, repeats and errors do not', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 100n, 'd');
    await bumps(user, 1n, () => f.store.hold(user, 'o-1', 'USDT', 30n));
    await bumps(user, 0n, () => f.store.hold(user, 'o-2', 'USDT', 71n)); // refused, recorded
    await bumps(user, 0n, () => f.store.hold(user, 'o-3', 'BTC', 'all')); // nothing to hold
    await changesNothing(() => f.store.hold(user, 'o-1', 'USDT', 30n));
    await bumps(user, 1n, () => f.store.holdMore(user, 'o-1', 'e-1', 20n));
    await bumps(user, 0n, () => f.store.holdMore(user, 'o-1', 'e-2', 51n)); // refused, recorded
    await changesNothing(() => f.store.holdMore(user, 'o-1', 'e-1', 20n));
    await changesNothing(() => expectScriptError(f.store.holdMore(user, 'o-2', 'e-3', 1n), 'NO_ACTIVE_HOLD'));
    await bumps(user, 1n, () => f.store.hold(user, 'o-4', 'USDT', 'all'));
    expect(await version(user)).to.equal(4n);
  });

  it('settle: bumps once per call that moves an amount; a skip, an empty one or an error does not', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 10_000n, 'd');
    await f.store.hold(user, 'buy', 'USDT', 6_000n);
    const side = (seq: number, spent: bigint, received: bigint, fee: bigint): Settlement => ({
      userId: user,
      symbol: SYMBOL,
      position: positionOf(seq, 'taker'),
      orderId: 'buy',
      spentAsset: 'USDT',
      spent,
      receivedAsset: 'BTC',
      received,
      fee,
    });
    // Locked, available and fees all change, the version once.
    await bumps(user, 1n, () => f.store.settle(side(1, 5_000n, 50n, 1n)));
    await changesNothing(() => f.store.settle(side(1, 5_000n, 50n, 1n))); // SKIPPED
    // Only the cursor moves: the balances hash, and so its version, stays.
    await bumps(user, 0n, async () => {
      expect(await f.store.settle(side(2, 0n, 0n, 0n))).to.deep.equal({ status: 'OK', held: 1_000n });
    });
    await changesNothing(() => expectScriptError(f.store.settle(side(3, 1_001n, 1n, 0n)), 'EXCEEDS_HOLD'));
    await bumps(user, 1n, () => f.store.settle(side(4, 0n, 3n, 3n))); // a fee alone is a change
    expect(await version(user)).to.equal(4n); // the deposit, the hold and two settlements
  });

  it('release: bumps when funds move; a skip, a release of nothing or an error does not', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'BTC', 100n, 'd');
    await f.store.hold(user, 'sell', 'BTC', 80n);
    const release = (seq: number, amount: bigint | 'all') => ({
      userId: user,
      symbol: SYMBOL,
      position: positionOf(seq, 'release'),
      orderId: 'sell',
      amount,
    });
    await bumps(user, 1n, () => f.store.release(release(1, 30n)));
    await changesNothing(() => f.store.release(release(1, 30n))); // SKIPPED
    await bumps(user, 0n, () => f.store.release(release(2, 0n)));
    await bumps(user, 1n, () => f.store.release(release(3, 'all')));
    await changesNothing(() => expectScriptError(f.store.release(release(4, 'all')), 'NO_ACTIVE_HOLD'));
    // An order done with nothing left held closes its hold without touching the balances.
    await f.store.hold(user, 'sell-2', 'BTC', 10n);
    await f.store.settle({
      userId: user,
      symbol: SYMBOL,
      position: positionOf(5, 'maker'),
      orderId: 'sell-2',
      spentAsset: 'BTC',
      spent: 10n,
      receivedAsset: 'USDT',
      received: 700n,
      fee: 0n,
    });
    await bumps(user, 0n, async () => {
      const done = await f.store.release({ ...release(6, 'all'), orderId: 'sell-2' });
      expect(done).to.deep.equal({ status: 'OK', released: 0n, held: 0n });
    });
    expect(await version(user)).to.equal(6n);
  });
});

describe('redis/balances: readAccounts', () => {
  const f = useBalanceFixture();

  it('reads several users in one call: one row per (user, asset), sorted, with the version', async () => {
    const alice = f.newUser();
    const bob = f.newUser();
    const carol = f.newUser(); // never touched: no rows
    await f.store.deposit(bob, 'USDT', 2n ** 63n - 1n, 'd-1');
    await f.store.deposit(bob, 'BTC', 9_007_199_254_740_993n, 'd-2');
    await f.store.hold(bob, 'o', 'BTC', 3n);
    await f.store.deposit(alice, 'ETH', 7n, 'd');
    await f.store.settle({
      userId: bob,
      symbol: 'ETH-BTC',
      position: positionOf(1, 'maker'),
      orderId: 'o',
      spentAsset: 'BTC',
      spent: 3n,
      receivedAsset: 'ETH',
      received: 5n,
      fee: 5n, // all of it a fee: ETH has fees paid only
    });
    const accounts = await f.store.readAccounts([bob, carol, alice, bob]);
    expect(accounts).to.deep.equal([
      { userId: alice, asset: 'ETH', available: 7n, locked: 0n, feesPaid: 0n, version: 1n },
      { userId: bob, asset: 'BTC', available: 9_007_199_254_740_990n, locked: 0n, feesPaid: 0n, version: 4n },
      { userId: bob, asset: 'ETH', available: 0n, locked: 0n, feesPaid: 5n, version: 4n },
      { userId: bob, asset: 'USDT', available: 2n ** 63n - 1n, locked: 0n, feesPaid: 0n, version: 4n },
    ] satisfies AccountSnapshot[]);
    expect(await f.store.readAccounts([])).to.deep.equal([]);
    // The version is no balance: the user's list does not show it.
    expect((await f.store.getBalances(bob)).map((b) => b.asset)).to.deep.equal(['BTC', 'USDT']);
  });

  it('reads only the assets asked for (a market’s base and quote), with the same rows and versions', async () => {
    const [alice, bob, carol] = [f.newUser(), f.newUser(), f.newUser()];
    await f.store.deposit(alice, 'USDT', 100n, 'd-1');
    await f.store.deposit(alice, 'BTC', 7n, 'd-2');
    await f.store.deposit(alice, 'ETH', 9n, 'd-3');
    await f.store.hold(alice, 'o', 'USDT', 40n);
    await f.store.deposit(bob, 'ETH', 1n, 'd'); // neither asset: no rows
    const batch = f.store.pipelined(f.t.redis.pipeline());
    const some = batch.readAccounts([carol, bob, alice], ['BTC', 'USDT']);
    const all = batch.readAccounts([alice]);
    const reversed = batch.readAccounts([alice], ['USDT', 'BTC']);
    const replies = await batch.pipeline.exec();
    expect(some.read(replies)).to.deep.equal([
      { userId: alice, asset: 'BTC', available: 7n, locked: 0n, feesPaid: 0n, version: 4n },
      { userId: alice, asset: 'USDT', available: 60n, locked: 40n, feesPaid: 0n, version: 4n },
    ] satisfies AccountSnapshot[]);
    expect(all.read(replies).filter((a) => a.asset !== 'ETH')).to.deep.equal(some.read(replies));
    expect(reversed.read(replies), 'sorted by asset whatever the order asked').to.deep.equal(
      some.read(replies),
    );
    // A value the scripts never write is refused here too, the version included.
    await f.t.redis.hset(f.t.keys.balances(bob), 'l:BTC', 'x');
    await f.t.redis.hset(f.t.keys.balances(carol), 'a:USDT', '5', 'v', '1.5');
    const refused = f.store.pipelined(f.t.redis.pipeline());
    const read = refused.readAccounts([bob], ['BTC']);
    const readVersion = refused.readAccounts([carol], ['BTC', 'USDT']);
    const badReplies = await refused.pipeline.exec();
    expect(() => read.read(badReplies))
      .to.throw(BalanceScriptError, / l:BTC holds "x"/)
      .with.property('code', 'CORRUPT_STATE');
    expect(() => readVersion.read(badReplies))
      .to.throw(BalanceScriptError, / v holds "1.5"/)
      .with.property('code', 'CORRUPT_STATE');
  });

  it('gives version 0 to a hash written before versions existed', async () => {
    const user = f.newUser();
    await f.t.redis.hset(f.t.keys.balances(user), 'a:USDT', '12', 'l:USDT', '3');
    expect(await f.store.readAccounts([user])).to.deep.equal([
      { userId: user, asset: 'USDT', available: 12n, locked: 3n, feesPaid: 0n, version: 0n },
    ]);
  });

  it('refuses a field or value the scripts never write (CORRUPT_STATE) rather than copy it', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 1n, 'd');
    await f.t.redis.hset(f.t.keys.balances(user), 'x:USDT', '1');
    await expectScriptError(f.store.readAccounts([user]), 'CORRUPT_STATE');
    const other = f.newUser();
    await f.t.redis.hset(f.t.keys.balances(other), 'a:USDT', '1.5');
    const error = await expectScriptError(f.store.readAccounts([other]), 'CORRUPT_STATE');
    expect(error.message).to.contain('a:USDT');
  });

  it('appends to a pipeline too, read by its handle after exec', async () => {
    const user = f.newUser();
    const batch = f.store.pipelined(f.t.redis.pipeline());
    batch.deposit(user, 'USDT', 10n, 'd');
    const accounts = batch.readAccounts([user]);
    const corrupt = f.newUser();
    await f.t.redis.hset(f.t.keys.balances(corrupt), 'v', 'x');
    const failing = batch.readAccounts([corrupt]);
    const replies = await batch.pipeline.exec();
    expect(accounts.index).to.equal(1);
    expect(accounts.read(replies)).to.deep.equal([
      { userId: user, asset: 'USDT', available: 10n, locked: 0n, feesPaid: 0n, version: 1n },
    ]);
    expect(() => failing.read(replies)).to.throw(BalanceScriptError, /CORRUPT|holds/);
  });
});
