import { randomBytes } from 'node:crypto';
import { createBatch } from '../redis/batch.ts';
import type { RedisClient } from '../redis/connection.ts';
import { defineLeaseScripts } from '../redis/lease-scripts.ts';
import type { Keys } from '../redis/keys.ts';
import { rendezvousOwner } from './shard-map.ts';

/**
 * One matcher thread's membership and shard leases (docs/pipeline.md, "Ownership").
 * Members heartbeat into a sorted set scored by their deadline; the shards a member should own are
 * those it wins by rendezvous hashing among the live members; each owned shard is a lease (`SET NX
 * PX` with a random token) renewed and released by compare-and-set, so a member that lost a lease
 * can neither extend nor free it. Leases are the Redis half of fencing; the MySQL epoch (issue 4)
 * stops a paused zombie's writes.
 */
export class ShardOwnership {
  private readonly tokens = new Map<number, string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    readonly memberId: string,
    private readonly shardCount: number,
    private readonly leaseTtlMs: number,
  ) {
    defineLeaseScripts(redis);
  }

  /** Announces this member as live until now + TTL, drops dead members, returns the live ones. */
  async heartbeat(nowMs: number): Promise<string[]> {
    const [, , live] = (await this.redis
      .multi()
      .zadd(this.keys.members, nowMs + this.leaseTtlMs, this.memberId)
      .zremrangebyscore(this.keys.members, '-inf', nowMs)
      .zrange(this.keys.members, 0, -1)
      .exec())!.map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [unknown, unknown, string[]];
    return live;
  }

  /** The shards this member should own among `liveMembers`. */
  desiredShards(liveMembers: readonly string[]): Set<number> {
    const shards = new Set<number>();
    for (let shard = 0; shard < this.shardCount; shard++) {
      if (rendezvousOwner(liveMembers, shard) === this.memberId) shards.add(shard);
    }
    return shards;
  }

  owned(): number[] {
    return [...this.tokens.keys()];
  }

  owns(shard: number): boolean {
    return this.tokens.has(shard);
  }

  /** Takes the shard's lease if it is free. */
  async acquire(shard: number): Promise<boolean> {
    const token = randomBytes(12).toString('hex');
    const ok = await this.redis.set(this.keys.shardLease(shard), token, 'PX', this.leaseTtlMs, 'NX');
    if (ok === 'OK') this.tokens.set(shard, token);
    return ok === 'OK';
  }

  /** Renews every owned lease; returns the shards whose lease was lost (expired or taken). */
  async renewAll(): Promise<number[]> {
    const shards = this.owned();
    if (shards.length === 0) return [];
    // One slot per shard ({shard:N}): a batch, which a Cluster may spread over its masters.
    const batch = createBatch(this.redis);
    for (const shard of shards) {
      batch.leaseRenew(this.keys.shardLease(shard), this.tokens.get(shard)!, String(this.leaseTtlMs));
    }
    const replies = (await batch.exec())!;
    const lost: number[] = [];
    shards.forEach((shard, i) => {
      const [error, renewed] = replies[i]!;
      if (error || renewed !== 1) {
        this.tokens.delete(shard);
        lost.push(shard);
      }
    });
    return lost;
  }

  async release(shard: number): Promise<void> {
    const token = this.tokens.get(shard);
    if (token === undefined) return;
    this.tokens.delete(shard);
    await this.redis.leaseRelease(this.keys.shardLease(shard), token);
  }

  /** Releases every lease and leaves the member set, so the survivors take over at once. */
  async leave(): Promise<void> {
    for (const shard of this.owned()) await this.release(shard);
    await this.redis.zrem(this.keys.members, this.memberId);
  }
}
