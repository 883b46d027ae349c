/**
 * The whole system on real processes for the failure tests of issue 4 (test/e2e/durability): the API
 * in this process, matcher *processes* (test/support/matcher-processes.ts), Redis and MariaDB — the
 * shared servers, or a test's private instances (test/support/private-services.ts) that it may kill.
 * A database of its own (t_<random>) and a key prefix of its own; `stop()` removes both.
 *
 * `OrderFlow` drives a steady flow of crossing orders and cancels over HTTP and records every order
 * the API acknowledged (200/202). `quiesce()` stops it, waits for the matchers to drain every stream
 * and for MySQL to catch up, cancels every open order and waits again; `verify()` then checks the
 * invariants the failure tests promise: every acknowledged order reached a final state (in the API
 * and in MySQL), each order's fills add up to its trades in MySQL and no trade is missing or doubled
 * between the read model and MySQL, nothing stays locked, every asset is conserved in Redis and in
 * MySQL, and MySQL's balances equal Redis's.
 *
 * When `quiesce()` times out, its error shows where each stream stands and the matchers' last lines;
 * with DURABLE_DUMP_DIR set, every matcher's whole log is also written there, one file each.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { mintToken } from '../../src/api/auth.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { startApi } from '../../src/processes/api-process.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { MatcherProcess, stopAll } from './matcher-processes.ts';
import { openTestMysql, type TestMysql } from './mysql.ts';
import { deleteKeys } from './redis.ts';

export const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'] as const;
const ADMIN = 1;
export const USERS = [201, 202, 203, 204, 205, 206] as const;
/** A user that never gets funds: its probes are refused for funds, with no balance effect. */
const PROBE_USER = 999_999;
/** Seeded markets: BTC, ETH, SOL and USDT have 8 decimals (config/markets.json). */
const DEPOSITS: Readonly<Record<string, string>> = {
  USDT: '10000000',
  BTC: '1000',
  ETH: '10000',
  SOL: '100000',
};
const FINAL = new Set(['filled', 'canceled', 'expired', 'rejected']);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting until ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** The parts of the API's answers the failure tests read. */
export interface ApiBody {
  readonly status?: string;
  readonly orderId?: string;
  readonly error?: { readonly code?: string };
  readonly fills?: ReadonlyArray<{ readonly tradeId: string }>;
}

export interface Reply<T = ApiBody> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface ClusterOptions {
  /** Redis to use; default REDIS_URL or the shared one. */
  readonly redisUrl?: string;
  /** MariaDB server to create the test database on; default MYSQL_URL or the shared one. */
  readonly mysqlServerUrl?: string;
  /** Matcher processes started at once; default 2. */
  readonly matchers?: number;
  /** Extra environment of the API and the matchers (FLUSH_*, MAX_SYMBOL_BACKLOG, TRIM_STREAMS...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra environment of one matcher, by index (LOG_LEVEL debug for a zombie...). */
  readonly matcherEnv?: (index: number) => Readonly<Record<string, string>>;
}

export const SHARD_COUNT = 8;
export const LEASE_TTL_MS = 1_500;

export class DurableCluster {
  readonly matchers: MatcherProcess[] = [];
  readonly flow: OrderFlow;
  private readonly tokens = new Map<number, string>();

  private constructor(
    readonly prefix: string,
    readonly keys: Keys,
    readonly redis: Redis,
    readonly db: TestMysql,
    readonly config: Config,
    private api: Awaited<ReturnType<typeof startApi>> | undefined,
    private readonly options: ClusterOptions,
  ) {
    this.flow = new OrderFlow(this);
  }

  static async start(options: ClusterOptions = {}): Promise<DurableCluster> {
    const prefix = `dur-${randomBytes(6).toString('hex')}`;
    const db = await openTestMysql({ serverUrl: options.mysqlServerUrl });
    const config = loadConfig({
      NODE_ENV: 'test',
      REDIS_URL: options.redisUrl ?? process.env.REDIS_URL,
      MYSQL_URL: db.config.mysql.url,
      KEY_PREFIX: prefix,
      SHARD_COUNT: String(SHARD_COUNT),
      LEASE_TTL_MS: String(LEASE_TTL_MS),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error',
      WAIT_TIMEOUT_MS: '5000',
      ...options.env,
    });
    const redis = createRedis(config, { connectionName: `test-${prefix}` });
    const cluster = new DurableCluster(prefix, createKeys(prefix), redis, db, config, undefined, options);
    try {
      for (let i = 0; i < (options.matchers ?? 2); i++) cluster.spawnMatcher(`matcher ${i + 1}`);
      await Promise.all(cluster.matchers.map((m) => m.ready()));
      cluster.api = await startApi(config);
      const secret = config.auth.jwtSecret;
      cluster.tokens.set(ADMIN, await mintToken(secret, { userId: ADMIN, role: 'admin', expiresIn: 3600 }));
      for (const user of [...USERS, PROBE_USER])
        cluster.tokens.set(user, await mintToken(secret, { userId: user, expiresIn: 3600 }));
      await cluster.waitForOwners();
      await cluster.fund();
      return cluster;
    } catch (error) {
      await cluster.stop().catch(() => undefined);
      throw error;
    }
  }

