/**
 * Symbols to shards, and shards to live members, with no coordinator: every member computes the
 * same answer from the same inputs. A symbol's shard is FNV-1a (32 bits) of its name modulo the shard
 * count; a shard's owner is the live member with the highest rendezvous hash of (member, shard), so
 * when a member joins or leaves only the shards that must move do.
 */

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function shardOf(symbol: string, shardCount: number): number {
  return fnv1a32(symbol) % shardCount;
}

/** The member that should own `shard` among `members` (rendezvous hashing), or undefined if none. */
export function rendezvousOwner(members: readonly string[], shard: number): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const member of members) {
    // Mixing the shard in after the member keeps scores independent across shards.
    const score = fnv1a32(`${member}#${shard}`);
    if (score > bestScore || (score === bestScore && best !== undefined && member < best)) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}
