/**
 * The matcher's balance batches on a Redis Cluster (docs/redis-cluster.md, step 3): a SymbolProcessor
 * holds, matches and settles one batch of places by users whose keys sit on all 3 masters (a plain
 * pipeline would be refused client-side), the balances and holds come out exact, and a new owner
 * replaying the same batch changes nothing. The same test runs on one Redis, where the batches are
 * plain pipelines. Also `readAccounts` and the audit's stream replay, which read across users.
 */
import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { replayStreamTrades } from '../../../src/audit/stream-replay.ts';
import type { BatchObserver } from '../../../src/matcher/symbol-processor.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import type { RedisClient } from '../../../src/redis/connection.ts';
import type { Keys } from '../../../src/redis/keys.ts';
import { openTestRedis, openTestRedisCluster, snapshotHashes } from '../../support/redis.ts';
import {
  batchEntries,
  DEPOSITS,
  expectedBalance,
  expectedHold,
  fund,
  MARKET,
  newProcessor,
  orderIdOf,
  USERS,
  warningLog,
} from './matcher-batch-fixture.ts';

/** The balance side alone: nothing downstream of the engine. */
const NO_READ_MODEL: BatchObserver = { record: async () => undefined };

for (const topology of ['cluster', 'single'] as const) {
  describe(`matcher balances on ${topology === 'cluster' ? 'a 3-master Redis Cluster' : 'one Redis'}`, function () {
    this.timeout(60_000);
    let redis: RedisClient;
    let keys: Keys;
    let close: () => Promise<void>;
    let balances: BalanceStore;

    before(async () => {
      // The matcher's own client runs auto-pipelined on a Cluster (one write per master per batch).
      const t =
        topology === 'cluster'
          ? await openTestRedisCluster({ enableAutoPipelining: true })
          : await openTestRedis();
      ({ redis, keys } = t);
      close = () => t.close();
      balances = new BalanceStore(redis, keys);
      await fund(balances);
    });
    after(async () => {
      await close?.();
    });

    it('matches one batch of users on every master with exact balances and holds; a replay changes nothing', async () => {
      if (redis instanceof Cluster) {
        // The users' keys really are spread: each master holds some balances hash.
        const perMaster = await Promise.all(
          redis.nodes('master').map((node) => node.keys(`${keys.prefix}:bal:*`)),
        );
        expect(
          perMaster.map((found) => found.length > 0),
          'balances per master',
        ).to.deep.equal([true, true, true]);
      }
      const log = warningLog();
      const entries = batchEntries(null);
      const owner = newProcessor(redis, keys, balances, NO_READ_MODEL, log);
      await owner.process(entries);
      expect(owner.lastEntryId).to.equal(entries[entries.length - 1]![0]);

      for (const userId of USERS) {
        for (const asset of ['BTC', 'USDT']) {
          const [available, locked, fees] = await redis.hmget(
            keys.balances(userId),
            `a:${asset}`,
            `l:${asset}`,
            `f:${asset}`,
          );
          expect(
            [BigInt(available ?? 0), BigInt(locked ?? 0), BigInt(fees ?? 0)],
            `user ${userId} ${asset}: available, locked, fees`,
          ).to.deep.equal(expectedBalance(userId, asset));
        }
        expect(await balances.getHold(userId, orderIdOf(userId)), `hold of user ${userId}`).to.deep.equal(
          expectedHold(userId),
        );
      }
      // Conservation: every unit deposited is available, locked or a fee, per asset.
      for (const asset of ['BTC', 'USDT']) {
        const deposited = DEPOSITS.filter((d) => d.asset === asset).reduce((sum, d) => sum + d.amount, 0n);
        const held = USERS.map((u) => expectedBalance(u, asset)).reduce(
          (sum, [a, l, f]) => sum + a + l + f,
          0n,
        );
        expect(held, `${asset} conservation`).to.equal(deposited);
      }
      expect(owner.book.depth(10)).to.deep.include({ bids: [[2_900_000, 5]], asks: [[3_100_000, 5]] });
      expect(log.warnings).to.deep.equal([]);

      // A new owner replays the batch from the checkpoint: holds answer their recorded outcome,
      // settlements and releases skip positions already applied.
      const before = await snapshotHashes(redis, keys.pattern);
      const successor = newProcessor(redis, keys, balances, NO_READ_MODEL, log);
      await successor.process(entries, { replaying: true });
      expect(await snapshotHashes(redis, keys.pattern)).to.deep.equal(before);
      expect(successor.book.depth(10)).to.deep.equal(owner.book.depth(10));
      expect(log.warnings).to.deep.equal([]);
    });

    it('reads every user’s accounts in one batch (readAccounts)', async () => {
      const accounts = await balances.readAccounts([...USERS].reverse());
      const rows = accounts.map((a) => [a.userId, a.asset, a.available, a.locked, a.feesPaid]);
      const expected = USERS.flatMap((userId) =>
        ['BTC', 'USDT']
          .map((asset) => [userId, asset, ...expectedBalance(userId, asset)])
          .filter(([, , available, locked, fees]) => available !== 0n || locked !== 0n || fees !== 0n),
      );
      // The broke user has no hash at all; every other (user, asset) is present, users ascending.
      expect(rows).to.deep.equal(expected);
      expect(accounts.every((a) => a.version > 0n)).to.equal(true);
    });

    it('replays the stream with the recorded funds decisions (audit fundsDecisions)', async () => {
      const stream = keys.orderStream(MARKET.definition.symbol);
      for (const [id, fields] of batchEntries(null)) await redis.xadd(stream, id, ...fields);
      const trades = await replayStreamTrades(redis, keys, MARKET);
      // 6 sellers × 1 trade + the taker's; the broke user's buy was kept out by its refused hold,
      // otherwise its resting bid would have taken ASKER's ask first.
      expect(trades.map((trade) => [trade.maker_order_id, trade.taker_order_id])).to.deep.equal([
        ...[1, 2, 3, 4, 5, 6].map((seller) => [orderIdOf(seller), orderIdOf(seller + 6)]),
        [orderIdOf(15), orderIdOf(16)],
      ]);
    });
  });
}
