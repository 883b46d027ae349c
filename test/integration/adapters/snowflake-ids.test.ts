import { expect } from 'chai';
import {
  acquireInstanceNumber,
  MAX_INSTANCES,
  newInstanceId,
  SNOWFLAKE_EPOCH_MS,
  SnowflakeError,
  SnowflakeIds,
  snowflakeParts,
} from '../../../src/adapters/api/snowflake-ids.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

/** True when every id is greater than the one before (as 64-bit integers) and none repeats. */
function strictlyIncreasing(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (BigInt(ids[i]!) <= BigInt(ids[i - 1]!)) return false;
  return true;
}

describe('adapters/api/snowflake-ids', () => {
  let t: TestRedis;
  before(async () => {
    t = await openTestRedis();
  });
  after(async () => {
    await t.close();
  });

  it('makes 100 000 unique, strictly increasing ids, each a decimal string the API accepts', () => {
    const ids = new SnowflakeIds({ instance: 7 });
    const started = Date.now();
    const made = Array.from({ length: 100_000 }, () => ids.next());
    expect(new Set(made).size).to.equal(made.length);
    expect(strictlyIncreasing(made)).to.equal(true);
    for (const id of [made[0]!, made.at(-1)!]) {
      expect(id).to.match(/^[1-9]\d{0,18}$/);
      const parts = snowflakeParts(id);
      expect(parts.instance).to.equal(7);
      expect(parts.time).to.be.within(started, Date.now() + 5);
    }
  });

  it('never repeats an id across two generators with different instance numbers', () => {
    const a = new SnowflakeIds({ instance: 1 });
    const b = new SnowflakeIds({ instance: 2 });
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      seen.add(a.next());
      seen.add(b.next());
    }
    expect(seen.size).to.equal(100_000);
  });

  it('waits for the next millisecond after 4 096 ids in one', () => {
    let now = SNOWFLAKE_EPOCH_MS + 1_000;
    let reads = 0;
    // The clock moves on only after it was read a few times while the generator waits.
    const ids = new SnowflakeIds({
      instance: 3,
      clock: () => {
        reads += 1;
        if (reads > 4_096 + 3) now = SNOWFLAKE_EPOCH_MS + 1_001;
        return now;
      },
    });
    const made = Array.from({ length: 4_097 }, () => ids.next());
    expect(snowflakeParts(made[4_095]!)).to.deep.equal({
      time: SNOWFLAKE_EPOCH_MS + 1_000,
      instance: 3,
      sequence: 4_095,
    });
    expect(snowflakeParts(made[4_096]!)).to.deep.equal({
      time: SNOWFLAKE_EPOCH_MS + 1_001,
      instance: 3,
      sequence: 0,
    });
    expect(strictlyIncreasing(made)).to.equal(true);
  });

  it('keeps the last millisecond when the clock goes back, and borrows the next one if it must', () => {
    let now = SNOWFLAKE_EPOCH_MS + 5_000;
    const ids = new SnowflakeIds({ instance: 0, clock: () => now });
    const first = ids.next();
    now -= 2_000;
    const made = [first, ...Array.from({ length: 5_000 }, () => ids.next())];
    expect(strictlyIncreasing(made)).to.equal(true);
    expect(snowflakeParts(made[4_096]!).time).to.equal(SNOWFLAKE_EPOCH_MS + 5_001);
    now += 10_000;
    expect(snowflakeParts(ids.next())).to.deep.include({ time: SNOWFLAKE_EPOCH_MS + 13_000, sequence: 0 });
  });

  it('refuses an instance number outside 0..1023', () => {
    for (const instance of [-1, 1024, 1.5]) {
      expect(() => new SnowflakeIds({ instance })).to.throw(SnowflakeError);
    }
  });

  it('takes a new instance number per start from Redis, modulo 1024', async () => {
    const first = await acquireInstanceNumber(t.redis, t.keys);
    const second = await acquireInstanceNumber(t.redis, t.keys);
    expect(second).to.equal((first + 1) % MAX_INSTANCES);
    await t.redis.set(t.keys.instances, String(3 * MAX_INSTANCES - 1));
    expect(await acquireInstanceNumber(t.redis, t.keys)).to.equal(0);
    expect(await acquireInstanceNumber(t.redis, t.keys)).to.equal(1);
  });

  it('names an instance so that its outcome channel is a valid key, distinct per start', () => {
    const a = newInstanceId(5);
    const b = newInstanceId(5);
    expect(a).to.match(/^api-5-[0-9a-f]{12}$/);
    expect(a).not.to.equal(b);
    expect(t.keys.outcomes(a)).to.equal(`${t.keys.prefix}:outcomes:${a}`);
  });
});
