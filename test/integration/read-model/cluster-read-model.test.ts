/**
 * The matcher's read-model batch on a Redis Cluster (docs/redis-cluster.md, step 6): on an
 * auto-pipelined Cluster client one batch writes order records, user sets, fills, depth and trades
 * spread over the masters, and each outcome is published only once the records are written, so an
 * API that reads the order when its outcome arrives finds it, even while the master holding the
 * record is slow (here: paused). On one Redis the outcomes stay in the record pipeline (no extra
 * round trip). Also `getMany`, the multi-key read both topologies share.
 */
import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { decodeOutcomeMessage, OutcomePublisher } from '../../../src/adapters/api/outcome-waiter.ts';
import type { CommandOutcome, OrderRecord } from '../../../src/api/ports.ts';
import { ReadModelObserver } from '../../../src/matcher/read-model-observer.ts';
import type { BatchObserver } from '../../../src/matcher/symbol-processor.ts';
import { RedisMarketData } from '../../../src/read-model/market-data-reader.ts';
import { RedisOrderQueries } from '../../../src/read-model/order-queries.ts';
import { ReadModelWriter } from '../../../src/read-model/read-model-writer.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import { createRedisClient, type RedisClient } from '../../../src/redis/connection.ts';
import { getMany } from '../../../src/redis/get-many.ts';
import type { Keys } from '../../../src/redis/keys.ts';
import { openTestRedis, openTestRedisCluster, type TestRedisCluster } from '../../support/redis.ts';
import {
  ASKER,
  batchEntries,
  BIDDER,
  BROKE,
  BUYERS,
  fund,
  newProcessor,
  orderIdOf,
  SELLERS,
  SYMBOL,
  TAKER,
  USERS,
  warningLog,
} from '../redis/matcher-batch-fixture.ts';

/** How long the master holding the timed order's record is paused (well below the node timeout). */
const PAUSE_MS = 300;

/** Counts the awaited publishes: on one Redis every outcome must ride in the record pipeline. */
class CountingPublisher extends OutcomePublisher {
  awaited = 0;
  override publish(replyTo: string, orderId: string, outcome: CommandOutcome): Promise<number> {
    this.awaited++;
    return super.publish(replyTo, orderId, outcome);
  }
}

interface Arrival {
  readonly at: number;
  readonly orderId: string;
  readonly outcome: CommandOutcome;
  /** The order as an API reads it the moment the outcome arrives. */
  readonly record: Promise<OrderRecord | undefined>;
}

