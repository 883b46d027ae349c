import { expect } from 'chai';
import { LAG_BACKWARD_CAP, LAG_FORWARD_CAP, measureStreamLag } from '../../../src/matcher/stream-lag.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

describe('matcher: stream lag (real Redis)', () => {
  let t: TestRedis;
  before(async () => {
    t = await openTestRedis();
  });
  after(async () => {
    await t.close();
  });

  /** Appends `n` entries with ids `${ms}-0`, `${ms + 1}-0`, ...; returns their ids. */
  async function fill(stream: string, n: number, fromMs = 1): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 500) {
      const pipeline = t.redis.pipeline();
      for (let k = i; k < Math.min(n, i + 500); k++) {
        ids.push(`${fromMs + k}-0`);
        pipeline.xadd(stream, `${fromMs + k}-0`, 'k', 'x');
      }
      await pipeline.exec();
    }
    return ids;
  }

  it('counts the entries after each position, exactly while they are few', async () => {
    const a = t.keys.orderStream('AAA-USDT');
    const b = t.keys.orderStream('BBB-USDT');
    const ids = await fill(a, 30);
    await fill(b, 5);
    const lags = await measureStreamLag(t.redis, [
      [a, ids[9]!],
      [a, ids[29]!],
      [a, '0-0'],
      [b, '3-0'],
      [t.keys.orderStream('CCC-USDT'), '0-0'],
    ]);
    expect(lags).to.deep.equal([20, 0, 30, 2, 0]);
  });

  it('counts from the other end past the forward cap, so a long lag still shows how long', async () => {
    const stream = t.keys.orderStream('DDD-USDT');
    const ids = await fill(stream, 1_500);
    // Trimmed at a checkpoint, as the matcher does: 1000 entries are left, 40 of them at or before the position.
    await t.redis.xtrim(stream, 'MINID', ids[500]!);
    const lags = await measureStreamLag(t.redis, [[stream, ids[539]!]]);
    expect(LAG_FORWARD_CAP).to.be.below(960);
    expect(lags).to.deep.equal([960]);
  });

  it('gives an upper bound, never less than the forward cap, when both ends are long', async () => {
    const stream = t.keys.orderStream('EEE-USDT');
    const total = LAG_BACKWARD_CAP + 400;
    const ids = await fill(stream, total);
    const [lag] = await measureStreamLag(t.redis, [[stream, ids[LAG_BACKWARD_CAP + 99]!]]);
    const exact = total - (LAG_BACKWARD_CAP + 100);
    expect(lag).to.be.at.least(exact);
    expect(lag).to.equal(total - LAG_BACKWARD_CAP);
  });
});
