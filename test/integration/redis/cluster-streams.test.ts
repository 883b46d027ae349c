/**
 * Steps 4 and 5 of docs/redis-cluster.md: the matcher's stream reads, read marks, leases and lag on
 * a private 3-master Redis Cluster (an auto-pipelined client, as the matcher opens it), with the
 * streams and leases picked on three different masters, and the same checks on the shared Redis.
 */
import { expect } from 'chai';
import { Cluster } from 'ioredis';
import {
  ensureGroup,
  GROUP,
  lastDeliveredId,
  markDelivered,
  readAfter,
  ReadMarkError,
  type RawEntry,
} from '../../../src/matcher/command-stream.ts';
import { ShardOwnership } from '../../../src/matcher/shard-ownership.ts';
import { LAG_FORWARD_CAP, measureStreamLag } from '../../../src/matcher/stream-lag.ts';
import type { RedisClient } from '../../../src/redis/connection.ts';
import type { Keys } from '../../../src/redis/keys.ts';
import { STREAM_SCRIPTS } from '../../../src/redis/stream-scripts.ts';
import { openTestRedis, openTestRedisCluster, type TestRedis } from '../../support/redis.ts';

/** The master (host:port) that serves `key`'s slot; the one Redis for a single Redis. */
async function masterOf(client: RedisClient, key: string): Promise<string> {
  if (!(client instanceof Cluster)) return 'single';
  const slot = Number(await client.cluster('KEYSLOT', key));
  const master = client.slots[slot]?.[0];
  if (master === undefined) throw new Error(`no master known for slot ${slot}`);
  return master;
}

/**
 * Where to send a keyless command about `key` (XINFO): its master on a Cluster, which would otherwise
 * pick a random node (and, auto-pipelined, return the MOVED rather than follow it).
 */
async function nodeOf(client: RedisClient, key: string): Promise<RedisClient> {
  if (!(client instanceof Cluster)) return client;
  const master = await masterOf(client, key);
  const node = client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master);
  if (node === undefined) throw new Error(`no connection to ${master}`);
  return node;
}

/** The first `count` of `candidates` whose keys sit on pairwise different masters (any, on one Redis). */
async function onDifferentMasters<T>(
  client: RedisClient,
  candidates: Iterable<T>,
  keyOf: (candidate: T) => string,
  count: number,
): Promise<T[]> {
  const picked = new Map<string, T>();
  for (const candidate of candidates) {
    const master = client instanceof Cluster ? await masterOf(client, keyOf(candidate)) : String(picked.size);
    if (!picked.has(master)) picked.set(master, candidate);
    if (picked.size === count) return [...picked.values()];
  }
  throw new Error(`only ${picked.size} masters found`);
}

function* naturals(): Generator<number> {
  for (let n = 0; ; n++) yield n;
}

describe('redis/stream-scripts: the stream-group scripts', () => {
  for (const script of Object.values(STREAM_SCRIPTS)) {
    it(`${script.file}: one key, the stream, and a header listing it, every ARGV it uses and its output`, () => {
      expect(script.numberOfKeys).to.equal(1);
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(script.lua)?.[1] ?? '';
      expect(header).to.match(/^ {4}KEYS\[1\] stream /m);
      const body = script.lua.slice(script.lua.indexOf(']]'));
      const used = new Set([...body.matchAll(/ARGV\[(\d+)\]/g)].map((m) => Number(m[1])));
      const listed = [...header.matchAll(/^ {4}ARGV\[(\d+)\]/gm)].map((m) => Number(m[1]));
      expect(listed).to.deep.equal([...used].sort());
      expect(header).to.match(/Output:/);
    });
  }
});

