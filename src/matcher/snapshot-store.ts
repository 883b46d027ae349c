import type { Redis } from 'ioredis';
import type { BookSnapshot } from '../engine/types.ts';
import type { Keys } from '../redis/keys.ts';

/**
 * The book snapshot a symbol's next owner starts from: the engine's canonical snapshot plus the id of
 * the last stream entry whose effects it includes. Written by the owner after a batch (never in the
 * middle of one), so replaying the entries after `entryId` from it reproduces the live run exactly.
 */
export interface StoredSnapshot {
  readonly entryId: string;
  readonly book: BookSnapshot;
}

export class SnapshotStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async load(symbol: string): Promise<StoredSnapshot | undefined> {
    const text = await this.redis.get(this.keys.bookSnapshot(symbol));
    return text === null ? undefined : (JSON.parse(text) as StoredSnapshot);
  }

  async save(symbol: string, snapshot: StoredSnapshot): Promise<void> {
    await this.redis.set(this.keys.bookSnapshot(symbol), JSON.stringify(snapshot));
  }
}
