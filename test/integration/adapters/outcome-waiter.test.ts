/**
 * Outcomes from the matcher to the API instance that appended the command (docs/pipeline.md,
 * "Outcomes"), over sharded pub/sub (SPUBLISH/SSUBSCRIBE) on both topologies: the shared Redis, and
 * a private 3-master Redis Cluster whose waiters subscribe through `shardedSubscribers: true`.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import type { CommandOutcome, OrderRecord } from '../../../src/api/ports.ts';
import { ChannelSubscriptionError } from '../../../src/adapters/api/channel-subscription.ts';
import {
  decodeOutcomeMessage,
  encodeOutcomeMessage,
  OutcomePublisher,
  RedisOutcomeWaiter,
} from '../../../src/adapters/api/outcome-waiter.ts';
import { newInstanceId } from '../../../src/adapters/api/snowflake-ids.ts';
import type { Config } from '../../../src/config/config.ts';
import { createBatch } from '../../../src/redis/batch.ts';
import { createRedisClient, type RedisClient } from '../../../src/redis/connection.ts';
import { openTestRedis, openTestRedisCluster, type TestRedis } from '../../support/redis.ts';

function order(orderId: string): OrderRecord {
  return {
    orderId,
    clientOrderId: null,
    userId: 42,
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    price: 3_000_000,
    quantity: 150,
    quoteQuantity: null,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
    status: 'new',
    filledQuantity: 0,
    filledQuote: 0,
    rejectReason: null,
    fills: [],
    createdAt: 1_780_000_000_000,
    updatedAt: 1_780_000_000_000,
  };
}

const filled = (orderId: string): CommandOutcome => ({ kind: 'order', order: order(orderId) });

const EXIT_FIXTURE = new URL('./outcome-waiter-exit.fixture.ts', import.meta.url).pathname;

/** The Redis under test, and a new connection a waiter can own (on a Cluster: sharded subscribers). */
interface Topology {
  readonly t: TestRedis<RedisClient>;
  /** The cluster's config (REDIS_CLUSTER_NODES set); undefined on one Redis. */
  readonly clusterConfig?: Config;
  newSubscriber(): RedisClient;
}

/** host:port of the master that serves `key`'s slot (one Redis: its own address). */
async function masterOf(client: RedisClient, key: string): Promise<string> {
  if (!(client instanceof Cluster)) return `${client.options.host}:${client.options.port}`;
  const slot = Number(await client.cluster('KEYSLOT', key));
  const master = client.slots[slot]?.[0];
  if (master === undefined) throw new Error(`no master serves slot ${slot}`);
  return master;
}

/** Sharded subscribers of `channel`, as the master of its slot counts them. */
async function shardSubscribers(client: RedisClient, channel: string): Promise<number> {
  let node = client;
  if (client instanceof Cluster) {
    const master = await masterOf(client, channel);
    node = client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master)!;
  }
  const [, count] = (await node.pubsub('SHARDNUMSUB', channel)) as [string, number];
  return count;
}

