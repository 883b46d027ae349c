import { expect } from 'chai';
import fc from 'fast-check';
import type { BalancePipeline, PipelineReplies, Queued } from '../../../src/redis/balance-pipeline.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import { deleteKeys, openTestRedis, snapshotHashes, type TestRedis } from '../../support/redis.ts';

/**
 * On one Redis the matcher sends a batch's holds, and its settlements and releases, as one
 * `balanceBatch` call each (balance-batch-0.lua, BalancePipeline `combine`). The same operations,
 * pipelined one script call each (the tested reference, under one prefix) and combined (under
 * another), must give the same results, the same errors (code and message) and the same keys.
 */
describe('redis/balances: a combined batch does what the pipelined scripts do', () => {
  let plain: TestRedis;
  let combined: TestRedis;
  let plainStore: BalanceStore;
  let combinedStore: BalanceStore;

  before(async () => {
    plain = await openTestRedis();
    combined = await openTestRedis();
    plainStore = new BalanceStore(plain.redis, plain.keys);
    combinedStore = new BalanceStore(combined.redis, combined.keys);
  });
  after(async () => {
    await plain?.close();
    await combined?.close();
  });

  type Operation =
    | { kind: 'hold'; user: number; order: number; asset: string; amount: bigint | 'all' }
    | {
        kind: 'settle';
        user: number;
        order: number;
        position: number;
        spent: bigint;
        received: bigint;
        fee: bigint;
      }
    | { kind: 'release'; user: number; order: number; position: number; amount: bigint | 'all' };

  function queue(batch: BalancePipeline, op: Operation): Queued<unknown> {
    const orderId = `o${op.order}`;
    if (op.kind === 'hold') return batch.hold(op.user, orderId, op.asset, op.amount);
    if (op.kind === 'settle')
      return batch.settle({
        userId: op.user,
        symbol: 'BTC-USDT',
        position: BigInt(op.position),
        orderId,
        spentAsset: 'USDT',
        spent: op.spent,
        receivedAsset: 'BTC',
        received: op.received,
        fee: op.fee,
      });
    return batch.release({
      userId: op.user,
      symbol: 'BTC-USDT',
      position: BigInt(op.position),
      orderId,
      amount: op.amount,
    });
  }

  /** What reading a handle gives: its result, or its error's class, code and message. */
  function outcome(q: Queued<unknown>, replies: PipelineReplies): unknown {
    try {
      return { ok: q.read(replies) };
    } catch (error) {
      const { name, message, code } = error as Error & { code?: string };
      return { error: { name, code, message } };
    }
  }

  async function runBoth(batches: readonly (readonly Operation[])[]): Promise<void> {
    for (const ops of batches) {
      const a = plainStore.pipelined(plain.redis.pipeline());
      const b = combinedStore.pipelined(combined.redis.pipeline(), { combine: true });
      const qa = ops.map((op) => queue(a, op));
      const qb = ops.map((op) => queue(b, op));
      b.seal();
      expect(b.pipeline.length).to.equal(ops.length === 0 ? 0 : 1);
      const ra = ops.length === 0 ? [] : await a.pipeline.exec();
      const rb = ops.length === 0 ? [] : await b.pipeline.exec();
      expect(qb.map((q) => outcome(q, rb))).to.deep.equal(qa.map((q) => outcome(q, ra)));
      const strip = (snapshot: Record<string, unknown>, prefix: string) =>
        Object.fromEntries(Object.entries(snapshot).map(([key, value]) => [key.slice(prefix.length), value]));
      expect(
        strip(await snapshotHashes(combined.redis, combined.keys.pattern), combined.keys.pattern),
      ).to.deep.equal(strip(await snapshotHashes(plain.redis, plain.keys.pattern), plain.keys.pattern));
    }
  }

  async function fund(): Promise<void> {
    for (const [t, store] of [
      [plain, plainStore],
      [combined, combinedStore],
    ] as const) {
      await deleteKeys(t.redis, t.keys.pattern);
      for (const user of [1, 2, 3]) {
        await store.deposit(user, 'USDT', 1_000_000n, `d${user}`);
        await store.deposit(user, 'BTC', 1_000n, `d${user}b`);
      }
    }
  }

  it('holds, settlements and releases, refusals and errors among them', async () => {
    await fund();
    await runBoth([
      [
        { kind: 'hold', user: 1, order: 1, asset: 'USDT', amount: 500_000n },
        { kind: 'hold', user: 2, order: 2, asset: 'USDT', amount: 2_000_000n }, // INSUFFICIENT_FUNDS
        { kind: 'hold', user: 1, order: 1, asset: 'USDT', amount: 7n }, // DUPLICATE
        { kind: 'hold', user: 3, order: 3, asset: 'USDT', amount: 'all' },
        { kind: 'hold', user: 3, order: 4, asset: 'usdt', amount: 1n }, // INVALID_ARGUMENT
      ],
      [
        { kind: 'settle', user: 1, order: 1, position: 4, spent: 100_000n, received: 10n, fee: 1n },
        { kind: 'settle', user: 1, order: 1, position: 4, spent: 100_000n, received: 10n, fee: 1n }, // SKIPPED
        { kind: 'settle', user: 1, order: 1, position: 6, spent: 900_000n, received: 10n, fee: 1n }, // EXCEEDS_HOLD
        { kind: 'settle', user: 2, order: 2, position: 6, spent: 1n, received: 1n, fee: 0n }, // NO_ACTIVE_HOLD
        { kind: 'settle', user: 3, order: 3, position: 8, spent: 1n, received: 1n, fee: 2n }, // fee > received
        { kind: 'release', user: 1, order: 1, position: 9, amount: 50n },
        { kind: 'release', user: 1, order: 1, position: 11, amount: 'all' },
        { kind: 'release', user: 1, order: 1, position: 13, amount: 'all' }, // NO_ACTIVE_HOLD: released
      ],
      [],
    ]);
  });

  it('agrees on random batches', async () => {
    const user = fc.integer({ min: 1, max: 3 });
    const order = fc.integer({ min: 1, max: 6 });
    const position = fc.integer({ min: 0, max: 40 });
    const small = fc.bigInt({ min: 0n, max: 400_000n });
    const operation: fc.Arbitrary<Operation> = fc.oneof(
      fc.record({
        kind: fc.constant('hold' as const),
        user,
        order,
        asset: fc.constantFrom('USDT', 'BTC'),
        amount: fc.oneof(fc.bigInt({ min: 1n, max: 600_000n }), fc.constant('all' as const)),
      }),
      fc.record({
        kind: fc.constant('settle' as const),
        user,
        order,
        position,
        spent: small,
        received: small,
        fee: small,
      }),
      fc.record({
        kind: fc.constant('release' as const),
        user,
        order,
        position,
        amount: fc.oneof(small, fc.constant('all' as const)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(operation, { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        async (batches) => {
          await fund();
          await runBoth(batches);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps order around an operation it cannot combine: a read between two holds sees the first only', async () => {
    await fund();
    const batch = combinedStore.pipelined(combined.redis.pipeline(), { combine: true });
    const first = batch.hold(1, 'r1', 'USDT', 100n);
    const read = batch.readAccounts([1], ['USDT']);
    const second = batch.hold(1, 'r2', 'USDT', 200n);
    batch.seal();
    expect(batch.pipeline.length).to.equal(3);
    const replies = await batch.pipeline.exec();
    expect(first.read(replies)).to.include({ status: 'OK' });
    expect(second.read(replies)).to.include({ status: 'OK' });
    const usdt = read.read(replies).find((a) => a.asset === 'USDT');
    expect(usdt?.locked).to.equal(100n);
    expect(await combined.redis.hget(combined.keys.balances(1), 'l:USDT')).to.equal('300');
  });

  it('refuses a malformed operation list before running any operation', async () => {
    await fund();
    const before = await snapshotHashes(combined.redis, combined.keys.pattern);
    const k = combined.keys;
    for (const args of [
      ['H', k.balances(1), k.holds(1), 'o', 'USDT', '1', 'X', 'a'],
      ['H', k.balances(1), k.holds(1), 'o', 'USDT', '1', 'R', k.balances(1), k.holds(1), k.cursor(1)],
    ]) {
      let error: unknown;
      await combined.redis.balanceBatch(...args).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/^ReplyError: INVALID_ARGUMENT/);
    }
    expect(await snapshotHashes(combined.redis, combined.keys.pattern)).to.deep.equal(before);
  });

  it('a handle read before seal() says so', () => {
    const batch = combinedStore.pipelined(combined.redis.pipeline(), { combine: true });
    const held = batch.hold(1, 'x', 'USDT', 1n);
    expect(() => held.read([])).to.throw(RangeError, /seal/);
  });
});
