/**
 * The slowlog sample of bench:e2e (`--redis-sample`) on the real Redis: script calls made during
 * the sample come back under their names, and the slowlog's settings are put back afterwards, also
 * when the sample fails half-way.
 */
import { expect } from 'chai';
import { sampleSlowlog, scriptNamesBySha, scriptShares } from '../../../scripts/bench/e2e/redis-stats.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

const PROBE_LUA = "return redis.call('INCR', KEYS[1])";

describe('bench/e2e/redis-stats: the slowlog sample on Redis', () => {
  let t: TestRedis;
  let before: unknown[];

  async function slowlogSettings(): Promise<unknown[]> {
    return Promise.all([
      t.redis.call('CONFIG', 'GET', 'slowlog-log-slower-than'),
      t.redis.call('CONFIG', 'GET', 'slowlog-max-len'),
    ]);
  }

  beforeEach(async () => {
    t = await openTestRedis();
    t.redis.defineCommand('benchProbe', { lua: PROBE_LUA, numberOfKeys: 1 });
    before = await slowlogSettings();
  });
  afterEach(async () => {
    expect(await slowlogSettings(), 'the slowlog settings are restored').to.deep.equal(before);
    await t.close();
  });

  it('returns the script calls made while it records, named by their source', async () => {
    const probe = (t.redis as unknown as { benchProbe(key: string): Promise<number> }).benchProbe.bind(
      t.redis,
    );
    const key = t.keys.pattern.replace('*', 'probe');
    await probe(key); // the first call on a connection may travel as EVAL: the sample sees EVALSHA
    const entries = await sampleSlowlog(t.redis, 0.2, async () => {
      for (let i = 0; i < 5; i++) await probe(key);
    });
    const shares = scriptShares(entries, scriptNamesBySha({ benchProbe: { lua: PROBE_LUA } }), 0.2);
    const probeShare = shares.find((s) => s.name === 'benchProbe');
    expect(probeShare, JSON.stringify(shares)).to.not.equal(undefined);
    expect(probeShare!.callsPerSec).to.equal(5 / 0.2);
    expect(probeShare!.usecPerCall).to.be.greaterThan(0);
    expect(Number(await t.redis.get(key))).to.equal(6);
  });

  it('puts the settings back when the sample fails half-way', async () => {
    let error: unknown;
    try {
      await sampleSlowlog(t.redis, 0.1, async () => {
        throw new Error('interrupted');
      });
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).to.equal('interrupted');
  });
});
