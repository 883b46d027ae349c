/**
 * The market directory on a private 3-master Redis Cluster (docs/redis-cluster.md, step 7): the
 * registry's hash and version share the `{markets}` slot (MULTI and markets-seed-2.lua run there),
 * and market changes stay classic pub/sub, which the cluster bus broadcasts: a directory whose
 * subscriber sits on another master than `{markets}` hears a change at once.
 */
import { expect } from 'chai';
import type { Cluster } from 'ioredis';
import { RedisMarketDirectory } from '../../../src/adapters/api/market-directory.ts';
import { compileMarket, type MarketDefinition } from '../../../src/markets/market-rules.ts';
import { createRedisClient } from '../../../src/redis/connection.ts';
import { openTestRedisCluster, type TestRedisCluster } from '../../support/redis.ts';

const BTC: MarketDefinition = {
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  basePrecision: 8,
  quotePrecision: 8,
  tickSize: '0.01',
  lotSize: '0.00001',
  minNotional: '5',
  makerFee: '0.001',
  takerFee: '0.002',
  status: 'trading',
};
const ETH: MarketDefinition = { ...BTC, symbol: 'ETH-USDT', base: 'ETH', lotSize: '0.0001' };

/** Polls `check` every 5 ms until it holds; returns how long that took. */
async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - started;
}

const address = (node: { options: { host?: string; port?: number } }) =>
  `${node.options.host}:${node.options.port}`;

describe('adapters/api/market-directory on a 3-master Redis Cluster', function () {
  this.timeout(30_000);
  let t: TestRedisCluster;
  const open: RedisMarketDirectory[] = [];
  const errors: Error[] = [];
  /** host:port of the master that serves the `{markets}` slot. */
  let marketsMaster: string;

  async function openDirectory(): Promise<{ directory: RedisMarketDirectory; subscriber: Cluster }> {
    const subscriber = createRedisClient(t.config, { connectionName: 'markets-test' }) as Cluster;
    const directory = await RedisMarketDirectory.open({
      redis: t.redis,
      subscriber,
      keys: t.keys,
      // The periodic check is a minute away: only the change message brings a change fast.
      checkIntervalMs: 60_000,
      onError: (error) => errors.push(error),
    });
    open.push(directory);
    return { directory, subscriber };
  }

  /** Subscribers of the change channel per master: classic pub/sub counts them where they are. */
  async function subscribersByMaster(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const node of t.redis.nodes('master')) {
      const [, count] = (await node.pubsub('NUMSUB', t.keys.marketsChanged)) as [string, number];
      counts.set(address(node), count);
    }
    return counts;
  }

  before(async () => {
    t = await openTestRedisCluster();
    const slot = Number(await t.redis.cluster('KEYSLOT', t.keys.markets));
    marketsMaster = t.redis.slots[slot]![0]!;
    expect(Number(await t.redis.cluster('KEYSLOT', t.keys.marketsVersion))).to.equal(slot);
  });
  after(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
    await t?.close();
  });

  it('seeds and upserts on the {markets} slot, and a subscriber on another master hears the change at once', async () => {
    const writer = (await openDirectory()).directory;
    expect(await writer.seedIfEmpty([compileMarket(BTC)])).to.equal(1);
    expect(await writer.upsert(compileMarket(ETH))).to.deep.equal({ created: true });
    expect(writer.version).to.equal('2');

    // ioredis subscribes on a random node: open readers until one listens away from {markets}.
    let remote: RedisMarketDirectory | undefined;
    for (let attempt = 0; remote === undefined && attempt < 20; attempt++) {
      const before = await subscribersByMaster();
      const { directory } = await openDirectory();
      const after = await subscribersByMaster();
      const where = [...after].find(([node, count]) => count > (before.get(node) ?? 0))?.[0];
      expect(where, 'the new subscriber is on a master').to.not.equal(undefined);
      if (where !== marketsMaster) remote = directory;
    }
    expect(remote, 'a subscriber on another master than {markets}').to.not.equal(undefined);
    expect(await remote!.get('ETH-USDT')).to.not.equal(undefined);

    await writer.upsert(compileMarket({ ...ETH, status: 'halted' }));
    const took = await eventually(
      async () => (await remote!.get('ETH-USDT'))?.definition.status === 'halted',
      2_000,
    );
    expect(took).to.be.below(2_000);
    expect(remote!.version).to.equal('3');
    expect(errors).to.deep.equal([]);
  });

  it('closes its Cluster subscriber: unsubscribed everywhere, connection ended', async () => {
    const total = async () => [...(await subscribersByMaster()).values()].reduce((a, b) => a + b, 0);
    const before = await total();
    const { directory, subscriber } = await openDirectory();
    expect(await total()).to.equal(before + 1);
    await directory.close();
    expect(subscriber.status).to.equal('end');
    expect(await total()).to.equal(before);
    expect((await directory.list()).map((m) => m.definition.symbol)).to.deep.equal(['BTC-USDT', 'ETH-USDT']);
  });
});
