import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { BALANCE_SCRIPTS } from '../../../src/redis/balance-scripts.ts';
import { expectReplyError, useBalanceFixture } from './balance-fixture.ts';

/**
 * The scripts check every argument before their first write: a malformed call is an error reply
 * and leaves every key as it was. The calls go to the raw commands, past any TypeScript typing.
 */
describe('redis/balances: malformed arguments change nothing', () => {
  const f = useBalanceFixture();
  let user = 0;

  before(async () => {
    user = f.newUser();
    await f.store.deposit(user, 'USDT', 1_000n, 'd');
    await f.store.deposit(user, 'BTC', 1_000n, 'd-btc');
    await f.store.withdraw(user, 'USDT', 1n, 'w');
    await f.store.hold(user, 'o', 'USDT', 500n);
    await f.store.hold(user, 's', 'BTC', 500n);
    await f.store.settle({
      userId: user,
      symbol: 'BTC-USDT',
      position: 4n,
      orderId: 'o',
      spentAsset: 'USDT',
      spent: 100n,
      receivedAsset: 'BTC',
      received: 10n,
      fee: 1n,
    });
  });

  const BAD_AMOUNTS = [
    '',
    '-1',
    '+1',
    '01',
    '1.5',
    '1e3',
    ' 1',
    '1 ',
    'abc',
    '0x10',
    '9223372036854775808',
    '99999999999999999999',
  ];
  const BAD_ASSETS = ['', 'usdt', 'U', 'USDT ', 'US DT', 'ABCDEFGHIJKLM', 'US#T'];
  const BAD_IDS = ['', 'has space', 'has#hash', 'tab\there', 'x'.repeat(129)];

  type Call = (redis: Redis) => Promise<unknown>;
  const cases: Array<[string, Call]> = [];
  const keys = () => f.t.keys;
  const bal = () => keys().balances(user);
  const holds = () => keys().holds(user);
  const cursor = () => keys().cursor(user);
  const settle = (redis: Redis, args: Partial<Record<string, string>>) =>
    redis.balanceSettle(
      bal(),
      holds(),
      cursor(),
      args.symbol ?? 'BTC-USDT',
      args.position ?? '100',
      args.orderId ?? 'o',
      args.spentAsset ?? 'USDT',
      args.spent ?? '10',
      args.receivedAsset ?? 'BTC',
      args.received ?? '1',
      args.fee ?? '0',
    );
  const release = (redis: Redis, args: Partial<Record<string, string>>) =>
    redis.balanceRelease(
      bal(),
      holds(),
      cursor(),
      args.symbol ?? 'BTC-USDT',
      args.position ?? '100',
      args.orderId ?? 'o',
      args.amount ?? '1',
    );

  for (const amount of [...BAD_AMOUNTS, '0']) {
    cases.push([
      `deposit amount ${JSON.stringify(amount)}`,
      (r) => r.balanceDeposit(bal(), keys().deposits(user), 'd-new', 'USDT', amount),
    ]);
    cases.push([
      `withdraw amount ${JSON.stringify(amount)}`,
      (r) => r.balanceWithdraw(bal(), keys().withdrawals(user), 'w-new', 'USDT', amount),
    ]);
    cases.push([
      `hold amount ${JSON.stringify(amount)}`,
      (r) => r.balanceHold(bal(), holds(), 'o-new', 'USDT', amount),
    ]);
  }
  // holdMore takes 0: the recorded decision of an amend that needs nothing more.
  for (const amount of BAD_AMOUNTS) {
    cases.push([
      `holdMore amount ${JSON.stringify(amount)}`,
      (r) => r.balanceHoldMore(bal(), holds(), 'o', 'e', amount),
    ]);
  }
  for (const amount of BAD_AMOUNTS) {
    for (const field of ['position', 'spent', 'received', 'fee']) {
      cases.push([`settle ${field} ${JSON.stringify(amount)}`, (r) => settle(r, { [field]: amount })]);
    }
    cases.push([`release amount ${JSON.stringify(amount)}`, (r) => release(r, { amount })]);
    cases.push([`release position ${JSON.stringify(amount)}`, (r) => release(r, { position: amount })]);
  }
  for (const asset of BAD_ASSETS) {
    cases.push([
      `deposit asset ${JSON.stringify(asset)}`,
      (r) => r.balanceDeposit(bal(), keys().deposits(user), 'd-new', asset, '1'),
    ]);
    cases.push([
      `withdraw asset ${JSON.stringify(asset)}`,
      (r) => r.balanceWithdraw(bal(), keys().withdrawals(user), 'w-new', asset, '1'),
    ]);
    cases.push([
      `hold asset ${JSON.stringify(asset)}`,
      (r) => r.balanceHold(bal(), holds(), 'o-new', asset, '1'),
    ]);
    cases.push([`settle spentAsset ${JSON.stringify(asset)}`, (r) => settle(r, { spentAsset: asset })]);
    cases.push([`settle receivedAsset ${JSON.stringify(asset)}`, (r) => settle(r, { receivedAsset: asset })]);
  }
  for (const id of BAD_IDS) {
    cases.push([
      `deposit id ${JSON.stringify(id)}`,
      (r) => r.balanceDeposit(bal(), keys().deposits(user), id, 'USDT', '1'),
    ]);
    cases.push([
      `withdraw id ${JSON.stringify(id)}`,
      (r) => r.balanceWithdraw(bal(), keys().withdrawals(user), id, 'USDT', '1'),
    ]);
    cases.push([`hold orderId ${JSON.stringify(id)}`, (r) => r.balanceHold(bal(), holds(), id, 'USDT', '1')]);
    cases.push([
      `holdMore entryId ${JSON.stringify(id)}`,
      (r) => r.balanceHoldMore(bal(), holds(), 'o', id, '1'),
    ]);
    cases.push([`settle symbol ${JSON.stringify(id)}`, (r) => settle(r, { symbol: id })]);
    cases.push([`settle orderId ${JSON.stringify(id)}`, (r) => settle(r, { orderId: id })]);
    cases.push([`release orderId ${JSON.stringify(id)}`, (r) => release(r, { orderId: id })]);
  }
  cases.push(['hold mode "ALL"', (r) => r.balanceHold(bal(), holds(), 'o-new', 'USDT', 'ALL')]);
  cases.push(['settle fee above received', (r) => settle(r, { received: '5', fee: '6' })]);
  cases.push(['settle in one asset', (r) => settle(r, { receivedAsset: 'USDT' })]);
  cases.push([
    'settle with too few arguments',
    (r) => r.eval(BALANCE_SCRIPTS.balanceSettle.lua, 3, bal(), holds(), cursor(), 'BTC-USDT', '100'),
  ]);
  cases.push([
    'deposit with an extra argument',
    (r) =>
      r.eval(
        BALANCE_SCRIPTS.balanceDeposit.lua,
        2,
        bal(),
        keys().deposits(user),
        'd-new',
        'USDT',
        '1',
        'extra',
      ),
  ]);

  it(`refuses each of ${cases.length} malformed calls with INVALID_ARGUMENT and no change`, async () => {
    const before = await f.snapshot();
    expect(Object.keys(before)).to.have.length(5);
    for (const [name, call] of cases) {
      try {
        await expectReplyError(call(f.t.redis), 'INVALID_ARGUMENT');
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
      }
    }
    expect(await f.snapshot()).to.deep.equal(before);
  });

  it('reports a stored value the scripts never write as CORRUPT_STATE, changing nothing', async () => {
    const victim = f.newUser();
    await f.store.deposit(victim, 'USDT', 100n, 'd');
    await f.t.redis.hset(keys().balances(victim), 'a:USDT', '-5');
    await f.t.redis.hset(keys().holds(victim), 'bad', 'USDT 12x 7');
    const before = await f.snapshot();
    await expectReplyError(
      f.t.redis.balanceDeposit(keys().balances(victim), keys().deposits(victim), 'd2', 'USDT', '1'),
      'CORRUPT_STATE',
    );
    await expectReplyError(
      f.t.redis.balanceHold(keys().balances(victim), keys().holds(victim), 'bad', 'USDT', '1'),
      'CORRUPT_STATE',
    );
    expect(await f.snapshot()).to.deep.equal(before);
  });
});