for (const topology of ['cluster', 'single'] as const) {
  describe(`matcher streams, read marks, leases and lag on ${
    topology === 'cluster' ? 'a 3-master Redis Cluster' : 'one Redis'
  }`, function () {
    this.timeout(30_000);
    let t: TestRedis<RedisClient>;
    let client: RedisClient;
    let keys: Keys;
    /** Three symbols whose streams are on three masters. */
    let symbols: string[];
    let streams: string[];

    before(async () => {
      t =
        topology === 'cluster'
          ? await openTestRedisCluster({ enableAutoPipelining: true })
          : await openTestRedis();
      client = t.redis;
      keys = t.keys;
      symbols = await onDifferentMasters(
        client,
        Array.from({ length: 200 }, (_, n) => `S${n}-USDT`),
        (symbol) => keys.orderStream(symbol),
        3,
      );
      streams = symbols.map((symbol) => keys.orderStream(symbol));
    });
    after(async () => {
      await t?.close();
    });

    it('creates each group once, with its stream, on the stream’s own master', async () => {
      for (const stream of streams) await ensureGroup(client, stream);
      for (const stream of streams) await ensureGroup(client, stream); // BUSYGROUP: nothing to do
      expect(await Promise.all(streams.map((s) => lastDeliveredId(client, s)))).to.deep.equal([
        '0-0',
        '0-0',
        '0-0',
      ]);
      for (const stream of streams) {
        const groups = (await (await nodeOf(client, stream)).xinfo('GROUPS', stream)) as unknown[][];
        expect(
          groups.map((g) => g[1]),
          stream,
        ).to.deep.equal([GROUP]);
      }
      if (client instanceof Cluster) {
        const masters = await Promise.all(streams.map((s) => masterOf(client, s)));
        expect(new Set(masters).size, masters.join(' ')).to.equal(3);
        // Each master holds its stream (asked directly: another master would answer MOVED).
        for (const stream of streams)
          expect(await (await nodeOf(client, stream)).type(stream)).to.equal('stream');
      }
    });

    it('refuses to create a group on a key that is not a stream', async () => {
      const notAStream = `${streams[1]}:not-a-stream`;
      await client.set(notAStream, 'x');
      let failure: unknown;
      await ensureGroup(client, notAStream).catch((error: unknown) => (failure = error));
      expect(String(failure)).to.match(/WRONGTYPE/);
    });

    it('reads the entries of every stream in per-stream order, at most `count` each', async () => {
      const written: RawEntry[][] = [];
      for (const [i, stream] of streams.entries()) {
        const ids: RawEntry[] = [];
        for (let k = 0; k < 4; k++) {
          const fields = ['k', `${symbols[i]}-${k}`];
          ids.push([(await client.xadd(stream, '*', ...fields))!, fields]);
        }
        written.push(ids);
      }
      const positions = streams.map((stream) => [stream, '0-0'] as const);
      expect(await readAfter(client, positions, 10, 50)).to.deep.equal(
        streams.map((stream, i) => [stream, written[i]]),
      );
      expect(await readAfter(client, positions, 3, 50)).to.deep.equal(
        streams.map((stream, i) => [stream, written[i]!.slice(0, 3)]),
      );
      // Only the streams with entries after their position answer.
      const fromThird = streams.map((stream, i) => [stream, written[i]![i === 1 ? 2 : 3]![0]] as const);
      expect(await readAfter(client, fromThird, 10, 50)).to.deep.equal([[streams[1], [written[1]![3]]]]);
    });

    it('returns nothing after waiting when every stream is idle', async () => {
      const positions = await Promise.all(
        streams.map(
          async (stream) => [stream, (await client.xrevrange(stream, '+', '-', 'COUNT', 1))[0]![0]] as const,
        ),
      );
      // Polled on a Cluster (pollMs, never blocking), blocking on one Redis (blockMs).
      const pollMs = 40;
      const blockMs = topology === 'cluster' ? 5_000 : 120;
      const startedAt = performance.now();
      expect(await readAfter(client, positions, 10, blockMs, pollMs)).to.deep.equal([]);
      const waited = performance.now() - startedAt;
      if (topology === 'cluster') expect(waited).to.be.within(pollMs - 2, 2_000);
      else expect(waited).to.be.at.least(blockMs - 2);
    });

    it('moves each group’s read mark, in one batch over the masters', async () => {
      const last = await Promise.all(
        streams.map(async (s) => (await client.xrevrange(s, '+', '-', 'COUNT', 1))[0]![0]),
      );
      const first = await Promise.all(
        streams.map(async (s) => (await client.xrange(s, '-', '+', 'COUNT', 1))[0]![0]),
      );
      await markDelivered(client, [
        [streams[0]!, first[0]!],
        [streams[1]!, last[1]!],
        [streams[2]!, first[2]!],
      ]);
      expect(await Promise.all(streams.map((s) => lastDeliveredId(client, s)))).to.deep.equal([
        first[0],
        last[1],
        first[2],
      ]);
      // What the script reads is the group's own field.
      for (const [i, stream] of streams.entries()) {
        const [group] = (await (await nodeOf(client, stream)).xinfo('GROUPS', stream)) as unknown[][];
        const fields = new Map<unknown, unknown>();
        for (let k = 0; k + 1 < group!.length; k += 2) fields.set(group![k], group![k + 1]);
        expect(fields.get('last-delivered-id')).to.equal(i === 1 ? last[1] : first[i]);
      }
      await markDelivered(client, []); // nothing to move: no round trip, no error
    });

    it('fails when a mark cannot move, naming the stream, and still moves the others', async () => {
      // Keys of the streams' own slots (same hash tag), so the batch spans the same masters.
      const noGroup = `${streams[1]}:no-group`;
      await client.xadd(noGroup, '*', 'k', 'x');
      const gone = `${streams[1]}:gone`;
      await ensureGroup(client, gone);
      await client.del(gone);
      for (const broken of [noGroup, gone]) {
        const before = await Promise.all(streams.map((s) => lastDeliveredId(client, s)));
        const marks = [
          [streams[0]!, '1-1'] as const,
          [broken, '1-1'] as const,
          [streams[2]!, '1-2'] as const,
        ];
        let failure: unknown;
        await markDelivered(client, marks).catch((error: unknown) => (failure = error));
        expect(failure, broken).to.be.instanceOf(ReadMarkError);
        expect((failure as ReadMarkError).code).to.equal('READ_MARK_FAILED');
        expect((failure as ReadMarkError).stream).to.equal(broken);
        expect((failure as ReadMarkError).message).to.match(
          broken === noGroup ? /NOGROUP/ : /requires the key to exist|no such key/i,
        );
        expect(await Promise.all(streams.map((s) => lastDeliveredId(client, s)))).to.deep.equal([
          '1-1',
          before[1],
          '1-2',
        ]);
      }
      // The group of a deleted stream is gone with it; reading its mark is an error, not '0-0'.
      let failure: unknown;
      await lastDeliveredId(client, gone).catch((error: unknown) => (failure = error));
      expect(String(failure)).to.match(/no such key/i);
    });

    it('renews leases on every master, and reports a lease another owner took as lost', async () => {
      const shards = await onDifferentMasters(client, naturals(), (shard) => keys.shardLease(shard), 3);
      const ownership = new ShardOwnership(client, keys, `member-${topology}`, 16_384, 10_000);
      for (const shard of shards) expect(await ownership.acquire(shard), `shard ${shard}`).to.equal(true);
      for (const shard of shards) await client.pexpire(keys.shardLease(shard), 1_000);
      expect(await ownership.renewAll()).to.deep.equal([]);
      for (const shard of shards) expect(await client.pttl(keys.shardLease(shard))).to.be.above(5_000);

      // The middle lease expired and another owner took it: not renewed, not ours any more.
      await client.set(keys.shardLease(shards[1]!), 'another-owner', 'PX', 3_000);
      expect(await ownership.renewAll()).to.deep.equal([shards[1]]);
      expect(shards.map((shard) => ownership.owns(shard))).to.deep.equal([true, false, true]);
      expect(await client.get(keys.shardLease(shards[1]!))).to.equal('another-owner');
      expect(await client.pttl(keys.shardLease(shards[1]!))).to.be.at.most(3_000);
      expect(await ownership.renewAll()).to.deep.equal([]);
    });

    it('counts each stream’s lag, forward and past the forward cap', async () => {
      const lagStreams = streams.map((stream) => `${stream}:lag`);
      expect(await Promise.all(lagStreams.map((s) => masterOf(client, s)))).to.deep.equal(
        await Promise.all(streams.map((s) => masterOf(client, s))),
      );
      const sizes = [5, 0, LAG_FORWARD_CAP + 150];
      for (const [i, stream] of lagStreams.entries()) {
        for (let k = 1; k <= sizes[i]!; k++) await client.xadd(stream, `${k}-0`, 'k', 'x');
      }
      expect(
        await measureStreamLag(client, [
          [lagStreams[0]!, '2-0'],
          [lagStreams[1]!, '0-0'],
          [lagStreams[2]!, '10-0'],
          [lagStreams[0]!, '0-0'],
        ]),
      ).to.deep.equal([3, 0, LAG_FORWARD_CAP + 140, 5]);
    });
  });
}