  get address(): string {
    return this.api!.address.replace('0.0.0.0', '127.0.0.1');
  }

  spawnMatcher(label: string): MatcherProcess {
    const index = this.matchers.length;
    const p = MatcherProcess.spawn({
      keyPrefix: this.prefix,
      mysqlUrl: this.db.config.mysql.url,
      shardCount: SHARD_COUNT,
      leaseTtlMs: LEASE_TTL_MS,
      workerThreads: 1,
      logLevel: 'info',
      label,
      env: {
        REDIS_URL: this.config.redis.url,
        ...this.options.env,
        ...this.options.matcherEnv?.(index),
      },
    });
    this.matchers.push(p);
    return p;
  }

  async send<T = ApiBody>(method: string, path: string, userId: number, body?: object): Promise<Reply<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.tokens.get(userId)!}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.address + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text === '' ? undefined : JSON.parse(text)) as T,
      headers: response.headers,
    };
  }

  /** Every symbol answers a probe through its engine (`?wait=true` gives the refusal for funds). */
  async waitForOwners(timeoutMs = 30_000): Promise<void> {
    for (const symbol of SYMBOLS) {
      await waitUntil(`an owner of ${symbol}`, timeoutMs, async () => {
        const reply = await this.send('POST', '/v1/orders?wait=true', PROBE_USER, {
          symbol,
          side: 'buy',
          type: 'market',
          quoteQuantity: '10',
        });
        return reply.status === 200 && reply.body.status === 'rejected';
      });
    }
  }

  private async fund(): Promise<void> {
    for (const user of USERS) {
      for (const [asset, amount] of Object.entries(DEPOSITS)) {
        const reply = await this.send('POST', '/v1/admin/deposits', ADMIN, {
          userId: user,
          asset,
          amount,
          depositId: `fund-${user}-${asset}`,
        });
        expect(reply.status, `deposit: ${JSON.stringify(reply.body)}`).to.be.oneOf([200, 201]);
      }
    }
  }

  /** Per stream: delivered and acknowledged to the last entry. */
  async drained(): Promise<boolean> {
    for (const symbol of SYMBOLS) {
      const stream = this.keys.orderStream(symbol);
      const info = fields((await this.redis.xinfo('STREAM', stream)) as unknown[]);
      const groups = ((await this.redis.xinfo('GROUPS', stream)) as unknown[][]).map(fields);
      const group = groups.find((g) => g.get('name') === 'matchers');
      if (group === undefined) return false;
      if (Number(group.get('pending')) !== 0) return false;
      if (String(group.get('last-delivered-id')) !== String(info.get('last-generated-id'))) return false;
    }
    return true;
  }

  /** Every symbol's durable checkpoint is its stream's last entry: MySQL has caught up. */
  async caughtUp(): Promise<boolean> {
    const [rows] = await this.db.pool.query<RowDataPacket[]>(
      'SELECT symbol, last_stream_id FROM symbol_checkpoints',
    );
    const checkpoints = new Map(rows.map((r) => [String(r.symbol), String(r.last_stream_id)]));
    for (const symbol of SYMBOLS) {
      const info = fields((await this.redis.xinfo('STREAM', this.keys.orderStream(symbol))) as unknown[]);
      if (checkpoints.get(symbol) !== String(info.get('last-generated-id'))) return false;
    }
    return true;
  }

  /** Stops the flow, drains, cancels every open order, drains again, waits for MySQL. */
  async quiesce(timeoutMs = 30_000): Promise<void> {
    try {
      await this.quiesceOrThrow(timeoutMs);
    } catch (error) {
      // Say why: the matchers' warnings and errors, and where each stream stands.
      const problems = this.matchers.map(
        (m) =>
          `  ${m.label}, warnings and errors:\n` +
          m
            .problems()
            .slice(-6)
            .map((l) => `  | ${JSON.stringify(l)}`)
            .join('\n') +
          `\n  ${m.label}, last info lines:\n` +
          m.logs
            .filter((l) => l.level >= 30)
            .slice(-12)
            .map((l) => `  | ${JSON.stringify(l)}`)
            .join('\n'),
      );
      if (process.env.DURABLE_DUMP_DIR) {
        const { writeFileSync } = await import('node:fs');
        for (const m of this.matchers) {
          const file = `${process.env.DURABLE_DUMP_DIR}/${this.prefix}-${m.label.replace(/\W+/g, '-')}.log`;
          writeFileSync(file, m.logs.map((l) => JSON.stringify(l)).join('\n'));
        }
      }
      const streams = await Promise.all(
        SYMBOLS.map(async (symbol) => {
          const stream = this.keys.orderStream(symbol);
          const info = await this.redis.xinfo('GROUPS', stream).catch((e: unknown) => String(e));
          return `  ${symbol}: ${JSON.stringify(info)}`;
        }),
      );
      throw new Error(`${(error as Error).message}\n${[...streams, ...problems].join('\n')}`, {
        cause: error,
      });
    }
  }

  private async quiesceOrThrow(timeoutMs: number): Promise<void> {
    await this.flow.stop();
    await waitUntil('the streams to drain', timeoutMs, () => this.drained());
    for (const user of USERS) {
      for (const symbol of SYMBOLS) {
        const reply = await this.send('DELETE', `/v1/orders?symbol=${symbol}`, user);
        expect(reply.status, `cancel all: ${JSON.stringify(reply.body)}`).to.be.oneOf([200, 202]);
      }
    }
    await waitUntil('the streams to drain after cancel-all', timeoutMs, () => this.drained());
    await waitUntil('MySQL to catch up with every stream', timeoutMs, () => this.caughtUp());
    await waitUntil('MySQL balances to equal Redis', timeoutMs, async () => {
      const diff = await this.balanceDifferences();
      return diff.length === 0;
    });
  }

  /** Redis balances per (user, asset): available, locked, fees. */
  async redisBalances(): Promise<Map<string, [bigint, bigint, bigint]>> {
    const result = new Map<string, [bigint, bigint, bigint]>();
    for (const user of USERS) {
      const hash = await this.redis.hgetall(this.keys.balances(user));
      for (const [field, value] of Object.entries(hash)) {
        const [kind, asset] = field.split(':');
        if (asset === undefined) continue;
        const key = `${user}/${asset}`;
        const entry = result.get(key) ?? [0n, 0n, 0n];
        entry[kind === 'a' ? 0 : kind === 'l' ? 1 : 2] = BigInt(value);
        result.set(key, entry);
      }
    }
    return result;
  }

  async mysqlBalances(): Promise<Map<string, [bigint, bigint, bigint]>> {
    const [rows] = await this.db.pool.query<RowDataPacket[]>(
      'SELECT user_id, asset, available, locked, fees_paid FROM balances',
    );
    return new Map(
      rows.map((r) => [
        `${r.user_id}/${r.asset}`,
        [BigInt(r.available), BigInt(r.locked), BigInt(r.fees_paid)] as [bigint, bigint, bigint],
      ]),
    );
  }

  /** Every (user, asset) whose balance differs between Redis and MySQL, as text. */
  async balanceDifferences(): Promise<string[]> {
    const redis = await this.redisBalances();
    const mysql = await this.mysqlBalances();
    const keys = new Set([...redis.keys(), ...mysql.keys()]);
    const zero: [bigint, bigint, bigint] = [0n, 0n, 0n];
    const differences: string[] = [];
    for (const key of keys) {
      const a = redis.get(key) ?? zero;
      const b = mysql.get(key) ?? zero;
      if (a.some((v, i) => v !== b[i])) differences.push(`${key}: redis ${a.join('/')} mysql ${b.join('/')}`);
    }
    return differences.sort();
  }

  /**
   * The invariants after `quiesce()`. `acked` are the orders the API acknowledged (200/202).
   */
  async verify(): Promise<void> {
    const acked = this.flow.placed;
    expect(acked.length, 'orders acknowledged by the flow').to.be.greaterThan(50);

    // Every acknowledged order is final, in the API (hot cache or MySQL) and in MySQL.
    const [orderRows] = await this.db.pool.query<RowDataPacket[]>(
      'SELECT order_id, status, filled_quantity, user_id FROM orders',
    );
    const inMysql = new Map(orderRows.map((r) => [String(r.order_id), r]));
    const notFinal: string[] = [];
    for (const order of acked) {
      const row = inMysql.get(order.orderId);
      if (row === undefined || !FINAL.has(String(row.status)))
        notFinal.push(
          `${order.orderId} (${order.symbol}): MySQL ${row === undefined ? 'none' : String(row.status)}`,
        );
    }
    expect(notFinal, 'acknowledged orders not final in MySQL').to.deep.equal([]);
    for (const order of sample(acked, 40)) {
      const reply = await this.send('GET', `/v1/orders/${order.orderId}`, order.userId);
      expect(reply.status, `GET ${order.orderId}`).to.equal(200);
      expect(FINAL.has(String(reply.body.status)), `${order.orderId} is ${reply.body.status}`).to.equal(true);
      expect(reply.body.status).to.equal(String(inMysql.get(order.orderId)!.status));
      const [trades] = await this.db.pool.query<RowDataPacket[]>(
        'SELECT trade_id FROM trades WHERE maker_order_id = ? OR taker_order_id = ? ORDER BY trade_id',
        [order.orderId, order.orderId],
      );
      const fills = (reply.body.fills ?? []).map((f) => f.tradeId).sort();
      expect(fills, `${order.orderId}: the API's fills are MySQL's trades`).to.deep.equal(
        trades.map((t) => String(t.trade_id)).sort(),
      );
    }

    // Each order's fills add up to its trades; no trade is doubled or missing.
    const [mismatched] = await this.db.pool.query<RowDataPacket[]>(
      `SELECT o.order_id, o.filled_quantity, COALESCE(SUM(t.quantity_lots), 0) AS traded
       FROM orders o
       LEFT JOIN trades t ON t.maker_order_id = o.order_id OR t.taker_order_id = o.order_id
       GROUP BY o.order_id, o.filled_quantity
       HAVING o.filled_quantity <> traded`,
    );
    expect(mismatched, 'orders whose filled quantity is not the sum of their trades').to.deep.equal([]);
    const [[tradeCount]] = await this.db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM trades');
    expect(Number(tradeCount!.n), 'trades in MySQL').to.be.greaterThan(10);

    // Nothing locked after cancel-all; conservation in Redis and MySQL; MySQL equals Redis.
    const redis = await this.redisBalances();
    const locked = [...redis].filter(([, v]) => v[1] !== 0n).map(([k, v]) => `${k}: ${v[1]}`);
    expect(locked, 'locked after cancel-all').to.deep.equal([]);
    const deposited = new Map<string, bigint>();
    for (const [asset, amount] of Object.entries(DEPOSITS)) {
      deposited.set(asset, BigInt(amount) * 10n ** 8n * BigInt(USERS.length));
    }
    const totals = (balances: Map<string, [bigint, bigint, bigint]>) => {
      const sums = new Map<string, bigint>();
      for (const [key, [a, l, f]] of balances) {
        const asset = key.split('/')[1]!;
        sums.set(asset, (sums.get(asset) ?? 0n) + a + l + f);
      }
      return Object.fromEntries([...sums].sort().map(([k, v]) => [k, String(v)]));
    };
    const expected = Object.fromEntries([...deposited].sort().map(([k, v]) => [k, String(v)]));
    expect(totals(redis), 'Redis: Σ(available + locked + fees) per asset = deposits').to.deep.equal(expected);
    expect(totals(await this.mysqlBalances()), 'MySQL: the same').to.deep.equal(expected);
    const [depositRows] = await this.db.pool.query<RowDataPacket[]>(
      'SELECT asset, CAST(SUM(amount) AS CHAR) AS total FROM deposits GROUP BY asset ORDER BY asset',
    );
    expect(
      Object.fromEntries(depositRows.map((r) => [String(r.asset), String(r.total)])),
      'MySQL deposits',
    ).to.deep.equal(expected);
    expect(await this.balanceDifferences(), 'MySQL balances = Redis balances').to.deep.equal([]);

    // Every market's row, with the fees the operator set (config/markets.json: 0.1 % and 0.2 %).
    const [markets] = await this.db.pool.query<RowDataPacket[]>(
      'SELECT symbol, maker_fee_ppm, taker_fee_ppm FROM markets ORDER BY symbol',
    );
    expect(markets.map((m) => [m.symbol, Number(m.maker_fee_ppm), Number(m.taker_fee_ppm)])).to.deep.equal(
      SYMBOLS.map((symbol) => [symbol, 1000, 2000]),
    );
  }

  async stop(): Promise<void> {
    await this.flow.stop().catch(() => undefined);
    await stopAll(this.matchers).catch(() => undefined);
    await this.api?.close().catch(() => undefined);
    await deleteKeys(this.redis, this.keys.pattern).catch(() => undefined);
    this.redis.disconnect();
    await this.db.close().catch(() => undefined);
  }
}

