/**
 * The market registry in Redis (docs/pipeline.md, "Markets"): `keys.markets` is a hash
 * SYMBOL → JSON MarketDefinition, `keys.marketsVersion` is bumped on every change, which is also
 * published on `keys.marketsChanged` (message: the symbol).
 *
 * Each process keeps a compiled copy and reads from it, so `get` and `list` cost no round trip.
 * The copy reloads on a change message and on a periodic check of the version: a lost message
 * (a reconnect) costs at most one check period. Writers change the hash before the version and
 * readers read the version before the hash, so a copy is never older than the version it records.
 *
 * `upsert` (MULTI) and `seedIfEmpty` (markets-seed-2.lua) write the hash and the version together;
 * keys.ts tags both `{markets}`, so on a Redis Cluster they share a slot. The change channel stays
 * classic pub/sub, broadcast to every node of a Cluster: changes are rare, and every process hears
 * them whichever node it subscribed on.
 */
import type { MarketDirectory } from '../../api/ports.ts';
import { compileMarket, type CompiledMarket, type MarketDefinition } from '../../markets/market-rules.ts';
import { defineIntakeScripts } from '../../redis/intake-scripts.ts';
import type { RedisClient } from '../../redis/connection.ts';
import type { Keys } from '../../redis/keys.ts';
import { ChannelSubscription } from './channel-subscription.ts';

export interface RedisMarketDirectoryOptions {
  /** For commands; shared with the rest of the process. */
  readonly redis: RedisClient;
  /** A connection of its own for the change channel, quit on close (e.g. `redis.duplicate()`). */
  readonly subscriber: RedisClient;
  readonly keys: Keys;
  /** How often the version is checked, in milliseconds. Default: 1 000. */
  readonly checkIntervalMs?: number;
  /** Told of a failed background reload or a stored definition that does not compile. Default: ignore. */
  readonly onError?: (error: Error) => void;
}

export class RedisMarketDirectory implements MarketDirectory {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly onError: (error: Error) => void;
  private markets: ReadonlyMap<string, CompiledMarket> = new Map();
  private loadedVersion: string | null = null;
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private subscription: ChannelSubscription | undefined;
  private closed = false;

  private constructor(options: RedisMarketDirectoryOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.onError = options.onError ?? (() => undefined);
    defineIntakeScripts(this.redis);
  }

  /** Subscribes to changes, loads the registry, and starts the periodic version check. */
  static async open(options: RedisMarketDirectoryOptions): Promise<RedisMarketDirectory> {
    const interval = options.checkIntervalMs ?? 1_000;
    if (!Number.isSafeInteger(interval) || interval < 1) {
      options.subscriber.disconnect();
      throw new RangeError(`checkIntervalMs must be a positive integer, got ${interval}`);
    }
    const directory = new RedisMarketDirectory(options);
    directory.subscription = await ChannelSubscription.open(
      options.subscriber,
      options.keys.marketsChanged,
      () => directory.background(directory.reload()),
    );
    try {
      await directory.reload();
    } catch (error) {
      await directory.close();
      throw error;
    }
    directory.timer = setInterval(() => directory.background(directory.checkVersion()), interval);
    directory.timer.unref();
    return directory;
  }

  /** Sorted by symbol. */
  async list(): Promise<readonly CompiledMarket[]> {
    return [...this.markets.values()].sort((a, b) =>
      a.definition.symbol < b.definition.symbol ? -1 : a.definition.symbol > b.definition.symbol ? 1 : 0,
    );
  }

  async get(symbol: string): Promise<CompiledMarket | undefined> {
    return this.markets.get(symbol);
  }

  /** The version the copy was loaded at (null before the first change ever). */
  get version(): string | null {
    return this.loadedVersion;
  }

  /**
   * Writes the definition, bumps the version and tells every process, in one MULTI; resolves once
   * this directory's copy includes the change.
   */
  async upsert(market: CompiledMarket): Promise<{ readonly created: boolean }> {
    const { symbol } = market.definition;
    const replies = await this.redis
      .multi()
      .hset(this.keys.markets, symbol, JSON.stringify(market.definition))
      .incr(this.keys.marketsVersion)
      .publish(this.keys.marketsChanged, symbol)
      .exec();
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (replies === null || failed) throw failed ?? new Error(`upsert of market ${symbol} was aborted`);
    await this.reload();
    return { created: replies[0]![1] === 1 };
  }

  /**
   * First start: writes `markets` only when the registry is empty, atomically (markets-seed-2.lua),
   * so concurrent starts seed once and an operator's changes are never overwritten.
   * Resolves to the number of markets written (0 when the registry held any).
   */
  async seedIfEmpty(markets: Iterable<CompiledMarket>): Promise<number> {
    const pairs = [...markets].flatMap((m) => [m.definition.symbol, JSON.stringify(m.definition)]);
    const seeded = await this.redis.marketsSeed(
      this.keys.markets,
      this.keys.marketsVersion,
      this.keys.marketsChanged,
      ...pairs,
    );
    if (seeded > 0) await this.reload();
    return seeded;
  }

  /**
   * Reloads the copy from Redis. Concurrent calls share loads: a call made while a load runs
   * waits for one more load that starts after it, so it always sees what was written before it.
   */
  reload(): Promise<void> {
    if (this.inFlight === undefined) {
      this.inFlight = this.load().finally(() => (this.inFlight = undefined));
      return this.inFlight;
    }
    if (this.queued === undefined) {
      const next = (): Promise<void> => {
        this.queued = undefined;
        return this.reload();
      };
      this.queued = this.inFlight.then(next, next);
    }
    return this.queued;
  }

  /** Stops the check and the subscription and quits the subscriber; the copy stays readable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.subscription?.close();
    await Promise.allSettled([this.inFlight, this.queued]);
  }

  private async checkVersion(): Promise<void> {
    const version = await this.redis.get(this.keys.marketsVersion);
    if (version !== this.loadedVersion) await this.reload();
  }

  private async load(): Promise<void> {
    const version = await this.redis.get(this.keys.marketsVersion);
    const stored = await this.redis.hgetall(this.keys.markets);
    const next = new Map<string, CompiledMarket>();
    for (const [symbol, json] of Object.entries(stored)) {
      try {
        const market = compileMarket(JSON.parse(json) as MarketDefinition);
        if (market.definition.symbol !== symbol) throw new Error(`it is stored as ${symbol}`);
        next.set(symbol, market);
      } catch (error) {
        // One bad definition must not take every market down: keep what this process had.
        const previous = this.markets.get(symbol);
        if (previous !== undefined) next.set(symbol, previous);
        this.onError(new Error(`market ${symbol}: ${(error as Error).message}`, { cause: error }));
      }
    }
    this.markets = next;
    this.loadedVersion = version;
  }

  private background(work: Promise<void>): void {
    work.catch((error: unknown) => {
      if (!this.closed) this.onError(error instanceof Error ? error : new Error(String(error)));
    });
  }
}
