import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { CheckedHealth, redisCheck } from '../../../src/adapters/api/health.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { createRedis } from '../../../src/redis/connection.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

/** Nothing listens there: the test never starts or stops a Redis. */
const DEAD_URL = 'redis://127.0.0.1:6399';

describe('adapters/api/health', () => {
  let t: TestRedis;
  let dead: Redis;
  before(async () => {
    t = await openTestRedis();
    dead = createRedis(loadConfig({ NODE_ENV: 'test', REDIS_URL: DEAD_URL }), {
      connectionName: 'health-test-dead',
      connectTimeoutMs: 200,
    });
    dead.on('error', () => undefined);
  });
  after(async () => {
    dead.disconnect();
    await t.close();
  });

  it('is ready when Redis answers', async () => {
    const health = new CheckedHealth({ checks: { redis: redisCheck(t.redis) } });
    expect(await health.readiness()).to.deep.equal({ ready: true, checks: { redis: true } });
  });

  it('is not ready, quickly, when Redis is down', async () => {
    const health = new CheckedHealth({ checks: { redis: redisCheck(dead) }, timeoutMs: 300 });
    const started = Date.now();
    expect(await health.readiness()).to.deep.equal({ ready: false, checks: { redis: false } });
    expect(Date.now() - started).to.be.below(400);
  });

  it('runs extra checks in parallel; one that throws, answers false or hangs counts as down', async () => {
    const health = new CheckedHealth({
      checks: {
        redis: redisCheck(t.redis),
        mysql: async () => true,
        broken: () => {
          throw new Error('no');
        },
        rejecting: async () => Promise.reject(new Error('no')),
        saysNo: () => false,
        hangs: () => new Promise<boolean>(() => undefined),
      },
      timeoutMs: 100,
    });
    const started = Date.now();
    expect(await health.readiness()).to.deep.equal({
      ready: false,
      checks: { redis: true, mysql: true, broken: false, rejecting: false, saysNo: false, hangs: false },
    });
    expect(Date.now() - started).to.be.below(300);
  });

  it('is ready with no checks at all', async () => {
    expect(await new CheckedHealth({ checks: {} }).readiness()).to.deep.equal({ ready: true, checks: {} });
  });
});
