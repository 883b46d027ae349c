import { expect } from 'chai';
import { Redis } from 'ioredis';
import {
  BalanceScriptError,
  positionOf,
  readAll,
  type HoldResult,
  type ReleaseResult,
  type SettleResult,
} from '../../../src/redis/balance-store.ts';
import { useBalanceFixture } from './balance-fixture.ts';

describe('redis/balances: pipelined operations', () => {
  const f = useBalanceFixture();

  it('sends a batch in one pipeline and reads each result, typed, in order', async () => {
    const buyer = f.newUser();
    const seller = f.newUser();
    const pipeline = f.t.redis.pipeline();
    const batch = f.store.pipelined(pipeline);
    const deposits = [batch.deposit(buyer, 'USDT', 10_000n, 'd'), batch.deposit(seller, 'BTC', 100n, 'd')];
    pipeline.ping(); // other commands may share the pipeline
    const buy = batch.hold(buyer, 'buy', 'USDT', 6_000n);
    const sell = batch.hold(seller, 'sell', 'BTC', 'all');
    const tooMuch = batch.hold(seller, 'sell-2', 'BTC', 1n);
    const trade = { symbol: 'BTC-USDT', received: 50n, fee: 0n };
    const maker = batch.settle({
      ...trade,
      userId: seller,
      position: positionOf(4, 'maker'),
      orderId: 'sell',
      spentAsset: 'BTC',
      spent: 50n,
      receivedAsset: 'USDT',
      received: 5_000n,
    });
    const taker = batch.settle({
      ...trade,
      userId: buyer,
      position: positionOf(4, 'taker'),
      orderId: 'buy',
      spentAsset: 'USDT',
      spent: 5_000n,
      receivedAsset: 'BTC',
    });
    const done = batch.release({
      userId: buyer,
      symbol: 'BTC-USDT',
      position: positionOf(5, 'release'),
      orderId: 'buy',
      amount: 'all',
    });
    const replayedTaker = batch.settle({
      ...trade,
      userId: buyer,
      position: positionOf(4, 'taker'),
      orderId: 'buy',
      spentAsset: 'USDT',
      spent: 5_000n,
      receivedAsset: 'BTC',
    });
    expect([buy.index, sell.index, done.index]).to.deep.equal([3, 4, 8]);

    const replies = await pipeline.exec();
    const [held, all, refused, settled, closed, skipped] = readAll(
      [buy, sell, tooMuch, maker, done, replayedTaker],
      replies,
    );
    // The tuple is typed position by position.
    const typed: [HoldResult, HoldResult, HoldResult, SettleResult, ReleaseResult, SettleResult] = [
      held,
      all,
      refused,
      settled,
      closed,
      skipped,
    ];
    expect(typed).to.deep.equal([
      { status: 'OK', replayed: false, amount: 6_000n },
      { status: 'OK', replayed: false, amount: 100n },
      { status: 'INSUFFICIENT_FUNDS', replayed: false },
      { status: 'OK', held: 50n },
      { status: 'OK', released: 1_000n, held: 0n },
      { status: 'SKIPPED' },
    ]);
    expect(taker.read(replies)).to.deep.equal({ status: 'OK', held: 1_000n });
    expect(deposits.map((d) => d.read(replies).replayed)).to.deep.equal([false, false]);
    expect(await f.balance(buyer, 'USDT')).to.deep.equal({ available: 5_000n, locked: 0n, fees: 0n });
    expect(await f.balance(buyer, 'BTC')).to.deep.equal({ available: 50n, locked: 0n, fees: 0n });
    expect(await f.balance(seller, 'BTC')).to.deep.equal({ available: 0n, locked: 50n, fees: 0n });
    expect(await f.balance(seller, 'USDT')).to.deep.equal({ available: 5_000n, locked: 0n, fees: 0n });
  });

  it('isolates a failing command: its handle throws, the others read fine', async () => {
    const user = f.newUser();
    const pipeline = f.t.redis.pipeline();
    const batch = f.store.pipelined(pipeline);
    const ok = batch.deposit(user, 'USDT', 5n, 'd');
    const bad = batch.withdraw(user, 'usdt', 1n, 'w');
    const missing = batch.holdMore(user, 'nope', 'e', 1n);
    const replies = await pipeline.exec();
    expect(ok.read(replies).status).to.equal('OK');
    expect(() => bad.read(replies))
      .to.throw(BalanceScriptError)
      .with.property('code', 'INVALID_ARGUMENT');
    expect(() => missing.read(replies))
      .to.throw(BalanceScriptError)
      .with.property('code', 'NO_ACTIVE_HOLD');
    expect(() => ok.read(null)).to.throw(RangeError);
  });

  it('refuses a pipeline of a client the store did not register its scripts on', async () => {
    const other = new Redis(f.t.redis.options);
    try {
      expect(() => f.store.pipelined(other.pipeline())).to.throw(TypeError, /after a BalanceStore/);
    } finally {
      other.disconnect();
    }
  });
});
