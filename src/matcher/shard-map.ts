/**
 * Symbols to shards, and shards to live members, with no coordinator: every member computes the
 * same answer from the same inputs. A symbol's shard is a 32-bit hash of its name modulo the shard
 * count; a shard's owner is the live member with the highest rendezvous hash of (member, shard), so
 * when a member joins or leaves only the shards that must move do.
 *
 * The hash is FNV-1a followed by murmur3's finalizer: FNV-1a alone barely mixes the last characters
 * into the high bits, so two members' scores compared the same way for most shards (one member got
 * all 16 shards in ~40 % of pairs of real ids) and a power-of-two shard count saw only the low bits
 * of each character (AAA and QQQ always shared a shard).
 */

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's fmix32: every input bit affects every output bit. */
export function fmix32(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

export function mixedHash32(text: string): number {
  return fmix32(fnv1a32(text));
}

export function shardOf(symbol: string, shardCount: number): number {
  return mixedHash32(symbol) % shardCount;
}

/** The member that should own `shard` among `members` (rendezvous hashing), or undefined if none. */
export function rendezvousOwner(members: readonly string[], shard: number): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const member of members) {
    // Mixing the shard in after the member keeps scores independent across shards.
    const score = mixedHash32(`${member}#${shard}`);
    if (score > bestScore || (score === bestScore && best !== undefined && member < best)) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}
