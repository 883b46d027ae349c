/**
 * The private Redis Cluster of test/support/private-redis-cluster.ts, through ioredis's Cluster
 * client: keys on three masters, CROSSSLOT for a multi-key command across slots, EVAL and streams
 * within one hash tag, a node killed and started again rejoining with its slots, and destroy()
 * leaving no process and no directory.
 *
 * What ioredis 5.11 Cluster does with work that spans nodes (checked below, so an upgrade that
 * changes it fails here), for whoever plans cluster support:
 * (a) `cluster.pipeline()` (and `multi()`) whose keys are served by different masters: exec()
 *     rejects with a plain Error "All keys in the pipeline should belong to the same slots
 *     allocation group", checked client-side before anything is sent: none of its commands runs.
 *     ioredis checks nodes, not slots: keys in different slots on the same master pipeline fine
 *     (a MULTI across slots then fails on the server with CROSSSLOT, as a ReplyError).
 * (b) `enableAutoPipelining: true`: concurrent single-key commands for different masters all
 *     succeed (one automatic pipeline per master per tick). But a multi-key command whose keys are in
 *     different slots rejects with "All the keys in a pipeline command should belong to the same
 *     slot" — and so does every other command queued in the same tick for the same master, which is
 *     not run (commands for other masters are unaffected). Without auto-pipelining the same command
 *     gets the server's ReplyError "CROSSSLOT Keys in request don't hash to the same slot" alone.
 * (c) `XREAD [BLOCK ms] STREAMS k1 k2 id1 id2` with k1 and k2 in different slots (on different masters
 *     or the same one): ReplyError "CROSSSLOT Keys in request don't hash to the same slot" at once,
 *     even with BLOCK; ioredis does not split it per node. With auto-pipelining on, it is the
 *     client-side Error of (b) instead. One XREAD per hash tag (or per node's set of tags) is needed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Cluster } from 'ioredis';
import {
  startPrivateRedisCluster,
  waitUntilClusterOk,
  type PrivateRedisCluster,
} from '../../support/private-redis-cluster.ts';

/** Three keys whose slots (15495, 3300, 7365) fall to three different masters of three. */
const KEYS = ['{a}x', '{b}y', '{c}z'] as const;
const CROSSSLOT = /^CROSSSLOT Keys in request don't hash to the same slot/;

/** Alive, not a zombie. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, got a result');
}

/** The master (host:port) serving a key, from the client's slot table. */
function masterOf(client: Cluster, key: string, slot: number): string {
  const master = client.slots[slot]?.[0];
  if (master === undefined) throw new Error(`no node serves slot ${slot} (${key})`);
  return master;
}

async function slotOf(client: Cluster, key: string): Promise<number> {
  return Number(await client.cluster('KEYSLOT', key));
}

/** A key in another slot than `key` but served by the same master. */
async function sameMasterOtherSlot(client: Cluster, key: string): Promise<string> {
  const master = masterOf(client, key, await slotOf(client, key));
  for (let i = 0; i < 100; i++) {
    const candidate = `{n${i}}k`;
    if (masterOf(client, candidate, await slotOf(client, candidate)) === master) return candidate;
  }
  throw new Error(`no key found on ${master}`);
}

