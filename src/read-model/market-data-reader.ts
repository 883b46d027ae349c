/**
 * The API's MarketData over the caches the matchers write (docs/pipeline.md, "Market data"): the
 * depth snapshot `ex:depth:{SYMBOL}` cut to the levels asked, and the recent public trades list
 * `ex:trades:{SYMBOL}`, newest first.
 */
import type { Cluster, Redis } from 'ioredis';
import type { DepthRecord, MarketData, PublicTradeRecord } from '../api/ports.ts';
import type { Keys } from '../redis/keys.ts';

/** A market whose matcher wrote no snapshot yet. */
export const EMPTY_DEPTH: DepthRecord = Object.freeze({ sequence: 0, bids: [], asks: [] });

export class RedisMarketData implements MarketData {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  async depth(symbol: string, limit: number): Promise<DepthRecord> {
    const value = await this.redis.get(this.keys.depth(symbol));
    if (value === null) return EMPTY_DEPTH;
    const depth = JSON.parse(value) as DepthRecord;
    const levels = Math.max(0, limit);
    return { sequence: depth.sequence, bids: depth.bids.slice(0, levels), asks: depth.asks.slice(0, levels) };
  }

  async recentTrades(symbol: string, limit: number): Promise<readonly PublicTradeRecord[]> {
    if (limit <= 0) return [];
    const values = await this.redis.lrange(this.keys.recentTrades(symbol), 0, limit - 1);
    return values.map((value) => JSON.parse(value) as PublicTradeRecord);
  }
}