/** An order the API acknowledged. */
export interface Placed {
  readonly orderId: string;
  readonly userId: number;
  readonly symbol: string;
  readonly status: number;
  readonly at: number;
}

/**
 * Crossing pairs (a buy and a sell at one price by two users) on the symbols in turn, now and then
 * `?wait=true`, now and then a cancel. Answers are sorted: acknowledged (200/202), refused because the
 * symbol is backlogged (503 SYMBOL_BACKLOGGED, with Retry-After), anything else (`failures`).
 */
export class OrderFlow {
  readonly placed: Placed[] = [];
  readonly backlogged: Array<{ at: number; retryAfter: string | null }> = [];
  readonly failures: Array<{ at: number; what: string }> = [];
  private running = false;
  private loops: Array<Promise<void>> = [];
  private turn = 0;

  constructor(private readonly cluster: DurableCluster) {}

  start(workers = 3, pauseMs = 10): void {
    this.running = true;
    for (let i = 0; i < workers; i++) this.loops.push(this.loop(pauseMs));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  acknowledgedSince(at: number): number {
    return this.placed.filter((p) => p.at >= at).length;
  }

  private async place(
    userId: number,
    symbol: string,
    side: 'buy' | 'sell',
    price: string,
    quantity: string,
    wait: boolean,
  ) {
    try {
      const reply = await this.cluster.send('POST', `/v1/orders${wait ? '?wait=true' : ''}`, userId, {
        symbol,
        side,
        type: 'limit',
        price,
        quantity,
      });
      if (reply.status === 200 || reply.status === 202) {
        this.placed.push({
          orderId: String(reply.body.orderId),
          userId,
          symbol,
          status: reply.status,
          at: Date.now(),
        });
      } else if (reply.status === 503 && reply.body?.error?.code === 'SYMBOL_BACKLOGGED') {
        this.backlogged.push({ at: Date.now(), retryAfter: reply.headers.get('retry-after') });
        await sleep(100);
      } else {
        this.failures.push({
          at: Date.now(),
          what: `place ${symbol}: ${reply.status} ${JSON.stringify(reply.body)}`,
        });
        await sleep(100);
      }
    } catch (error) {
      this.failures.push({ at: Date.now(), what: `place ${symbol}: ${String(error)}` });
      await sleep(100);
    }
  }

  private async loop(pauseMs: number): Promise<void> {
    while (this.running) {
      const n = this.turn++;
      const symbol = SYMBOLS[n % SYMBOLS.length]!;
      const buyer = USERS[n % USERS.length]!;
      const seller = USERS[(n + 1 + (n >> 3)) % USERS.length]!;
      const seller2 = seller === buyer ? USERS[(n + 2) % USERS.length]! : seller;
      const price = (100 + ((n * 7) % 9) - 4).toFixed(2);
      const quantity = (0.06 * (1 + (n % 5))).toFixed(2);
      const wait = n % 5 === 0;
      await this.place(buyer, symbol, 'buy', price, quantity, wait);
      await this.place(
        seller2,
        symbol,
        'sell',
        (Number(price) + (n % 3 === 0 ? 1 : 0)).toFixed(2),
        quantity,
        wait,
      );
      if (n % 6 === 0) await this.cancelOne(symbol);
      await sleep(pauseMs);
    }
  }

  private async cancelOne(symbol: string): Promise<void> {
    const candidates = this.placed.filter((p) => p.symbol === symbol);
    if (candidates.length === 0) return;
    const { orderId, userId } = candidates[(this.turn * 31) % candidates.length]!;
    try {
      const reply = await this.cluster.send('DELETE', `/v1/orders/${orderId}?symbol=${symbol}`, userId);
      if (![200, 202, 404, 409].includes(reply.status))
        this.failures.push({
          at: Date.now(),
          what: `cancel ${orderId}: ${reply.status} ${JSON.stringify(reply.body)}`,
        });
    } catch (error) {
      this.failures.push({ at: Date.now(), what: `cancel ${orderId}: ${String(error)}` });
    }
  }
}

function fields(reply: readonly unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  return map;
}

/** Up to `n` items spread over the list. */
function sample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}