for (const topology of ['cluster', 'single'] as const) {
  describe(`matcher read model on ${topology === 'cluster' ? 'a 3-master Redis Cluster' : 'one Redis'}`, function () {
    this.timeout(60_000);
    let redis: RedisClient;
    let keys: Keys;
    let cluster: TestRedisCluster | undefined;
    let close: () => Promise<void>;
    /** A second client, as the API has its own. */
    let api: RedisClient;
    const closers: Array<() => unknown> = [];

    before(async () => {
      if (topology === 'cluster') {
        cluster = await openTestRedisCluster({ enableAutoPipelining: true });
        ({ redis, keys } = cluster);
        close = () => cluster!.close();
        api = createRedisClient(cluster.config, { enableAutoPipelining: true });
      } else {
        // As the matcher's client: auto-pipelined on one Redis too.
        const t = await openTestRedis({ enableAutoPipelining: true });
        ({ redis, keys } = t);
        close = () => t.close();
        api = t.redis.duplicate();
      }
      closers.push(() => api.disconnect());
    });
    after(async () => {
      for (const closer of closers.reverse()) await closer();
      await close?.();
    });

    it('writes a batch across masters, and each outcome arrives once its order is readable', async () => {
      const balances = new BalanceStore(redis, keys);
      await fund(balances);
      const timed = keys.order(orderIdOf(TAKER));
      // On the Cluster: the master of the timed record is paused while the record batch runs, and
      // the outcomes' channel (and subscribers) live on another master.
      const paused = cluster === undefined ? undefined : await masterIndexOf(cluster, timed);
      let replyTo = 'api-1';
      for (
        let n = 2;
        cluster !== undefined && (await masterIndexOf(cluster, keys.outcomes(replyTo))) === paused;
        n++
      )
        replyTo = `api-${n}`;

      const queries = new RedisOrderQueries(api, keys);
      const arrivals: Arrival[] = [];
      await listenToOutcomes(keys.outcomes(replyTo), (message) => {
        const decoded = decodeOutcomeMessage(message);
        if (decoded === undefined) return;
        const { orderId, outcome } = decoded;
        arrivals.push({ at: performance.now(), orderId, outcome, record: queries.getOrder(orderId) });
      });

      const publisher = new CountingPublisher(redis, keys);
      const log = warningLog();
      const observer = new ReadModelObserver(
        redis,
        keys,
        new ReadModelWriter(keys, { depthIntervalMs: 0 }),
        publisher,
        undefined,
        log,
      );
      let resumedAt = Number.NEGATIVE_INFINITY;
      const pausing: BatchObserver = {
        async record(batch, records) {
          const afterCommit = await observer.record(batch, records);
          if (paused !== undefined) {
            // Everything is queued, nothing sent: the record batch's exec() meets a hung master.
            cluster!.cluster.servers[paused]!.pause();
            setTimeout(() => {
              resumedAt = performance.now();
              cluster!.cluster.servers[paused]!.resume();
            }, PAUSE_MS);
          }
          return afterCommit;
        },
      };
      const processor = newProcessor(redis, keys, balances, pausing, log);
      await processor.process(batchEntries(replyTo));
      await until(() => arrivals.length === USERS.length, 5_000);

      // One outcome per place, none before the record it refers to was written everywhere.
      expect(arrivals.map((a) => a.orderId).sort()).to.deep.equal(USERS.map(orderIdOf).sort());
      if (paused !== undefined) {
        expect(resumedAt, 'the paused master was resumed').to.be.above(0);
        expect(
          arrivals.filter((a) => a.at < resumedAt).map((a) => a.orderId),
          'outcomes before the resume',
        ).to.deep.equal([]);
      }
      for (const arrival of arrivals) {
        const record = await arrival.record;
        expect(record, `record of ${arrival.orderId} when its outcome arrived`).to.not.equal(undefined);
        expect(arrival.outcome.kind).to.equal('order');
        const outcome = arrival.outcome as Extract<CommandOutcome, { kind: 'order' }>;
        expect(record!.orderId).to.equal(outcome.order.orderId);
        expect(record!.updatedAt).to.be.at.least(outcome.order.updatedAt);
      }
      // One Redis: the outcomes rode in the record pipeline; a Cluster: published after it.
      expect(publisher.awaited).to.equal(cluster === undefined ? 0 : USERS.length);
      expect(log.warnings).to.deep.equal([]);

      await expectReadModel(api, keys);
      if (redis instanceof Cluster) {
        // The read model really is spread: records and user sets on every master.
        for (const pattern of ['order:*', 'user-orders:*']) {
          const perMaster = await Promise.all(
            redis.nodes('master').map((node) => node.keys(`${keys.prefix}:${pattern}`)),
          );
          expect(
            perMaster.map((found) => found.length > 0),
            `${pattern} per master`,
          ).to.deep.equal([true, true, true]);
        }
      }
    });

    it('getMany reads values aligned with their keys, missing ones as null, past one MGET’s 1 000 keys', async () => {
      const keyOf = (i: number) => keys.order(`gm${i}`);
      const count = 1_500;
      await Promise.all(Array.from({ length: count / 2 }, (_, j) => redis.set(keyOf(2 * j), `v${2 * j}`)));
      const wanted = Array.from({ length: count }, (_, i) => keyOf(count - 1 - i));
      const values = await getMany(redis, wanted);
      expect(values).to.deep.equal(
        wanted.map((_, i) => ((count - 1 - i) % 2 === 0 ? `v${count - 1 - i}` : null)),
      );
      expect(await getMany(redis, [])).to.deep.equal([]);
    });

    /** Subscribes to `channel` both ways (SUBSCRIBE and SSUBSCRIBE), whichever the publisher uses. */
    async function listenToOutcomes(channel: string, onMessage: (message: string) => void): Promise<void> {
      const deliver = (received: string, message: string) => {
        if (received === channel) onMessage(message);
      };
      if (cluster === undefined) {
        const subscriber = (redis as Redis).duplicate();
        closers.push(() => subscriber.disconnect());
        subscriber.on('message', deliver);
        subscriber.on('smessage', deliver);
        await subscriber.subscribe(channel);
        await subscriber.ssubscribe(channel);
        return;
      }
      const sharded = new Cluster(cluster.cluster.nodes, { shardedSubscribers: true });
      closers.push(() => sharded.disconnect());
      sharded.on('smessage', deliver);
      await sharded.ssubscribe(channel);
      // A classic PUBLISH reaches every node: listen on the channel's master, which is never paused.
      const node = cluster.cluster.nodes[await masterIndexOf(cluster, channel)]!;
      const classic = new Redis(node);
      closers.push(() => classic.disconnect());
      classic.on('message', deliver);
      await classic.subscribe(channel);
    }
  });
}

