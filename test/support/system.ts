/**
 * The whole order pipeline for end-to-end tests: the API (in-process, port 0) and a matcher with
 * two worker threads, against the real Redis under a fresh random KEY_PREFIX. `startSystem()`
 * returns once every seeded market has a settled owner (a probe order on each symbol was answered
 * by the engine); `stop()` stops both and deletes every key of the prefix. Never FLUSHALL/FLUSHDB.
 *
 * The matcher threads call `loadConfig()` themselves, which reads `process.env`: the settings are
 * put there before the threads start (a worker copies the environment when it is created) and the
 * previous values are restored by `stop()`. Mocha runs test files one after the other, so two
 * systems never share the environment.
 */
import { randomBytes } from 'node:crypto';
import { createRedisClient, type RedisClient } from '../../src/redis/connection.ts';
import { mintToken } from '../../src/api/auth.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { shardOf } from '../../src/matcher/shard-map.ts';
import { startApi } from '../../src/processes/api-process.ts';
import { startMatcher } from '../../src/processes/matcher-process.ts';
import { BalanceStore } from '../../src/redis/balance-store.ts';

import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { ApiClient } from './http-client.ts';
import { openTestMysql, type TestMysql } from './mysql.ts';
import { deleteKeys, scanKeys } from './redis.ts';

export const SEEDED_SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'] as const;

/** A user that never gets funds: its probe orders are refused for funds and leave no balance. */
export const PROBE_USER = 999_999;

