import { expect } from 'chai';
import type { BalancePipeline, BalanceStore, Queued } from '../../../src/redis/balance-store.ts';
import { useBalanceFixture } from './balance-fixture.ts';
import { ASSETS, EffectGenerator, prng, type Effect } from './balance-model.ts';

/**
 * DESIGN.md invariants 1, 2 and 4 on the real scripts: random deposits, withdrawals, holds, amend
 * holds, trades between users (self-trades included) with fees, and releases; random prefixes of
 * the effect list are replayed, some through pipelines, before the whole list. Every first
 * application must answer what the model predicts, every repeat must be a DUPLICATE or SKIPPED,
 * and at the end, per asset, Σ(available + locked + fees) = deposits − withdrawals, nothing is
 * negative, every user's balance equals the model's, and locked equals what active holds hold.
 */

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 20260101, 0xdecade];
const EFFECTS = 300;
const USERS = 4;

/** One comparable line per result, as EffectGenerator writes its predictions. */
type Outcome = { line: string; replayed: boolean };

async function apply(store: BalanceStore, effect: Effect): Promise<Outcome> {
  switch (effect.kind) {
    case 'deposit': {
      const r = await store.deposit(effect.userId, effect.asset, effect.amount, effect.id);
      return { line: `${r.status} ${r.amount}`, replayed: r.replayed };
    }
    case 'withdraw': {
      const r = await store.withdraw(effect.userId, effect.asset, effect.amount, effect.id);
      return { line: r.status, replayed: r.replayed };
    }
    case 'hold':
    case 'holdMore': {
      const r =
        effect.kind === 'hold'
          ? await store.hold(effect.userId, effect.orderId, effect.asset, effect.amount)
          : await store.holdMore(effect.userId, effect.orderId, effect.entryId, effect.amount);
      return { line: r.status === 'OK' ? `OK ${r.amount}` : r.status, replayed: r.replayed };
    }
    case 'settle': {
      const r = await store.settle(effect.settlement);
      return r.status === 'OK'
        ? { line: `OK held=${r.held}`, replayed: false }
        : { line: r.status, replayed: true };
    }
    case 'release': {
      const r = await store.release(effect.release);
      return r.status === 'OK'
        ? { line: `OK released=${r.released} held=${r.held}`, replayed: false }
        : { line: r.status, replayed: true };
    }
  }
}

/** The same as `apply`, appended to a pipeline. */
function queue(batch: BalancePipeline, effect: Effect): Queued<Outcome> {
  const map = <T>(q: Queued<T>, f: (r: T) => Outcome): Queued<Outcome> => ({
    index: q.index,
    read: (replies) => f(q.read(replies)),
  });
  switch (effect.kind) {
    case 'deposit':
      return map(batch.deposit(effect.userId, effect.asset, effect.amount, effect.id), (r) => ({
        line: `${r.status} ${r.amount}`,
        replayed: r.replayed,
      }));
    case 'withdraw':
      return map(batch.withdraw(effect.userId, effect.asset, effect.amount, effect.id), (r) => ({
        line: r.status,
        replayed: r.replayed,
      }));
    case 'hold':
    case 'holdMore': {
      const q =
        effect.kind === 'hold'
          ? batch.hold(effect.userId, effect.orderId, effect.asset, effect.amount)
          : batch.holdMore(effect.userId, effect.orderId, effect.entryId, effect.amount);
      return map(q, (r) => ({ line: r.status === 'OK' ? `OK ${r.amount}` : r.status, replayed: r.replayed }));
    }
    case 'settle':
      return map(batch.settle(effect.settlement), (r) =>
        r.status === 'OK'
          ? { line: `OK held=${r.held}`, replayed: false }
          : { line: r.status, replayed: true },
      );
    case 'release':
      return map(batch.release(effect.release), (r) =>
        r.status === 'OK'
          ? { line: `OK released=${r.released} held=${r.held}`, replayed: false }
          : { line: r.status, replayed: true },
      );
  }
}