describe('test support: private Redis Cluster', function () {
  this.timeout(30_000);

  describe('startPrivateRedisCluster() (3 masters, no AOF)', () => {
    let cluster: PrivateRedisCluster;
    let client: Cluster;
    before(async () => {
      cluster = await startPrivateRedisCluster();
      client = new Cluster(cluster.nodes);
      await client.cluster('INFO');
    });
    after(async () => {
      client?.disconnect();
      await cluster?.destroy();
    });

    it('runs 3 masters of its own that serve all 16384 slots', async () => {
      expect(cluster.nodes).to.have.length(3);
      expect(cluster.servers.map((s) => s.port)).to.deep.equal(cluster.nodes.map((n) => n.port));
      expect(cluster.nodes.map((n) => n.port)).to.not.include(6379);
      expect(new Set(cluster.nodes.map((n) => n.port)).size).to.equal(3);
      expect(cluster.url).to.equal(`redis://127.0.0.1:${cluster.nodes[0]!.port}`);
      for (const server of cluster.servers) expect(existsSync(`${server.dir}/nodes.conf`)).to.equal(true);
      expect(client.nodes('master')).to.have.length(3);
      const info = String(await client.cluster('INFO'));
      expect(info).to.include('cluster_state:ok').and.include('cluster_slots_assigned:16384');
      expect(await client.nodes('master')[0]!.config('GET', 'appendonly')).to.deep.equal([
        'appendonly',
        'no',
      ]);
    });

    it('routes each key to its master: SET/GET on three slots of three masters', async () => {
      const masters = new Set<string>();
      for (const key of KEYS) {
        masters.add(masterOf(client, key, await slotOf(client, key)));
        expect(await client.set(key, `value of ${key}`)).to.equal('OK');
      }
      expect(masters.size).to.equal(3);
      for (const key of KEYS) expect(await client.get(key)).to.equal(`value of ${key}`);
    });

    it('refuses a multi-key command across slots with CROSSSLOT, and runs it within a hash tag', async () => {
      const error = await rejection(client.mget('{a}x', '{b}y'));
      expect(error.name).to.equal('ReplyError');
      expect(error.message).to.match(CROSSSLOT);
      await client.set('{a}x2', 'second');
      expect(await client.mget('{a}x', '{a}x2')).to.deep.equal(['value of {a}x', 'second']);
    });

    it('runs EVAL on two keys that share a hash tag', async () => {
      const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[2], ARGV[2])";
      expect(await client.eval(script, 2, '{sym}one', '{sym}two', 'x', 5)).to.equal(5);
      expect(await client.eval(script, 2, '{sym}one', '{sym}two', 'y', 5)).to.equal(10);
      expect(await client.get('{sym}one')).to.equal('y');
      const error = await rejection(client.eval(script, 2, '{a}x', '{b}y', 'x', 1));
      expect(error.message).to.match(CROSSSLOT);
    });

    it('XADDs to and XREADs from a hash-tagged stream', async () => {
      const id = await client.xadd('{sym}stream', '*', 'side', 'buy', 'qty', '3');
      const read = await client.xread('COUNT', 10, 'STREAMS', '{sym}stream', '0');
      expect(read).to.deep.equal([['{sym}stream', [[id, ['side', 'buy', 'qty', '3']]]]]);
    });

    it('(a) pipeline(): keys on different masters reject before sending; same master, other slots run', async () => {
      await client.set('{a}x', 'before');
      const error = await rejection(client.pipeline().set('{a}x', 'piped').set('{b}y', 'piped').exec());
      expect(error.name).to.equal('Error');
      expect(error.message).to.equal(
        'All keys in the pipeline should belong to the same slots allocation group',
      );
      expect(await client.get('{a}x')).to.equal('before');

      const neighbour = await sameMasterOtherSlot(client, '{a}x');
      expect(await slotOf(client, neighbour)).to.not.equal(await slotOf(client, '{a}x'));
      const results = await client.pipeline().set('{a}x', 'piped').set(neighbour, 'n').get(neighbour).exec();
      expect(results).to.deep.equal([
        [null, 'OK'],
        [null, 'OK'],
        [null, 'n'],
      ]);
    });

    it('(b) auto-pipelining: one cross-slot command fails the whole batch of its master for that tick', async () => {
      const auto = new Cluster(cluster.nodes, { enableAutoPipelining: true });
      try {
        await auto.cluster('INFO');
        const clean = await Promise.all(KEYS.map((key) => auto.set(key, 'auto')));
        expect(clean).to.deep.equal(['OK', 'OK', 'OK']);
        expect(await Promise.all(KEYS.map((key) => auto.get(key)))).to.deep.equal(['auto', 'auto', 'auto']);

        // mget's first key, {a}x, puts it in the batch of {a}x's master, with the SET of {a}x.
        const settled = await Promise.allSettled([
          auto.set('{a}x', 'lost'),
          auto.set('{b}y', 'kept'),
          auto.mget('{a}x', '{b}y'),
        ]);
        const why = 'All the keys in a pipeline command should belong to the same slot';
        expect(
          settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
        ).to.deep.equal([why, 'OK', why]);
        expect(await client.get('{a}x')).to.equal('auto');
        expect(await client.get('{b}y')).to.equal('kept');
      } finally {
        auto.disconnect();
      }
    });

    it('(c) XREAD over streams in different slots: CROSSSLOT at once, even with BLOCK', async () => {
      const neighbour = `${await sameMasterOtherSlot(client, '{a}s')}s`;
      for (const stream of ['{a}s', '{b}s', neighbour]) await client.xadd(stream, '*', 'f', 'v');
      for (const other of ['{b}s', neighbour]) {
        const error = await rejection(client.xread('STREAMS', '{a}s', other, '0', '0'));
        expect(error.name).to.equal('ReplyError');
        expect(error.message).to.match(CROSSSLOT);
      }
      const started = Date.now();
      const blocked = await rejection(client.xread('BLOCK', 5000, 'STREAMS', '{a}s', '{b}s', '$', '$'));
      expect(blocked.message).to.match(CROSSSLOT);
      expect(Date.now() - started).to.be.below(2000);
    });

    it('destroy() leaves no process and no directory, and may be called again', async () => {
      const pids = cluster.servers.map((s) => s.pid);
      const dirs = cluster.servers.map((s) => s.dir);
      expect(pids.every(isAlive)).to.equal(true);
      expect(dirs.every((dir) => existsSync(dir))).to.equal(true);
      client.disconnect();
      await cluster.destroy();
      expect(pids.filter(isAlive)).to.deep.equal([]);
      expect(dirs.filter((dir) => existsSync(dir))).to.deep.equal([]);
      expect(cluster.servers.some((s) => s.isRunning())).to.equal(false);
      await cluster.destroy();
    });
  });

  describe('startPrivateRedisCluster({ masters: 4, appendonly: true })', () => {
    let cluster: PrivateRedisCluster;
    after(async () => {
      await cluster?.destroy();
    });

    it('runs 4 masters with AOF; a node SIGKILLed and started again rejoins with its slots and data', async () => {
      cluster = await startPrivateRedisCluster({ masters: 4, appendonly: true });
      const client = new Cluster(cluster.nodes);
      try {
        await client.cluster('INFO');
        expect(client.nodes('master')).to.have.length(4);
        expect(await client.nodes('master')[0]!.config('GET', 'appendonly')).to.deep.equal([
          'appendonly',
          'yes',
        ]);
        await client.set('{a}x', 'durable');
        const port = Number(masterOf(client, '{a}x', await slotOf(client, '{a}x')).split(':')[1]);
        const node = cluster.servers.find((s) => s.port === port)!;
        await node.kill('SIGKILL');
        await node.start();
        await waitUntilClusterOk(cluster);
        expect(await client.get('{a}x')).to.equal('durable');
      } finally {
        client.disconnect();
      }
    });
  });

  it('refuses fewer than 3 masters before starting anything', async () => {
    const error = await rejection(startPrivateRedisCluster({ masters: 2 }));
    expect(error.message).to.match(/masters must be an integer ≥ 3/);
  });
});
