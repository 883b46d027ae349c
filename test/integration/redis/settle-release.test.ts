import { expect } from 'chai';
import { positionOf, type Settlement } from '../../../src/redis/balance-store.ts';
import { expectScriptError, useBalanceFixture } from './balance-fixture.ts';

const SYMBOL = 'BTC-USDT';

describe('redis/balances: settle and release', () => {
  const f = useBalanceFixture();

  /** A buyer holding USDT for order `buy` and a seller holding BTC for order `sell`. */
  async function twoSides(): Promise<{ buyer: number; seller: number }> {
    const buyer = f.newUser();
    const seller = f.newUser();
    await f.store.deposit(buyer, 'USDT', 10_000n, 'd');
    await f.store.deposit(seller, 'BTC', 100n, 'd');
    await f.store.hold(buyer, 'buy', 'USDT', 6_000n);
    await f.store.hold(seller, 'sell', 'BTC', 80n);
    return { buyer, seller };
  }

  const buySide = (userId: number, seq: number, role: 'maker' | 'taker'): Settlement => ({
    userId,
    symbol: SYMBOL,
    position: positionOf(seq, role),
    orderId: 'buy',
    spentAsset: 'USDT',
    spent: 5_000n,
    receivedAsset: 'BTC',
    received: 50n,
    fee: 1n,
  });
  const sellSide = (userId: number, seq: number, role: 'maker' | 'taker'): Settlement => ({
    userId,
    symbol: SYMBOL,
    position: positionOf(seq, role),
    orderId: 'sell',
    spentAsset: 'BTC',
    spent: 50n,
    receivedAsset: 'USDT',
    received: 5_000n,
    fee: 10n,
  });

  it('settles both sides of a trade: spent leaves the hold, received less fee becomes available', async () => {
    const { buyer, seller } = await twoSides();
    expect(await f.store.settle(sellSide(seller, 3, 'maker'))).to.deep.equal({ status: 'OK', held: 30n });
    expect(await f.store.settle(buySide(buyer, 3, 'taker'))).to.deep.equal({ status: 'OK', held: 1_000n });
    expect(await f.balance(buyer, 'USDT')).to.deep.equal({ available: 4_000n, locked: 1_000n, fees: 0n });
    expect(await f.balance(buyer, 'BTC')).to.deep.equal({ available: 49n, locked: 0n, fees: 1n });
    expect(await f.balance(seller, 'BTC')).to.deep.equal({ available: 20n, locked: 30n, fees: 0n });
    expect(await f.balance(seller, 'USDT')).to.deep.equal({ available: 4_990n, locked: 0n, fees: 10n });
    expect(await f.store.getFeesPaid(seller)).to.deep.equal(new Map([['USDT', 10n]]));
    expect(await f.t.redis.hget(f.t.keys.cursor(buyer), SYMBOL)).to.equal('7');
  });

  it('skips a position at or below the cursor and changes nothing', async () => {
    const { seller } = await twoSides();
    await f.store.settle(sellSide(seller, 10, 'taker'));
    const before = await f.snapshot();
    expect(await f.store.settle(sellSide(seller, 10, 'taker'))).to.deep.equal({ status: 'SKIPPED' });
    expect(await f.store.settle(sellSide(seller, 10, 'maker'))).to.deep.equal({ status: 'SKIPPED' });
    expect(await f.store.settle(sellSide(seller, 2, 'taker'))).to.deep.equal({ status: 'SKIPPED' });
    const release = { userId: seller, symbol: SYMBOL, position: positionOf(9, 'release'), orderId: 'sell' };
    expect(await f.store.release({ ...release, amount: 'all' })).to.deep.equal({ status: 'SKIPPED' });
    expect(await f.snapshot()).to.deep.equal(before);
    // The cursor is per symbol: the same position on another symbol applies.
    await f.store.hold(seller, 'eth-sell', 'BTC', 10n);
    const other = { ...sellSide(seller, 10, 'taker'), symbol: 'ETH-BTC', orderId: 'eth-sell', spent: 10n };
    expect((await f.store.settle(other)).status).to.equal('OK');
  });

  it('applies position 0 when no cursor exists yet', async () => {
    const { seller } = await twoSides();
    expect((await f.store.settle(sellSide(seller, 0, 'maker'))).status).to.equal('OK');
    expect(await f.store.settle(sellSide(seller, 0, 'maker'))).to.deep.equal({ status: 'SKIPPED' });
  });

  it('settles a self-trade: one user on both sides of one trade, positions seq×2 and seq×2+1', async () => {
    const user = f.newUser();
    await f.store.deposit(user, 'USDT', 10_000n, 'd-usdt');
    await f.store.deposit(user, 'BTC', 100n, 'd-btc');
    await f.store.hold(user, 'buy', 'USDT', 6_000n);
    await f.store.hold(user, 'sell', 'BTC', 80n);
    const maker = sellSide(user, 5, 'maker');
    const taker = buySide(user, 5, 'taker');
    expect((await f.store.settle(maker)).status).to.equal('OK');
    expect((await f.store.settle(taker)).status).to.equal('OK');
    const after = await f.snapshot();
    expect(await f.store.settle(maker)).to.deep.equal({ status: 'SKIPPED' });
    expect(await f.store.settle(taker)).to.deep.equal({ status: 'SKIPPED' });
    expect(await f.snapshot()).to.deep.equal(after);
    // 5 000 USDT and 50 BTC changed hands within the user; only the fees left the balances.
    expect(await f.balance(user, 'USDT')).to.deep.equal({ available: 8_990n, locked: 1_000n, fees: 10n });
    expect(await f.balance(user, 'BTC')).to.deep.equal({ available: 69n, locked: 30n, fees: 1n });
  });

  it('refuses to spend more than the order holds, or from a hold in another asset', async () => {
    const { buyer, seller } = await twoSides();
    await f.store.deposit(seller, 'BTC', 1_000n, 'd-more');
    const before = await f.snapshot();
    await expectScriptError(f.store.settle({ ...sellSide(seller, 1, 'maker'), spent: 81n }), 'EXCEEDS_HOLD');
    await expectScriptError(
      f.store.settle({ ...buySide(buyer, 1, 'maker'), spentAsset: 'BTC', receivedAsset: 'USDT' }),
      'EXCEEDS_HOLD',
    );
    await expectScriptError(
      f.store.settle({ ...sellSide(seller, 1, 'maker'), orderId: 'nope' }),
      'NO_ACTIVE_HOLD',
    );
    expect(await f.snapshot()).to.deep.equal(before);
  });

  it('settles amounts and positions beyond 2^53 exactly', async () => {
    const buyer = f.newUser();
    const seller = f.newUser();
    const big = 9_007_199_254_740_993n;
    await f.store.deposit(buyer, 'USDT', big * 2n, 'd');
    await f.store.deposit(seller, 'BTC', 3n, 'd');
    await f.store.hold(buyer, 'buy', 'USDT', 'all');
    await f.store.hold(seller, 'sell', 'BTC', 3n);
    const position = 2n ** 53n + 1n;
    const trade = { symbol: SYMBOL, position, fee: 0n };
    await f.store.settle({
      ...trade,
      userId: buyer,
      orderId: 'buy',
      spentAsset: 'USDT',
      spent: big,
      receivedAsset: 'BTC',
      received: 3n,
    });
    await f.store.settle({
      ...trade,
      userId: seller,
      orderId: 'sell',
      spentAsset: 'BTC',
      spent: 3n,
      receivedAsset: 'USDT',
      received: big,
      fee: 3n,
    });
    expect(await f.balance(buyer, 'USDT')).to.deep.equal({ available: 0n, locked: big, fees: 0n });
    expect(await f.balance(seller, 'USDT')).to.deep.equal({ available: big - 3n, locked: 0n, fees: 3n });
    expect(await f.t.redis.hget(f.t.keys.cursor(seller), SYMBOL)).to.equal('9007199254740993');
    expect(
      (
        await f.store.settle({
          ...trade,
          userId: seller,
          orderId: 'sell',
          spentAsset: 'BTC',
          spent: 3n,
          receivedAsset: 'USDT',
          received: big,
          position: position - 1n,
        })
      ).status,
    ).to.equal('SKIPPED');
  });

  it('releases part of a hold (at most what it holds) and keeps it active', async () => {
    const { buyer } = await twoSides();
    const release = { userId: buyer, symbol: SYMBOL, orderId: 'buy' };
    expect(await f.store.release({ ...release, position: 10n, amount: 1_000n })).to.deep.equal({
      status: 'OK',
      released: 1_000n,
      held: 5_000n,
    });
    expect(await f.store.release({ ...release, position: 12n, amount: 7_000n })).to.deep.equal({
      status: 'OK',
      released: 5_000n,
      held: 0n,
    });
    expect(await f.store.getHold(buyer, 'buy')).to.deep.equal({
      state: 'active',
      asset: 'USDT',
      held: 0n,
      amount: 6_000n,
    });
    expect(await f.balance(buyer, 'USDT')).to.deep.equal({ available: 10_000n, locked: 0n, fees: 0n });
  });

  it('releases all when the order is done and closes the hold', async () => {
    const { buyer, seller } = await twoSides();
    await f.store.settle(buySide(buyer, 1, 'taker'));
    const done = {
      userId: buyer,
      symbol: SYMBOL,
      position: positionOf(2, 'release'),
      orderId: 'buy',
      amount: 'all' as const,
    };
    expect(await f.store.release(done)).to.deep.equal({ status: 'OK', released: 1_000n, held: 0n });
    expect(await f.store.getHold(buyer, 'buy')).to.deep.equal({
      state: 'released',
      asset: 'USDT',
      amount: 6_000n,
    });
    expect(await f.balance(buyer, 'USDT')).to.deep.equal({ available: 5_000n, locked: 0n, fees: 0n });
    const before = await f.snapshot();
    expect(await f.store.release(done)).to.deep.equal({ status: 'SKIPPED' });
    // A later effect on a closed hold is a caller's bug: an error, nothing changed.
    await expectScriptError(f.store.release({ ...done, position: 100n }), 'NO_ACTIVE_HOLD');
    await expectScriptError(f.store.settle(buySide(buyer, 100, 'maker')), 'NO_ACTIVE_HOLD');
    expect(await f.snapshot()).to.deep.equal(before);
    // A fully filled order releases nothing but still closes.
    await f.store.settle({ ...sellSide(seller, 3, 'maker'), spent: 80n });
    expect(await f.store.release({ ...done, userId: seller, orderId: 'sell', position: 8n })).to.deep.equal({
      status: 'OK',
      released: 0n,
      held: 0n,
    });
    expect((await f.store.getHold(seller, 'sell'))?.state).to.equal('released');
  });
});
