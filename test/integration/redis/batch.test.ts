/**
 * `createBatch` (docs/redis-cluster.md, step 2) on both topologies: a private 3-master Redis Cluster
 * (auto-pipelined client) and the shared Redis (a pipeline). The results come in call order, a
 * failing command is a result, nothing is sent before exec(), and the balance scripts run through
 * it for users on every master.
 */
import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { loadConfig } from '../../../src/config/config.ts';
import { createBatch } from '../../../src/redis/batch.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import { createRedisClient, type RedisClient } from '../../../src/redis/connection.ts';
import { createKeys, type Keys } from '../../../src/redis/keys.ts';
import { scanKeys } from '../../../src/redis/scan-keys.ts';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '../../support/private-redis-cluster.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

interface Topology {
  readonly client: RedisClient;
  readonly keys: Keys;
  close(): Promise<void>;
}

const USERS = Array.from({ length: 24 }, (_, i) => i + 1);

const TOPOLOGIES = {
  cluster: 'a 3-master Redis Cluster',
  single: 'one Redis (a pipeline)',
  'single-auto': 'one Redis with auto-pipelining (recorded, issued in one loop)',
} as const;

for (const topology of ['cluster', 'single', 'single-auto'] as const) {
  describe(`redis/batch on ${TOPOLOGIES[topology]}`, function () {
    this.timeout(30_000);
    let t: Topology;
    let cluster: PrivateRedisCluster | undefined;
    let single: TestRedis | undefined;

    before(async () => {
      if (topology === 'cluster') {
        cluster = await startPrivateRedisCluster();
        const config = loadConfig({
          NODE_ENV: 'test',
          REDIS_URL: cluster.url,
          KEY_PREFIX: 'batch',
          REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
        });
        const client = createRedisClient(config, { enableAutoPipelining: true });
        t = { client, keys: createKeys('batch'), close: async () => client.disconnect() };
      } else {
        single = await openTestRedis({ enableAutoPipelining: topology === 'single-auto' });
        t = { client: single.redis, keys: single.keys, close: async () => undefined };
      }
    });
    after(async () => {
      await t?.close();
      await cluster?.destroy();
      await single?.close();
    });

    it('gives the results in call order, a failing command as its result, and sends nothing before exec()', async () => {
      // Keys of 24 users' slots (spread over every master), and a string INCR refuses.
      const key = (user: number) => `${t.keys.prefix}:batch-test:{u:${user}}`;
      const notANumber = `${t.keys.prefix}:batch-test-string:{u:3}`;
      await t.client.set(notANumber, 'not a number');
      const batch = createBatch(t.client);
      for (const user of USERS) batch.hset(key(user), 'x', String(user));
      batch.incr(notANumber); // ERR value is not an integer
      for (const user of USERS) batch.hget(key(user), 'x');
      expect(batch.length).to.equal(2 * USERS.length + 1);
      expect(await t.client.hget(key(7), 'x'), 'nothing sent yet').to.equal(null);

      const results = (await batch.exec())!;
      expect(results).to.have.length(2 * USERS.length + 1);
      const failed = results[USERS.length]!;
      expect(failed[0]).to.be.instanceOf(Error);
      expect(String(failed[0])).to.match(/not an integer/);
      expect(results.slice(USERS.length + 1).map(([error, reply]) => [error, reply])).to.deep.equal(
        USERS.map((user) => [null, String(user)]),
      );
      if (t.client instanceof Cluster) {
        // The keys really are spread: every master holds some.
        const sizes = await Promise.all(t.client.nodes('master').map((node) => node.dbsize()));
        expect(
          sizes.every((n) => n > 0),
          `keys per master ${sizes.join('/')}`,
        ).to.equal(true);
      }
    });

    it('keeps batches executed in the same tick apart: each gets its own results, in its own order', async () => {
      // The matcher's symbols exec their batches concurrently; on an auto-pipelined client they share
      // one write, and each batch must still read only its own replies.
      const key = (user: number) => `${t.keys.prefix}:batch-tick:{u:${user}}`;
      const batches = USERS.map((user) => {
        const batch = createBatch(t.client);
        batch.incrby(key(user), user);
        batch.incrby(key(user), 1000);
        batch.get(key(user));
        return batch;
      });
      const results = await Promise.all(batches.map((batch) => batch.exec()));
      expect(results.map((r) => r!.map(([error, reply]) => [error, reply]))).to.deep.equal(
        USERS.map((user) => [
          [null, user],
          [null, user + 1000],
          [null, String(user + 1000)],
        ]),
      );
    });

    it('runs the balance scripts for users on every master, each result read from its own reply', async () => {
      const store = new BalanceStore(t.client, t.keys);
      const batch = store.pipelined(createBatch(t.client));
      const deposits = USERS.map((user) => batch.deposit(user, 'USDT', BigInt(user) * 100n, `d-${user}`));
      const holds = USERS.map((user) => batch.hold(user, `o-${user}`, 'USDT', 50n));
      const replies = await batch.pipeline.exec();
      expect(deposits.map((d) => d.read(replies).status)).to.deep.equal(USERS.map(() => 'OK'));
      expect(holds.map((h) => h.read(replies).status)).to.deep.equal(USERS.map(() => 'OK'));
      const accounts = await store.readAccounts(USERS);
      expect(accounts.map((a) => [a.userId, a.available, a.locked])).to.deep.equal(
        USERS.map((user) => [user, BigInt(user) * 100n - 50n, 50n]),
      );
      expect(await scanKeys(t.client, t.keys.pattern)).to.include.members(
        USERS.map((u) => t.keys.balances(u)),
      );
    });
  });
}
