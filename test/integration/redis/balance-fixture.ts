/**
 * What the balance script tests share: a BalanceStore on the real Redis under a random prefix
 * (deleted after the file), fresh user ids, and readers of the raw state.
 */
import { expect } from 'chai';
import { BalanceScriptError, BalanceStore, type BalanceErrorCode } from '../../../src/redis/balance-store.ts';
import { openTestRedis, snapshotHashes, type TestRedis } from '../../support/redis.ts';

export interface BalanceFixture {
  readonly t: TestRedis;
  readonly store: BalanceStore;
  /** A user id no other test of the file uses. */
  newUser(): number;
  /** available / locked / fees of one asset, 0n when absent. */
  balance(userId: number, asset: string): Promise<{ available: bigint; locked: bigint; fees: bigint }>;
  /** Every key of the file's prefix, field by field. */
  snapshot(): Promise<Record<string, Record<string, string>>>;
}

/** Registers mocha hooks; the fixture's fields are valid inside tests. */
export function useBalanceFixture(): BalanceFixture {
  let t: TestRedis | undefined;
  let store: BalanceStore | undefined;
  let nextUser = 1;
  before(async () => {
    t = await openTestRedis();
    store = new BalanceStore(t.redis, t.keys);
  });
  after(async () => {
    await t?.close();
  });
  const fixture: BalanceFixture = {
    get t() {
      return t!;
    },
    get store() {
      return store!;
    },
    newUser: () => nextUser++,
    async balance(userId, asset) {
      const [available, locked, fees] = await t!.redis.hmget(
        t!.keys.balances(userId),
        `a:${asset}`,
        `l:${asset}`,
        `f:${asset}`,
      );
      return { available: BigInt(available ?? 0), locked: BigInt(locked ?? 0), fees: BigInt(fees ?? 0) };
    },
    snapshot: () => snapshotHashes(t!.redis, t!.keys.pattern),
  };
  return fixture;
}

/** Awaits a promise that must reject with a BalanceScriptError of `code`. */
export async function expectScriptError(
  promise: Promise<unknown>,
  code: BalanceErrorCode,
): Promise<BalanceScriptError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(BalanceScriptError);
    expect((error as BalanceScriptError).code, (error as Error).message).to.equal(code);
    return error as BalanceScriptError;
  }
  expect.fail(`expected a ${code} error, got a result`);
}

/** Awaits a raw command that must fail with an error reply starting with `code`. */
export async function expectReplyError(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(new RegExp(`^${code} `));
    return;
  }
  expect.fail(`expected a ${code} error reply, got a result`);
}
