import { expect } from 'chai';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import type { Command } from '../../../src/engine/types.ts';
import { defineReadModelScripts } from '../../../src/redis/read-model-scripts.ts';
import { scanKeys } from '../../../src/redis/scan-keys.ts';
import { ReadModelWriter } from '../../../src/read-model/read-model-writer.ts';
import { amend, buy, cancel, cancelAll, sell } from '../../support/engine-fixtures.ts';
import { deleteKeys, openTestRedis, type TestRedis } from '../../support/redis.ts';
import { ProjectionHarness, type BatchItem } from '../../unit/read-model/projection-harness.ts';

/**
 * On one Redis the matcher writes a batch's read model as one `readModelApply` script call. The
 * same projected batches, written once as plain commands (the tested reference, under one prefix)
 * and once scripted (under another), must leave the same keys, values, scores, list orders and
 * expiries, batch after batch.
 */
describe('read-model on Redis: one script call per batch writes what the commands write', () => {
  let plain: TestRedis;
  let scripted: TestRedis;

  before(async () => {
    plain = await openTestRedis();
    scripted = await openTestRedis();
    defineReadModelScripts(scripted.redis);
  });
  beforeEach(async () => {
    await deleteKeys(plain.redis, plain.keys.pattern);
    await deleteKeys(scripted.redis, scripted.keys.pattern);
  });
  after(async () => {
    await plain?.close();
    await scripted?.close();
  });

  /** Every key of a prefix, without it, with its type, value and whether it expires. */
  async function dump(t: TestRedis): Promise<Record<string, unknown>> {
    const prefix = t.keys.pattern.slice(0, -1);
    const out: Record<string, unknown> = {};
    for (const key of (await scanKeys(t.redis, t.keys.pattern)).sort()) {
      const type = await t.redis.type(key);
      const expires = (await t.redis.ttl(key)) > 0;
      let value: unknown;
      if (type === 'string') value = await t.redis.get(key);
      else if (type === 'zset') value = await t.redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'list') value = await t.redis.lrange(key, 0, -1);
      else value = `unexpected type ${type}`;
      out[key.slice(prefix.length)] = { type, value, expires };
    }
    return out;
  }

  /** Runs the batches through one projection and both writers; compares the two read models after each. */
  async function writeBoth(batches: readonly (readonly BatchItem[])[], options = { fillsCap: 1000 }) {
    const harness = new ProjectionHarness();
    const reference = new ReadModelWriter(plain.keys, { userFillsCap: options.fillsCap, recentTradesCap: 5 });
    const writer = new ReadModelWriter(scripted.keys, {
      userFillsCap: options.fillsCap,
      recentTradesCap: 5,
      scripted: true,
    });
    for (const items of batches) {
      const batch = await harness.batch(items);
      const a = plain.redis.pipeline();
      reference.writeBatch(a, batch);
      const b = scripted.redis.pipeline();
      const commands = writer.writeBatch(b, batch);
      expect(commands, 'one script call, or nothing for an empty batch').to.be.at.most(1);
      for (const [error] of (await a.exec()) ?? []) expect(error).to.equal(null);
      for (const [error] of (await b.exec()) ?? []) expect(error).to.equal(null);
      expect(await dump(scripted)).to.deep.equal(await dump(plain));
    }
  }

  it('places, fills, partial fills, amends, cancels and a cancelAll', async () => {
    await writeBoth([
      [buy('b1', 1, 300_000, 5), buy('b2', 2, 299_990, 3), sell('a1', 3, 300_020, 4)],
      [sell('t1', 4, 300_000, 2), sell('t2', 4, 299_990, 4)],
      [amend('a1', 3, 300_010, 6), cancel('b2', 2)],
      [buy('t3', 5, 300_010, 10, { timeInForce: 'IOC' }), cancelAll(1)],
      [],
    ]);
    expect(await plain.redis.exists(plain.keys.order('t1'))).to.equal(1);
  });

  it('caps the fills and trades lists as the commands do, across batches', async () => {
    const makers = (from: number) => Array.from({ length: 3 }, (_, i) => sell(`m${from + i}`, 7, 300_000, 1));
    await writeBoth([makers(0), [buy('sweep1', 8, 300_000, 3)], makers(3), [buy('sweep2', 8, 300_000, 3)]], {
      fillsCap: 4,
    });
    expect(await scripted.redis.llen(scripted.keys.userFills(8, 'BTC-USDT'))).to.equal(4);
    expect(await scripted.redis.llen(scripted.keys.recentTrades('BTC-USDT'))).to.equal(5);
  });

  it('agrees on random flows of places, cancels and amends', async () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constantFrom('buy', 'sell'),
        user: fc.integer({ min: 1, max: 4 }),
        tick: fc.integer({ min: -3, max: 3 }),
        lots: fc.integer({ min: 1, max: 5 }),
        ioc: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('cancel'), pick: fc.nat(), user: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('amend'), pick: fc.nat(), lots: fc.integer({ min: 1, max: 5 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        async (flow) => {
          await deleteKeys(plain.redis, plain.keys.pattern);
          await deleteKeys(scripted.redis, scripted.keys.pattern);
          const placed: Array<{ id: string; user: number }> = [];
          let n = 0;
          const batches = flow.map((steps) =>
            steps.map((s): Command => {
              if ('tick' in s) {
                const id = `o${n++}`;
                placed.push({ id, user: s.user });
                const make = s.kind === 'buy' ? buy : sell;
                return make(id, s.user, 300_000 + s.tick * 10, s.lots, s.ioc ? { timeInForce: 'IOC' } : {});
              }
              const target = placed[s.pick % Math.max(1, placed.length)] ?? { id: 'none', user: 1 };
              if (s.kind === 'cancel') return cancel(target.id, s.user);
              return amend(target.id, target.user, 300_000, s.lots);
            }),
          );
          await writeBoth(batches);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses a malformed operation list before writing anything', async () => {
    const redis: Redis = scripted.redis;
    const key = scripted.keys.order('x');
    for (const args of [
      ['S', key, 'v', 'Q', key],
      ['S', key, 'v', 'E', key, 'v'],
      ['S', key, 'v', 'E', key, 'v', '0'],
      ['S', key, 'v', 'L', key, '10', '3', 'a', 'b'],
      ['S', key, 'v', 'L', key, '0', '1', 'a'],
      ['S', key, 'v', 'Z', key, '1'],
    ]) {
      let error: unknown;
      await redis.readModelApply(...args).catch((e: unknown) => (error = e));
      expect(String(error), args.join(' ')).to.match(/^ReplyError: INVALID_ARGUMENT/);
      expect(await redis.exists(key)).to.equal(0);
    }
    expect(await redis.readModelApply('S', key, 'v', 'E', scripted.keys.order('y'), 'w', 60)).to.equal(2);
    expect(await redis.get(key)).to.equal('v');
  });
});
