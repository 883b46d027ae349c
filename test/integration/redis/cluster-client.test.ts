/**
 * The first step of Redis Cluster support (docs/redis-cluster.md, step 1): `createRedisClient`
 * opens a Cluster client from REDIS_CLUSTER_NODES (else one Redis), and `scanKeys` finds a
 * pattern's keys on every master, on a real private 3-master cluster and on the shared Redis.
 */
import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '../../../src/config/config.ts';
import { createRedisClient, type RedisClient } from '../../../src/redis/connection.ts';
import { scanKeys } from '../../../src/redis/scan-keys.ts';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '../../support/private-redis-cluster.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

describe('redis/connection and scan-keys on a Redis Cluster', function () {
  this.timeout(30_000);
  let cluster: PrivateRedisCluster;
  let client: RedisClient | undefined;

  before(async () => {
    cluster = await startPrivateRedisCluster();
  });
  after(async () => {
    client?.disconnect();
    await cluster?.destroy();
  });

  it('opens a Cluster client from REDIS_CLUSTER_NODES, and keys of different hash tags land on every master', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      REDIS_URL: cluster.url,
      REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
    });
    client = createRedisClient(config, { connectionName: 'cluster-test' });
    expect(client).to.be.instanceOf(Cluster);
    const keys = Array.from({ length: 30 }, (_, i) => `ex:bal:{u:${i + 1}}`);
    for (const key of keys) await client.set(key, key);
    const masters = (client as Cluster).nodes('master');
    expect(masters).to.have.length(3);
    const perMaster = await Promise.all(masters.map((node) => node.dbsize()));
    expect(
      perMaster.every((n) => n > 0),
      `keys per master: ${perMaster.join('/')}`,
    ).to.equal(true);

    // SCAN on one node would see a third of them; scanKeys sees them all, once.
    expect(await scanKeys(client, 'ex:bal:*')).to.deep.equal([...keys].sort());
    expect(await scanKeys(client, 'ex:none:*')).to.deep.equal([]);
  });

  it('without REDIS_CLUSTER_NODES: one Redis, and scanKeys scans it', async () => {
    let t: TestRedis | undefined;
    try {
      t = await openTestRedis();
      const single = createRedisClient(loadConfig({ NODE_ENV: 'test', REDIS_URL: process.env.REDIS_URL }), {
        connectionName: 'single-test',
      });
      try {
        expect(single).to.be.instanceOf(Redis);
        await single.set(`${t.keys.prefix}:a`, '1');
        await single.set(`${t.keys.prefix}:b`, '2');
        expect(await scanKeys(single, `${t.keys.prefix}:*`)).to.deep.equal([
          `${t.keys.prefix}:a`,
          `${t.keys.prefix}:b`,
        ]);
      } finally {
        single.disconnect();
      }
    } finally {
      await t?.close();
    }
  });
});
