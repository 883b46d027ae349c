import { expect } from 'chai';
import { ALL_SCRIPTS } from '../../../src/redis/all-scripts.ts';
import { ensureGroup, GROUP, lastDeliveredId } from '../../../src/matcher/command-stream.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

describe('redis/connection: an auto-pipelined client and the Lua scripts', () => {
  let testRedis: TestRedis;

  beforeEach(async () => {
    testRedis = await openTestRedis({ enableAutoPipelining: true });
  });

  afterEach(async () => {
    await testRedis.close();
  });

  it('has every script as a command as soon as it is created', () => {
    const client = testRedis.redis as unknown as Record<string, unknown>;
    for (const name of Object.keys(ALL_SCRIPTS)) expect(client[name], name).to.be.a('function');
  });

  // The CI failure this guards: a matcher thread's first XGROUP script call shared a tick's pipeline
  // with an earlier command, the script was defined after that pipeline was made, and every command
  // of the pipeline failed ("pipeline[functionName] is not a function").
  it('runs a script first called in a tick whose pipeline another command opened', async () => {
    const { redis, keys } = testRedis;
    const stream = keys.orderStream('BTC-USDT');
    const marker = `${keys.pattern.slice(0, -1)}marker`;
    const results = await Promise.all([
      redis.set(marker, 'v'),
      ensureGroup(redis, stream),
      lastDeliveredId(redis, stream),
      redis.get(marker),
    ]);
    expect(results[0]).to.equal('OK');
    expect(results[3]).to.equal('v');
    const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
    expect(groups.map((group) => group[1])).to.deep.equal([GROUP]);
  });
});