function expectedOutcome(model: EffectGenerator, index: number, firstTime: boolean): Outcome {
  const line = model.expected[index]!;
  if (firstTime) return { line, replayed: false };
  const kind = model.effects[index]!.kind;
  return kind === 'settle' || kind === 'release'
    ? { line: 'SKIPPED', replayed: true }
    : { line, replayed: true };
}

describe('redis/balances: conservation under random effects and replays', function () {
  this.timeout(60_000);
  const f = useBalanceFixture();

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${EFFECTS} effects, replayed prefixes, conserved and never negative`, async () => {
      const random = prng(seed);
      const users = Array.from({ length: USERS }, () => f.newUser());
      const model = new EffectGenerator(random, users);
      model.generate(EFFECTS);
      const applied = new Array<boolean>(model.effects.length).fill(false);

      const check = (index: number, outcome: Outcome) => {
        const expected = expectedOutcome(model, index, !applied[index]);
        expect(
          outcome,
          `seed ${seed}, effect ${index}: ${JSON.stringify(model.effects[index], bigints)}`,
        ).to.deep.equal(expected);
        applied[index] = true;
      };

      // A trade adds both its sides, so there may be one effect more than asked for.
      const count = model.effects.length;
      const passes = [
        Math.floor(random() * count),
        Math.floor(random() * count),
        Math.floor(random() * count),
        count,
      ];
      for (const [pass, end] of passes.entries()) {
        if (pass % 2 === 1) {
          // Through pipelines, in batches of up to 64, as a matcher sends them.
          for (let start = 0; start < end; start += 64) {
            const pipeline = f.t.redis.pipeline();
            const batch = f.store.pipelined(pipeline);
            const stop = Math.min(end, start + 64);
            const queued = model.effects.slice(start, stop).map((effect) => queue(batch, effect));
            const replies = await pipeline.exec();
            queued.forEach((q, i) => check(start + i, q.read(replies)));
          }
        } else {
          for (let i = 0; i < end; i++) check(i, await apply(f.store, model.effects[i]!));
        }
      }

      expect(applied.every(Boolean), 'every effect applied').to.equal(true);
      await expectConserved(f.store, model, users);
    });
  }
});

async function expectConserved(
  store: BalanceStore,
  model: EffectGenerator,
  users: readonly number[],
): Promise<void> {
  const totals = new Map<string, bigint>();
  for (const userId of users) {
    const balances = await store.getBalances(userId);
    const fees = await store.getFeesPaid(userId);
    for (const asset of ASSETS) {
      const row = balances.find((b) => b.asset === asset) ?? { available: 0n, locked: 0n };
      const paid = fees.get(asset) ?? 0n;
      expect(row.available >= 0n && row.locked >= 0n && paid >= 0n, `user ${userId} ${asset}`).to.equal(true);
      const mine = model.account(userId, asset);
      expect(
        { available: row.available, locked: row.locked, fees: paid },
        `user ${userId} ${asset}`,
      ).to.deep.equal(mine);
      totals.set(asset, (totals.get(asset) ?? 0n) + row.available + row.locked + paid);
    }
    // Locked funds are exactly what the user's active holds still hold.
    const records = await store.redis.hgetall(store.keys.holds(userId));
    const heldByAsset = new Map<string, bigint>();
    for (const [field, record] of Object.entries(records)) {
      const words = record.split(' ');
      if (field.includes('#') || words.length !== 3 || words[0] === 'X') continue;
      heldByAsset.set(words[0]!, (heldByAsset.get(words[0]!) ?? 0n) + BigInt(words[1]!));
    }
    for (const asset of ASSETS) {
      expect(heldByAsset.get(asset) ?? 0n, `held ${asset} of user ${userId}`).to.equal(
        model.account(userId, asset).locked,
      );
    }
  }
  for (const asset of ASSETS) {
    const net = (model.deposited.get(asset) ?? 0n) - (model.withdrawn.get(asset) ?? 0n);
    expect(totals.get(asset), `conservation of ${asset}`).to.equal(net);
  }
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