/** What the API reads back after the batch: orders, user sets, fills, depth and public trades. */
async function expectReadModel(api: RedisClient, keys: Keys): Promise<void> {
  const queries = new RedisOrderQueries(api, keys);
  const orders = await queries.getOrders(USERS.map(orderIdOf));
  const statuses = Object.fromEntries(orders.map((order, i) => [USERS[i]!, order?.status]));
  expect(statuses).to.deep.equal({
    ...Object.fromEntries([...SELLERS, ...BUYERS, TAKER].map((u) => [u, 'filled'])),
    [BROKE]: 'rejected',
    [BIDDER]: 'new',
    [ASKER]: 'partially_filled',
  });
  expect(orders[USERS.indexOf(BROKE)]!.rejectReason).to.equal('INSUFFICIENT_FUNDS');

  const list = (userId: number, open: boolean) =>
    queries.listOrders({
      userId,
      symbol: SYMBOL,
      statuses: open ? ['new', 'partially_filled'] : undefined,
      limit: 10,
    });
  expect((await list(SELLERS[0]!, false)).map((o) => o.orderId)).to.deep.equal([orderIdOf(SELLERS[0]!)]);
  expect(await list(SELLERS[0]!, true)).to.deep.equal([]);
  expect((await list(ASKER, true)).map((o) => [o.orderId, o.filledQuantity])).to.deep.equal([
    [orderIdOf(ASKER), 15],
  ]);

  const fills = async (userId: number) =>
    (await queries.listTrades({ userId, symbol: SYMBOL, limit: 10 })).map((f) => [
      f.orderId,
      f.price,
      f.quantity,
      f.liquidity,
      f.fee,
      f.feeAsset,
    ]);
  expect(await fills(BUYERS[0]!)).to.deep.equal([[orderIdOf(BUYERS[0]!), 3_000_000, 10, 'taker', 20, 'BTC']]);
  expect(await fills(SELLERS[0]!)).to.deep.equal([
    [orderIdOf(SELLERS[0]!), 3_000_000, 10, 'maker', 300_000, 'USDT'],
  ]);
  expect(await fills(ASKER)).to.deep.equal([[orderIdOf(ASKER), 3_100_000, 15, 'maker', 465_000, 'USDT']]);

  const marketData = new RedisMarketData(api, keys);
  expect(await marketData.depth(SYMBOL, 10)).to.deep.include({
    bids: [[2_900_000, 5]],
    asks: [[3_100_000, 5]],
  });
  const trades = await marketData.recentTrades(SYMBOL, 10);
  expect(trades.map((t) => [t.price, t.quantity, t.takerSide])).to.deep.equal([
    [3_100_000, 15, 'buy'],
    ...SELLERS.map(() => [3_000_000, 10, 'buy']),
  ]);
}

/** Which of the private cluster's nodes serves the key's slot. */
async function masterIndexOf(t: TestRedisCluster, key: string): Promise<number> {
  const slot = Number(await t.redis.cluster('KEYSLOT', key));
  const ranges = (await t.redis.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  const index = t.cluster.nodes.findIndex((node) => node.port === range?.[2][1]);
  if (index < 0) throw new Error(`no node serves slot ${slot}`);
  return index;
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