export interface TestSystem {
  readonly prefix: string;
  readonly config: Config;
  readonly baseUrl: string;
  /** A connection of the test's own, for inspection (XLEN, balances, leases). */
  readonly redis: RedisClient;
  /** The system's own MariaDB database (migrated, dropped by stop()) and a pool on it. */
  readonly mysql: TestMysql;
  readonly keys: Keys;
  readonly balances: BalanceStore;
  /** A client with no token; `asUser(n)` and `asAdmin()` give authenticated ones. */
  readonly http: ApiClient;
  asUser(userId: number): Promise<ApiClient>;
  asAdmin(userId?: number): Promise<ApiClient>;
  /** Entries ever appended to the symbol's stream (XINFO STREAM entries-added): trimming does not lower it. */
  streamAdded(symbol: string): Promise<number>;
  /** Entries of the symbol's stream read by the matcher but not acknowledged yet. */
  streamPending(symbol: string): Promise<number>;
  /** The symbol's stream is drained: every entry was delivered to the matcher and acknowledged. */
  streamIdle(symbol: string): Promise<boolean>;
  /** Waits until every given symbol's stream is idle. */
  waitForIdle(symbols: readonly string[]): Promise<void>;
  /** Starts the matcher of a system started with `deferMatcher`, and waits for owners. */
  startMatcher(): Promise<void>;
  /** Waits until every seeded (or given) symbol answers a probe order through the engine. */
  waitForOwners(symbols?: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  /** Extra environment for both processes (strings, as the environment holds them). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Start only the API: commands pile up in the streams until `startMatcher()`, whose first read
   * then takes them as one batch. Lets a test put several commands into one batch deterministically.
   */
  readonly deferMatcher?: boolean;
}

const WORKER_THREADS = 2;
const LEASE_TTL_MS = 1_500;
const STARTUP_TIMEOUT_MS = 20_000;

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or fails at the timeout. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 10_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const prefix = `e2e-${randomBytes(6).toString('hex')}`;
  // A database of its own: checkpoints and rows of another run must never meet this one's streams.
  const mysql = await openTestMysql();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    MYSQL_URL: mysql.config.mysql.url,
    KEY_PREFIX: prefix,
    PORT: '0',
    HOST: '127.0.0.1',
    SHARD_COUNT: '8',
    WORKER_THREADS: String(WORKER_THREADS),
    LEASE_TTL_MS: String(LEASE_TTL_MS),
    WAIT_TIMEOUT_MS: '5000',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error',
    METRICS_PORT: '0',
    ...options.env,
  };
  const saved = new Map(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  const restoreEnv = () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };

  const config = loadConfig();
  // SEEDED_SYMBOLS unless MARKETS_FILE names others.
  const seededSymbols = [...config.seedMarkets.keys()];
  const keys = createKeys(prefix);
  const redis = createRedisClient(config, { connectionName: `e2e-${prefix}` });
  const balances = new BalanceStore(redis, keys);
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  let matcher: ReturnType<typeof startMatcher> | undefined;

  const stop = async () => {
    try {
      await api?.close();
      await matcher?.stop();
    } finally {
      restoreEnv();
      await deleteKeys(redis, keys.pattern);
      await redis.quit();
      await mysql.close();
    }
  };

  let system: TestSystem;
  try {
    api = await startApi(config);
    const baseUrl = api.address.replace('0.0.0.0', '127.0.0.1');
    const http = new ApiClient(baseUrl);
    const secret = config.auth.jwtSecret;
    const asUser = async (userId: number) =>
      http.withToken(await mintToken(secret, { userId, expiresIn: 3600 }));
    const asAdmin = async (userId = 1_000_000) =>
      http.withToken(await mintToken(secret, { userId, role: 'admin', expiresIn: 3600 }));
    const probe = await asUser(PROBE_USER);

    // A market buy by quote amount from a user without funds: valid on any market, refused by the
    // matcher for funds (status rejected, 200) as soon as an owner processes the symbol's stream.
    const waitForOwners = async (symbols: readonly string[] = seededSymbols) => {
      const markets = (await http.markets()).body;
      for (const symbol of symbols) {
        const market = markets.find((m) => m.symbol === symbol);
        if (market === undefined) throw new Error(`no market ${symbol}`);
        const order = {
          symbol,
          side: 'buy',
          type: 'market',
          quoteQuantity: market.minNotional === '0' ? '1' : market.minNotional,
        } as const;
        const answer = await pollUntil(
          `an owner of ${symbol}`,
          async () => {
            const res = await probe.place(order);
            return res.status >= 400 || res.body.status === 'rejected' ? res : undefined;
          },
          { timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 50 },
        );
        if (answer.status !== 200)
          throw new Error(`probe on ${symbol} refused: ${answer.status} ${answer.text}`);
      }
    };

    system = {
      prefix,
      config,
      baseUrl,
      redis,
      mysql,
      keys,
      balances,
      http,
      asUser,
      asAdmin,
      streamAdded: async (symbol) => {
        if ((await redis.exists(keys.orderStream(symbol))) === 0) return 0;
        const info = fields((await redis.xinfo('STREAM', keys.orderStream(symbol))) as unknown[]);
        return Number(info.get('entries-added'));
      },
      streamPending: async (symbol) => {
        if ((await redis.exists(keys.orderStream(symbol))) === 0) return 0;
        const [count] = (await redis.xpending(keys.orderStream(symbol), 'matchers')) as [number];
        return Number(count);
      },
      streamIdle: async (symbol) => {
        const stream = keys.orderStream(symbol);
        if ((await redis.exists(stream)) === 0) return true;
        const info = fields((await redis.xinfo('STREAM', stream)) as unknown[]);
        const groups = ((await redis.xinfo('GROUPS', stream)) as unknown[][]).map(fields);
        const group = groups.find((g) => g.get('name') === 'matchers');
        if (group === undefined) return false;
        return (
          Number(group.get('pending')) === 0 &&
          String(group.get('last-delivered-id')) === String(info.get('last-generated-id'))
        );
      },
      waitForIdle: async (symbols) => {
        await pollUntil(`the streams of ${symbols.join(', ')} to be drained`, async () => {
          const idle = await Promise.all(symbols.map((symbol) => system.streamIdle(symbol)));
          return idle.every(Boolean) ? true : undefined;
        });
      },
      waitForOwners,
      startMatcher: async () => {
        if (matcher !== undefined) throw new Error('the matcher runs already');
        matcher = startMatcher(config);
        await settleOwnership();
      },
      stop,
    };
    if (options.deferMatcher === true) return system;
    matcher = startMatcher(config);
    await settleOwnership();
    return system;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  /**
   * Both threads must have joined before ownership settles: the first one takes every shard and
   * hands half of them over when the second appears. Once both are members, a shard moves at most
   * once more, within a rebalance period (a third of the lease TTL) of each thread.
   */
  async function settleOwnership(): Promise<void> {
    await pollUntil(
      'both matcher threads to join',
      async () => ((await redis.zcard(keys.members)) >= WORKER_THREADS ? true : undefined),
      { timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 50 },
    );
    const joinedAt = Date.now();
    const shards = new Set(seededSymbols.map((symbol) => shardOf(symbol, config.matcher.shardCount)));
    await pollUntil(
      'every shard of a seeded market to have a lease',
      async () => {
        const held = await Promise.all([...shards].map((shard) => redis.exists(keys.shardLease(shard))));
        return held.every((n) => n === 1) && Date.now() - joinedAt >= LEASE_TTL_MS ? true : undefined;
      },
      { timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 50 },
    );
    await system.waitForOwners();
  }
}

/** A flat Redis reply [name, value, name, value, ...] as a map. */
function fields(reply: readonly unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  return map;
}

/** Every user id that has a balances hash under the prefix. */
export async function usersWithBalances(system: TestSystem): Promise<number[]> {
  const keys = await scanKeys(system.redis, `${system.prefix}:bal:*`);
  return keys
    .map((key) => /\{u:([0-9]+)\}$/.exec(key)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