for (const topology of ['single', 'cluster'] as const) {
  describe(`adapters/api/outcome-waiter on ${topology === 'cluster' ? 'a 3-master Redis Cluster' : 'one Redis'}`, function () {
    this.timeout(30_000);
    let r: Topology;
    let t: TestRedis<RedisClient>;
    let instanceId: string;
    let waiter: RedisOutcomeWaiter;
    let publisher: OutcomePublisher;
    before(async () => {
      if (topology === 'cluster') {
        const c = await openTestRedisCluster();
        r = {
          t: c,
          clusterConfig: c.config,
          newSubscriber: () =>
            createRedisClient(c.config, { connectionName: 'outcomes-test', shardedSubscribers: true }),
        };
      } else {
        const single = await openTestRedis();
        r = { t: single, newSubscriber: () => single.redis.duplicate() };
      }
      t = r.t;
      instanceId = newInstanceId(1);
      waiter = await RedisOutcomeWaiter.start({ subscriber: r.newSubscriber(), keys: t.keys, instanceId });
      publisher = new OutcomePublisher(t.redis, t.keys);
    });
    after(async () => {
      await waiter?.close();
      await t?.close();
    });
    afterEach(() => {
      expect(waiter.pending, 'watches left pending').to.equal(0);
    });

    it('resolves with the outcome the matcher publishes for the order', async () => {
      const watch = waiter.watch('1001', 5_000);
      expect(waiter.pending).to.equal(1);
      expect(await publisher.publish(instanceId, '1001', filled('1001'))).to.equal(1);
      expect(await watch.outcome).to.deep.equal(filled('1001'));
    });

    it('passes a rejection on as it is', async () => {
      const watch = waiter.watch('1002', 5_000);
      await publisher.publish(instanceId, '1002', { kind: 'rejected', reason: 'ORDER_NOT_FOUND' });
      expect(await watch.outcome).to.deep.equal({ kind: 'rejected', reason: 'ORDER_NOT_FOUND' });
    });

    it('receives outcomes published in a batch, each by its order', async () => {
      const a = waiter.watch('2001', 5_000);
      const b = waiter.watch('2002', 5_000);
      const batch = createBatch(t.redis);
      publisher.pipelined(batch).publish(instanceId, '2002', filled('2002'));
      publisher.pipelined(batch).publish(instanceId, '2001', { kind: 'rejected', reason: 'X' });
      const replies = await batch.exec();
      expect(replies).to.deep.equal([
        [null, 1],
        [null, 1],
      ]);
      expect(await a.outcome).to.deep.equal({ kind: 'rejected', reason: 'X' });
      expect(await b.outcome).to.deep.equal(filled('2002'));
    });

    it('resolves to null at the timeout', async () => {
      const started = Date.now();
      const slow = waiter.watch('3001', 60);
      const answered = waiter.watch('3002', 60_000);
      await publisher.publish(instanceId, '3002', filled('3002'));
      expect(await answered.outcome).to.deep.equal(filled('3002'));
      expect(await slow.outcome).to.equal(null);
      expect(Date.now() - started).to.be.at.least(55);
    });

    it("ignores other orders' outcomes, other instances' channels, classic PUBLISH and malformed messages", async () => {
      const watch = waiter.watch('4001', 300);
      await publisher.publish(instanceId, '4002', filled('4002'));
      expect(await publisher.publish(newInstanceId(2), '4001', filled('4001'))).to.equal(0);
      const channel = t.keys.outcomes(instanceId);
      // A matcher from before sharded outcomes: its PUBLISH reaches no sharded subscriber.
      await t.redis.publish(channel, encodeOutcomeMessage('4001', filled('4001')));
      for (const junk of [
        'not json',
        '[]',
        '{"orderId":"4001"}',
        '{"orderId":"4001","outcome":{"kind":"?"}}',
      ]) {
        expect(await t.redis.spublish(channel, junk)).to.equal(1);
      }
      expect(await watch.outcome).to.equal(null);
    });

    it('gives every watch of the same order the outcome', async () => {
      const first = waiter.watch('5001', 5_000);
      const second = waiter.watch('5001', 5_000);
      await publisher.publish(instanceId, '5001', filled('5001'));
      expect(await Promise.all([first.outcome, second.outcome])).to.deep.equal([
        filled('5001'),
        filled('5001'),
      ]);
    });

    it('stop() resolves the watch to null at once and leaves nothing pending', async () => {
      const watch = waiter.watch('6001', 60_000);
      const other = waiter.watch('6001', 60_000);
      watch.stop();
      watch.stop();
      expect(await watch.outcome).to.equal(null);
      expect(waiter.pending).to.equal(1);
      await publisher.publish(instanceId, '6001', filled('6001'));
      expect(await other.outcome).to.deep.equal(filled('6001'));
    });

    it('close() settles every watch with null, unsubscribes, and quits its connection', async () => {
      const subscriber = r.newSubscriber();
      const own = await RedisOutcomeWaiter.start({ subscriber, keys: t.keys, instanceId: newInstanceId(3) });
      expect(await shardSubscribers(t.redis, own.channel)).to.equal(1);
      const watches = [own.watch('7001', 60_000), own.watch('7002', 60_000)];
      await own.close();
      expect(await Promise.all(watches.map((w) => w.outcome))).to.deep.equal([null, null]);
      expect(own.pending).to.equal(0);
      expect(subscriber.status).to.equal('end');
      expect(await shardSubscribers(t.redis, own.channel)).to.equal(0);
      expect(await own.watch('7003', 60_000).outcome).to.equal(null);
      await own.close();
    });

    if (topology === 'cluster') {
      it('delivers to instances whose channels live on each of the 3 masters', async () => {
        // Instance ids are random: draw until every master serves one's channel.
        const byMaster = new Map<string, string>();
        for (let n = 10; byMaster.size < 3 && n < 1_000; n++) {
          const id = newInstanceId(n);
          const master = await masterOf(t.redis, t.keys.outcomes(id));
          if (!byMaster.has(master)) byMaster.set(master, id);
        }
        expect(byMaster.size).to.equal(3);
        const waiters = await Promise.all(
          [...byMaster.values()].map((id) =>
            RedisOutcomeWaiter.start({ subscriber: r.newSubscriber(), keys: t.keys, instanceId: id }),
          ),
        );
        try {
          const ids = [...byMaster.values()];
          const watches = ids.map((_, i) => waiters[i]!.watch(`900${i}`, 5_000));
          const batch = createBatch(t.redis);
          ids.forEach((id, i) => publisher.pipelined(batch).publish(id, `900${i}`, filled(`900${i}`)));
          expect(await batch.exec()).to.deep.equal(ids.map(() => [null, 1]));
          expect(await Promise.all(watches.map((w) => w.outcome))).to.deep.equal(
            ids.map((_, i) => filled(`900${i}`)),
          );
        } finally {
          await Promise.all(waiters.map((w) => w.close()));
        }
      });

      it('refuses, at once and naming the option, a Cluster subscriber without sharded subscribers', async () => {
        const subscriber = createRedisClient(r.clusterConfig!, {
          connectionName: 'outcomes-test-unsharded',
        });
        const error = await RedisOutcomeWaiter.start({
          subscriber,
          keys: t.keys,
          instanceId: newInstanceId(4),
        }).then(
          () => expect.fail('started'),
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(ChannelSubscriptionError);
        expect((error as ChannelSubscriptionError).code).to.equal('SHARDED_SUBSCRIBERS_REQUIRED');
        expect((error as Error).message).to.contain('shardedSubscribers: true');
        // Closed before it had any node: no socket, and none opened later.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((subscriber as Cluster).nodes()).to.have.length(0);
        expect(subscriber.status).to.be.oneOf(['disconnecting', 'end']);
      });
    }
  });
}

describe('adapters/api/outcome-waiter', () => {
  it('leaves no timer or connection behind: a process that closed it exits by itself', async () => {
    // The child sets ten-minute timeouts; it can only end within the limit if every one was cleared.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', EXIT_FIXTURE], {
      timeout: 8_000,
      env: process.env,
    });
    const rejected = { kind: 'rejected', reason: 'X' };
    expect(JSON.parse(stdout)).to.deep.equal({ settled: [rejected, null, null, null], pending: 0 });
  });

  it('encodes the message as docs/pipeline.md fixes it', () => {
    const message = encodeOutcomeMessage('8001', { kind: 'rejected', reason: 'POST_ONLY_WOULD_TAKE' });
    expect(JSON.parse(message)).to.deep.equal({
      orderId: '8001',
      outcome: { kind: 'rejected', reason: 'POST_ONLY_WOULD_TAKE' },
    });
    expect(decodeOutcomeMessage(message)).to.deep.equal(JSON.parse(message));
  });
});
