import { expect } from 'chai';
import { RedisBalanceService } from '../../../src/adapters/api/balance-service.ts';
import { ApiError } from '../../../src/api/errors.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

describe('adapters/api/balance-service', () => {
  let t: TestRedis;
  let service: RedisBalanceService;
  let store: BalanceStore;
  before(async () => {
    t = await openTestRedis();
    store = new BalanceStore(t.redis, t.keys);
    service = new RedisBalanceService(store);
  });
  after(async () => {
    await t.close();
  });

  it('deposits, withdraws and lists, with repeats reported as duplicates of the first outcome', async () => {
    const userId = 1;
    expect(await service.list(userId)).to.deep.equal([]);
    const usdt = (amount: bigint) => ({ asset: 'USDT', amount });
    expect(await service.deposit({ userId, asset: 'USDT', amount: 1_000n, depositId: 'd-1' })).to.deep.equal({
      duplicate: false,
      ...usdt(1_000n),
    });
    // A repeat that asks for another amount answers with what the first one credited.
    expect(await service.deposit({ userId, asset: 'USDT', amount: 9_999n, depositId: 'd-1' })).to.deep.equal({
      duplicate: true,
      ...usdt(1_000n),
    });
    await service.deposit({ userId, asset: 'BTC', amount: 2n ** 60n, depositId: 'd-2' });
    expect(
      await service.withdraw({ userId, asset: 'USDT', amount: 400n, withdrawalId: 'w-1' }),
    ).to.deep.equal({ status: 'ok', duplicate: false, ...usdt(400n) });
    expect(
      await service.withdraw({ userId, asset: 'USDT', amount: 400n, withdrawalId: 'w-1' }),
    ).to.deep.equal({ status: 'ok', duplicate: true, ...usdt(400n) });
    expect(
      await service.withdraw({ userId, asset: 'USDT', amount: 601n, withdrawalId: 'w-2' }),
    ).to.deep.equal({ status: 'insufficient_funds', duplicate: false, ...usdt(601n) });
    // The refusal is recorded: a repeat is refused again, even once the funds are there.
    await service.deposit({ userId, asset: 'USDT', amount: 1n, depositId: 'd-3' });
    expect(
      await service.withdraw({ userId, asset: 'USDT', amount: 601n, withdrawalId: 'w-2' }),
    ).to.deep.equal({ status: 'insufficient_funds', duplicate: true, ...usdt(601n) });
    expect(await service.list(userId)).to.deep.equal([
      { asset: 'BTC', available: 2n ** 60n, locked: 0n },
      { asset: 'USDT', available: 601n, locked: 0n },
    ]);
  });

  it('lists locked funds too', async () => {
    const userId = 2;
    await service.deposit({ userId, asset: 'USDT', amount: 500n, depositId: 'd' });
    await store.hold(userId, 'order-1', 'USDT', 200n);
    expect(await service.list(userId)).to.deep.equal([{ asset: 'USDT', available: 300n, locked: 200n }]);
  });

  it('refuses a deposit past the largest balance as an invalid quantity, changing nothing', async () => {
    const userId = 3;
    await service.deposit({ userId, asset: 'USDT', amount: 2n ** 63n - 1n, depositId: 'max' });
    const error = await service.deposit({ userId, asset: 'USDT', amount: 1n, depositId: 'over' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ApiError).with.property('code', 'INVALID_QUANTITY');
    expect(await service.list(userId)).to.deep.equal([
      { asset: 'USDT', available: 2n ** 63n - 1n, locked: 0n },
    ]);
  });
});
