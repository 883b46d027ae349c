/**
 * Two matcher *processes* at once (DESIGN.md §2, docs/pipeline.md "Ownership"), the API in this
 * process, a steady flow of crossing orders over HTTP on 16 markets:
 *
 * - phase 1: every symbol is processed by exactly one process: each is taken over once, by the
 *   member that wins its shard, and read on (the group's read mark moves); the shard leases keep one
 *   token throughout; the member set is the two processes.
 * - phase 2: one process is stopped with SIGTERM while the flow goes on: it exits 0 within the grace
 *   period, leaves the member set, frees its leases, and the survivor takes its symbols over from the
 *   handover snapshots (nothing to replay) within a few seconds; a `?wait=true` order on each of them
 *   then gets the engine's answer, not the 202 ack; the survivor keeps its own symbols (same leases).
 * - nothing lost: every acknowledged order is in the read model; no trade is missing or doubled
 *   (orders' fills, users' fills and public trades agree, each trade once per side); after
 *   canceling everything nothing is locked, and per asset Σ(available + locked + fees paid) over the
 *   users = deposits − withdrawals.
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { mintToken } from '../../../src/api/auth.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { lastDeliveredId } from '../../../src/matcher/command-stream.ts';
import { rendezvousOwner, shardOf } from '../../../src/matcher/shard-map.ts';
import { parseUnits } from '../../../src/money/decimal.ts';
import { startApi } from '../../../src/processes/api-process.ts';
import { BalanceStore } from '../../../src/redis/balance-store.ts';
import type { Keys } from '../../../src/redis/keys.ts';
import { MatcherProcess, stopAll } from '../../support/matcher-processes.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

const SHARD_COUNT = 16;
const LEASE_TTL_MS = 1500;
const GROUP = 'matchers';
/** Every asset here has 8 decimals (the seeded markets' USDT has; one precision per asset). */
const PRECISION = 8;
const SEEDED = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'];
/**
 * Created through the admin API. Chosen so that the 16 markets fall on 16 distinct shards (checked
 * below): each process then owns as many symbols as it owns shards.
 */
const CREATED = [
  'AAA',
  'AAC',
  'AAD',
  'AAF',
  'AAH',
  'AAJ',
  'AAN',
  'AAU',
  'AAV',
  'AAY',
  'AAZ',
  'BBF',
  'BBH',
].map((base) => `${base}-USDT`);
const SYMBOLS = [...SEEDED, ...CREATED];
const ADMIN = 1;
const USERS = [101, 102, 103, 104, 105, 106];
const DEPOSIT_USDT = '1000000';
const DEPOSIT_BASE = '100000';
/** Each process must own at least this many symbols for the test to mean something. */
const MIN_SYMBOLS_EACH = 3;
const OPEN = ['new', 'partially_filled'];
const FINAL = ['filled', 'canceled', 'expired', 'rejected'];

interface ApiFill {
  readonly tradeId: string;
  readonly quantity: string;
  readonly liquidity: 'maker' | 'taker';
}

interface ApiOrder {
  readonly orderId: string;
  readonly symbol: string;
  readonly status: string;
  readonly quantity: string | null;
  readonly filledQuantity: string;
  readonly rejectReason: string | null;
  readonly fills: readonly ApiFill[];
}

interface ApiUserTrade extends ApiFill {
  readonly orderId: string;
}

interface Reply<T> {
  readonly status: number;
  readonly body: T;
}

/** An order the API acknowledged: 202 (in the stream) or 200 (the engine's outcome, `?wait=true`). */
interface Placed {
  readonly orderId: string;
  readonly userId: number;
  readonly symbol: string;
  readonly http: number;
  readonly phase: string;
  /** When the API answered (local clock). */
  readonly at: number;
}

interface OwnershipSample {
  /** Local clock when the sample started. */
  readonly at: number;
  readonly members: string[];
  /** Token of each shard's lease (index = shard), null when free. */
  readonly tokens: Array<string | null>;
  /** Each symbol's read mark: the group's last-delivered id, which its owner moves as it reads. */
  readonly delivered: Map<string, string>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const units = (amount: string) => parseUnits(amount, PRECISION, { allowZero: true });
const baseOf = (symbol: string) => symbol.slice(0, symbol.indexOf('-'));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

class Http {
  constructor(
    private readonly base: string,
    private readonly tokens: ReadonlyMap<number, string>,
  ) {}

  async send<T>(method: string, path: string, userId: number, body?: object): Promise<Reply<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.tokens.get(userId)!}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }
}

/**
 * The steady flow: `workers` loops, each placing a crossing pair (a buy and a sell at the same price,
 * by two different users) on the next symbol in turn, now and then with `?wait=true`, now and then
 * canceling an earlier order, with a pause between pairs.
 */
class OrderFlow {
  readonly placed: Placed[] = [];
  /** Any answer the flow did not expect (a 5xx, a refused place, a network error). */
  readonly unexpected: string[] = [];
  phase = 'phase 1';
  private running = false;
  private loops: Array<Promise<void>> = [];
  private turn = 0;

  constructor(private readonly http: Http) {}

  start(workers: number, pauseMs: number): void {
    this.running = true;
    for (let i = 0; i < workers; i++) this.loops.push(this.loop(pauseMs));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Places a GTC limit order; records it when acknowledged (200 or 202), else notes the answer. */
  async place(
    userId: number,
    symbol: string,
    side: 'buy' | 'sell',
    price: string,
    quantity: string,
    wait: boolean,
  ): Promise<Reply<ApiOrder> | undefined> {
    try {
      const reply = await this.http.send<ApiOrder>('POST', `/v1/orders${wait ? '?wait=true' : ''}`, userId, {
        symbol,
        side,
        type: 'limit',
        price,
        quantity,
      });
      if (reply.status === 200 || reply.status === 202) {
        this.placed.push({
          orderId: reply.body.orderId,
          userId,
          symbol,
          http: reply.status,
          phase: this.phase,
          at: Date.now(),
        });
      } else {
        this.unexpected.push(`place ${symbol} ${side}: ${reply.status} ${JSON.stringify(reply.body)}`);
      }
      return reply;
    } catch (error) {
      this.unexpected.push(`place ${symbol} ${side}: ${String(error)}`);
      return undefined;
    }
  }

  private async loop(pauseMs: number): Promise<void> {
    while (this.running) {
      const n = this.turn++;
      const symbol = SYMBOLS[n % SYMBOLS.length]!;
      const buyer = pick(USERS);
      const seller = pick(USERS.filter((u) => u !== buyer));
      const price = (10 + (Math.floor(Math.random() * 7) - 3) / 100).toFixed(2);
      const quantity = ((600 + Math.floor(Math.random() * 1400)) / 1000).toFixed(3);
      const wait = n % 3 === 0;
      if (n % 2 === 0) {
        await this.place(buyer, symbol, 'buy', price, quantity, wait);
        await this.place(seller, symbol, 'sell', price, quantity, wait);
      } else {
        await this.place(seller, symbol, 'sell', price, quantity, wait);
        await this.place(buyer, symbol, 'buy', price, quantity, wait);
      }
      if (n % 7 === 0) await this.cancelOne(symbol, n % 2 === 0);
      await sleep(pauseMs);
    }
  }

  /** Cancels an earlier order of the symbol: whether it is still open or not, the answer is a known one. */
  private async cancelOne(symbol: string, wait: boolean): Promise<void> {
    const candidates = this.placed.filter((p) => p.symbol === symbol);
    if (candidates.length === 0) return;
    const { orderId, userId } = pick(candidates);
    try {
      const path = `/v1/orders/${orderId}?symbol=${symbol}${wait ? '&wait=true' : ''}`;
      const reply = await this.http.send<unknown>('DELETE', path, userId);
      if (![200, 202, 404, 409].includes(reply.status)) {
        this.unexpected.push(`cancel ${orderId}: ${reply.status} ${JSON.stringify(reply.body)}`);
      }
    } catch (error) {
      this.unexpected.push(`cancel ${orderId}: ${String(error)}`);
    }
  }
}

function fieldsOf(row: unknown): Map<string, unknown> {
  const list = row as unknown[];
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < list.length; i += 2) fields.set(String(list[i]), list[i + 1]);
  return fields;
}

/** The millisecond part of a stream id. */
function idMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** All entries of the stream were handed out to the group and acknowledged. */
async function drained(redis: Redis, stream: string): Promise<boolean> {
  const last = String(fieldsOf(await redis.xinfo('STREAM', stream)).get('last-generated-id'));
  const groups = ((await redis.xinfo('GROUPS', stream)) as unknown[]).map(fieldsOf);
  const group = groups.find((g) => g.get('name') === GROUP);
  return (
    group !== undefined &&
    String(group.get('last-delivered-id')) === last &&
    Number(group.get('pending')) === 0
  );
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(100);
  }
}

/** Throws the first rejection, if any. */
function settled(results: ReadonlyArray<PromiseSettledResult<unknown>>): void {
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/** How many times each item occurs. */
function tally(items: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

describe('e2e/failover: two matcher processes, one stopped cleanly', function () {
  this.timeout(60_000);

  let t: TestRedis;
  let db: TestMysql;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  let http: Http;
  let flow: OrderFlow;
  const spawned: MatcherProcess[] = [];
  let a: MatcherProcess;
  let b: MatcherProcess;
  let memberA: string;
  let memberB: string;
  /** Symbol → the member that wins its shard among the two (rendezvous hashing). */
  const ownerOf = new Map<string, string>();
  const deposited = new Map<string, bigint>();
  const withdrawn = new Map<string, bigint>();
  let phase1: OwnershipSample[] = [];
  let respawns = 0;
  /** What the run did, printed at the end. */
  const stats = { stopMs: 0, takeoverMs: 0, trades: 0, inGap: 0 };

  const spawnMatcher = (label: string) => {
    const p = MatcherProcess.spawn({
      keyPrefix: t.keys.prefix,
      mysqlUrl: db.config.mysql.url,
      shardCount: SHARD_COUNT,
      leaseTtlMs: LEASE_TTL_MS,
      workerThreads: 1,
      logLevel: 'info',
      label,
    });
    spawned.push(p);
    return p;
  };

  const symbolsOf = (member: string) => SYMBOLS.filter((s) => ownerOf.get(s) === member);
  const shardsOf = (member: string) => symbolsOf(member).map((s) => shardOf(s, SHARD_COUNT));

  const sample = async (): Promise<OwnershipSample> => {
    const at = Date.now();
    const redis = t.redis;
    const leaseKeys = Array.from({ length: SHARD_COUNT }, (_, shard) => t.keys.shardLease(shard));
    const [members, tokens] = await Promise.all([
      redis.zrange(t.keys.members, 0, -1),
      redis.mget(...leaseKeys),
    ]);
    const delivered = new Map<string, string>();
    for (const symbol of SYMBOLS)
      delivered.set(symbol, await lastDeliveredId(redis, t.keys.orderStream(symbol)));
    return { at, members: members.sort(), tokens, delivered };
  };

  const withdraw = async (userId: number, asset: string, amount: string) => {
    const reply = await http.send<{ duplicate: boolean }>('POST', '/v1/admin/withdrawals', ADMIN, {
      userId,
      asset,
      amount,
    });
    expect(reply.status, `withdrawal ${JSON.stringify(reply.body)}`).to.equal(200);
    expect(reply.body.duplicate).to.equal(false);
    withdrawn.set(asset, (withdrawn.get(asset) ?? 0n) + units(amount));
  };

  before(async function () {
    t = await openTestRedis();
    db = await openTestMysql();
    const keys: Keys = t.keys;
    expect(new Set(SYMBOLS.map((s) => shardOf(s, SHARD_COUNT))).size, 'one shard per symbol').to.equal(16);

    // Both processes are members before any market exists, so that no symbol is taken over by one
    // and handed to the other while the second one joins.
    a = spawnMatcher('matcher A');
    b = spawnMatcher('matcher B');
    [memberA] = (await a.ready()) as [string];
    [memberB] = (await b.ready()) as [string];
    const split = () => {
      for (const s of SYMBOLS) ownerOf.set(s, rendezvousOwner([memberA, memberB], shardOf(s, SHARD_COUNT))!);
      return Math.min(symbolsOf(memberA).length, symbolsOf(memberB).length);
    };
    // The failover is only shown when both members own a few symbols: with 16 shards and two members
    // a split below MIN_SYMBOLS_EACH is rare but possible, so a new B (a new member id) is started then.
    while (split() < MIN_SYMBOLS_EACH) {
      if (++respawns > 12) throw new Error('no usable split of the shards between two members in 12 tries');
      await b.stop();
      b = spawnMatcher(`matcher B (respawn ${respawns})`);
      [memberB] = (await b.ready()) as [string];
    }
    // Settled: both are members and every lease keeps its token across more than a rebalance period.
    await waitUntil('both members hold stable leases', 15_000, async () => {
      const members = (await t.redis.zrange(keys.members, 0, -1)).sort();
      if (members.join() !== [memberA, memberB].sort().join()) return false;
      const leaseKeys = Array.from({ length: SHARD_COUNT }, (_, shard) => keys.shardLease(shard));
      const before = await t.redis.mget(...leaseKeys);
      await sleep(LEASE_TTL_MS / 3 + 300);
      const after = await t.redis.mget(...leaseKeys);
      return before.every((token, i) => token !== null && token === after[i]);
    });

    api = await startApi(
      loadConfig({
        NODE_ENV: 'test',
        REDIS_URL: process.env.REDIS_URL,
        MYSQL_URL: db.config.mysql.url,
        KEY_PREFIX: keys.prefix,
        SHARD_COUNT: String(SHARD_COUNT),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'warn',
        WAIT_TIMEOUT_MS: '2000',
      }),
    );
    const secret = loadConfig({ NODE_ENV: 'test' }).auth.jwtSecret;
    const tokens = new Map<number, string>();
    tokens.set(ADMIN, await mintToken(secret, { userId: ADMIN, role: 'admin', expiresIn: 3600 }));
    for (const user of USERS) tokens.set(user, await mintToken(secret, { userId: user, expiresIn: 3600 }));
    http = new Http(api.address, tokens);
    flow = new OrderFlow(http);

    for (const symbol of CREATED) {
      const reply = await http.send('PUT', `/v1/admin/markets/${symbol}`, ADMIN, {
        base: baseOf(symbol),
        quote: 'USDT',
        basePrecision: PRECISION,
        quotePrecision: PRECISION,
        tickSize: '0.01',
        lotSize: '0.001',
        minNotional: '5',
        makerFee: '0.001',
        takerFee: '0.002',
        status: 'trading',
      });
      expect(reply.status, `PUT market ${symbol}: ${JSON.stringify(reply.body)}`).to.equal(201);
    }
    const assets = ['USDT', ...SYMBOLS.map(baseOf)];
    await Promise.all(
      USERS.flatMap((userId) =>
        assets.map(async (asset) => {
          const amount = asset === 'USDT' ? DEPOSIT_USDT : DEPOSIT_BASE;
          const reply = await http.send('POST', '/v1/admin/deposits', ADMIN, { userId, asset, amount });
          expect(reply.status, `deposit ${JSON.stringify(reply.body)}`).to.equal(200);
          deposited.set(asset, (deposited.get(asset) ?? 0n) + units(amount));
        }),
      ),
    );
    // Every market is picked up without a restart, by one of the two.
    await waitUntil('every symbol is taken over', 10_000, async () => {
      const taken = new Set([...a.takenOverSymbols(), ...b.takenOverSymbols()]);
      return SYMBOLS.every((s) => taken.has(s));
    });
  });

  after(async function () {
    this.timeout(30_000);
    await flow?.stop();
    await stopAll(spawned);
    await api?.close();
    await t?.close();
    await db?.close();
  });

  it('phase 1: with both running, every symbol is processed by exactly one process', async () => {
    if (respawns > 0) console.log(`      (B was restarted ${respawns} time(s) to split the shards)`);
    flow.start(4, 10);
    const withdrawals = Promise.allSettled(USERS.map((user) => withdraw(user, 'USDT', '10')));
    const until = Date.now() + 4_000;
    phase1 = [];
    while (Date.now() < until) {
      phase1.push(await sample());
      await sleep(300);
    }
    phase1.push(await sample());
    settled(await withdrawals);

    // The 'symbol taken over' sets are disjoint and cover every symbol, each taken exactly once, by
    // the member that wins its shard.
    const takenA = a.takeovers();
    const takenB = b.takeovers();
    expect([...takenA, ...takenB].map((x) => x.symbol).sort(), 'each symbol taken over once').to.deep.equal(
      [...SYMBOLS].sort(),
    );
    const setB = b.takenOverSymbols();
    expect(
      [...a.takenOverSymbols()].filter((s) => setB.has(s)),
      'taken over by both',
    ).to.deep.equal([]);
    for (const x of takenA) expect(x, `${x.symbol} taken by A`).to.include({ member: memberA });
    for (const x of takenB) expect(x, `${x.symbol} taken by B`).to.include({ member: memberB });
    for (const x of [...takenA, ...takenB]) {
      expect(x.member, `${x.symbol}: the rendezvous owner of shard ${x.shard}`).to.equal(
        ownerOf.get(x.symbol),
      );
    }
    expect(symbolsOf(memberA).length).to.be.at.least(MIN_SYMBOLS_EACH);
    expect(symbolsOf(memberB).length).to.be.at.least(MIN_SYMBOLS_EACH);

    // At every moment sampled: both are members, and each lease keeps the token it had (one owner,
    // no handover; the takeovers above say who).
    const first = phase1[0]!;
    for (const s of phase1) {
      const when = `sample at +${s.at - first.at} ms`;
      expect(s.members, `${when}: members`).to.deep.equal([memberA, memberB].sort());
      expect(s.tokens, `${when}: lease tokens`).to.deep.equal(first.tokens);
    }
    expect(
      first.tokens.every((token) => token !== null),
      'every shard leased',
    ).to.equal(true);
    // The flow reached every symbol, and each owner is reading its streams right now.
    const last = phase1[phase1.length - 1]!;
    for (const symbol of SYMBOLS) {
      const mark = idMs(last.delivered.get(symbol)!);
      expect(last.at - mark, `${symbol}: read up to an entry this many ms old`).to.be.below(2_000);
    }
    expect(flow.placed.length, 'orders acknowledged in phase 1').to.be.above(100);
  });

  it('phase 2: a SIGTERM stops one cleanly and its symbols continue on the other', async () => {
    const symbolsA = symbolsOf(memberA);
    const symbolsB = symbolsOf(memberB);
    const tokensBefore = phase1[phase1.length - 1]!.tokens;
    flow.phase = 'phase 2';

    // The flow goes on through the stop.
    const stoppingAt = Date.now();
    const exit = await a.stop(10_000);
    const exitedAt = Date.now();
    expect(exit, `A's exit\n${a.tail()}`).to.include({ code: 0, signal: null });
    expect(exit.elapsedMs, 'stop within the grace period').to.be.below(10_000);
    stats.stopMs = exit.elapsedMs;
    expect(
      a.logs.map((l) => l.msg),
      'A reports its thread stopped',
    ).to.include('matcher thread stopped');

    // It left: no longer a member, none of its leases held by its tokens.
    expect((await t.redis.zrange(t.keys.members, 0, -1)).sort(), 'members after the stop').to.deep.equal([
      memberB,
    ]);
    const tokensAfterExit = await t.redis.mget(
      ...Array.from({ length: SHARD_COUNT }, (_, shard) => t.keys.shardLease(shard)),
    );
    for (const shard of shardsOf(memberA)) {
      expect(tokensAfterExit[shard], `shard ${shard}: A's lease is gone`).to.not.equal(tokensBefore[shard]);
    }

    // The survivor takes each of them over within a few seconds, from A's handover snapshot: nothing
    // left to replay.
    await Promise.all(
      symbolsA.map((symbol) =>
        b.waitFor((l) => l.msg === 'symbol taken over' && l.symbol === symbol, {
          timeoutMs: 5_000,
          what: `takeover of ${symbol}`,
        }),
      ),
    );
    for (const x of b.takeovers().filter((y) => symbolsA.includes(y.symbol))) {
      expect(x.time - exitedAt, `${x.symbol} taken over (ms after A's exit)`).to.be.below(5_000);
      expect(x.from, `${x.symbol}: from A's snapshot`).to.not.equal('0-0');
      expect(x.replayed, `${x.symbol}: entries replayed`).to.equal(0);
      stats.takeoverMs = Math.max(stats.takeoverMs, x.time - exitedAt);
    }
    // Orders on A's symbols were taken while A was stopping or nobody owned them: they wait in the
    // streams for B (and are checked below).
    const takenAt = new Map(b.takeovers().map((x) => [x.symbol, x.time]));
    stats.inGap = flow.placed.filter(
      (p) => symbolsA.includes(p.symbol) && p.at >= stoppingAt && p.at <= takenAt.get(p.symbol)!,
    ).length;
    expect(stats.inGap, "orders acknowledged on A's symbols during the handover").to.be.above(0);
    expect(
      b
        .takeovers()
        .map((x) => x.symbol)
        .sort(),
      'B took each symbol once',
    ).to.deep.equal([...symbolsA, ...symbolsB].sort());

    await sleep(1_500);
    const withdrawals = Promise.allSettled(USERS.map((user) => withdraw(user, baseOf(pick(SYMBOLS)), '1')));
    // Orders sent now on A's former symbols are processed: the engine answers within the wait.
    for (const symbol of symbolsA) {
      const reply = await flow.place(pick(USERS), symbol, 'buy', '10.00', '0.600', true);
      expect(reply?.status, `?wait=true on ${symbol}: ${JSON.stringify(reply?.body)}`).to.equal(200);
      expect(reply!.body.symbol).to.equal(symbol);
      expect([...OPEN, ...FINAL]).to.include(reply!.body.status);
    }
    settled(await withdrawals);
    await sleep(1_000);

    // Now B alone reads every stream: A's former ones are read past A's exit, and B's own shards
    // never changed hands.
    const s = await sample();
    expect(s.members).to.deep.equal([memberB]);
    for (const symbol of [...symbolsA, ...symbolsB]) {
      expect(idMs(s.delivered.get(symbol)!), `${symbol}: read past A's exit`).to.be.above(exitedAt);
    }
    for (const shard of shardsOf(memberB)) {
      expect(s.tokens[shard], `shard ${shard}: B's lease unchanged`).to.equal(tokensBefore[shard]);
    }
    for (const shard of shardsOf(memberA)) {
      expect(s.tokens[shard], `shard ${shard}: leased anew by B`)
        .to.be.a('string')
        .and.not.equal(tokensBefore[shard]);
    }
    expect(
      flow.placed.filter((p) => p.phase === 'phase 2').length,
      'orders acknowledged in phase 2',
    ).to.be.above(50);
  });

  it('nothing is lost: every acknowledged order is known, no trade doubled, funds conserved', async () => {
    await flow.stop();
    expect(flow.unexpected, 'answers the flow did not expect').to.deep.equal([]);
    const streams = SYMBOLS.map((s) => t.keys.orderStream(s));
    await waitUntil('every stream is processed and acknowledged', 15_000, async () => {
      for (const stream of streams) if (!(await drained(t.redis, stream))) return false;
      return true;
    });

    // Every acknowledged order is in the read model, open or final; none was rejected (funds are ample).
    const orders = new Map<string, ApiOrder>();
    const missing: string[] = [];
    for (let i = 0; i < flow.placed.length; i += 16) {
      await Promise.all(
        flow.placed.slice(i, i + 16).map(async (p) => {
          const reply = await http.send<ApiOrder>('GET', `/v1/orders/${p.orderId}`, p.userId);
          if (reply.status === 200) orders.set(p.orderId, reply.body);
          else missing.push(`${p.orderId} (${p.symbol}, ${p.phase}, HTTP ${p.http}): ${reply.status}`);
        }),
      );
    }
    expect(missing, 'acknowledged orders unknown to the read model').to.deep.equal([]);
    expect(new Set(flow.placed.map((p) => p.orderId)).size, 'order ids unique').to.equal(flow.placed.length);
    const statuses = tally([...orders.values()].map((o) => o.status));
    for (const status of statuses.keys()) expect([...OPEN, ...FINAL]).to.include(status);
    expect(statuses.get('rejected') ?? 0, 'rejected orders').to.equal(0);

    // Trades: each order's fills are distinct and add up to its filled quantity; over the orders of a
    // symbol each trade appears exactly twice (its maker and its taker), and those are exactly the
    // symbol's public trades, each listed once; each user's fills list each trade once.
    for (const symbol of SYMBOLS) {
      const ofSymbol = [...orders.values()].filter((o) => o.symbol === symbol);
      for (const o of ofSymbol) {
        expect(tally(o.fills.map((f) => f.tradeId)).size, `${o.orderId}: distinct fills`).to.equal(
          o.fills.length,
        );
        const filled = o.fills.reduce((sum, f) => sum + units(f.quantity), 0n);
        expect(filled, `${o.orderId}: filled = Σ fills`).to.equal(units(o.filledQuantity));
      }
      const sides = tally(ofSymbol.flatMap((o) => o.fills.map((f) => `${f.tradeId} ${f.liquidity}`)));
      const fromOrders = tally(ofSymbol.flatMap((o) => o.fills.map((f) => f.tradeId)));
      for (const [tradeId, count] of fromOrders) {
        expect(count, `${tradeId}: fills over the orders`).to.equal(2);
        expect(sides.get(`${tradeId} maker`), `${tradeId}: one maker`).to.equal(1);
      }
      const pub = await http.send<ApiFill[]>('GET', `/v1/markets/${symbol}/trades?limit=1000`, ADMIN);
      expect(pub.status).to.equal(200);
      expect(pub.body.length, `${symbol}: public trades fit the list`).to.be.below(1_000);
      const publicIds = pub.body.map((x) => x.tradeId);
      expect(tally(publicIds).size, `${symbol}: public trade ids unique`).to.equal(publicIds.length);
      expect([...publicIds].sort(), `${symbol}: public trades = trades of the orders`).to.deep.equal(
        [...fromOrders.keys()].sort(),
      );
      expect(publicIds.length, `${symbol}: trades`).to.be.above(0);
      stats.trades += publicIds.length;
      const userIds: string[] = [];
      for (const user of USERS) {
        const fills = await http.send<ApiUserTrade[]>('GET', `/v1/trades?symbol=${symbol}&limit=1000`, user);
        expect(fills.status).to.equal(200);
        const ids = fills.body.map((f) => f.tradeId);
        expect(tally(ids).size, `${symbol}, user ${user}: fill ids unique`).to.equal(ids.length);
        userIds.push(...ids);
      }
      expect([...userIds].sort(), `${symbol}: users' fills = both sides of each trade`).to.deep.equal(
        [...fromOrders.keys(), ...fromOrders.keys()].sort(),
      );
    }

    // Cancel everything; then nothing is open and nothing locked.
    for (const user of USERS) {
      for (const symbol of SYMBOLS) {
        const reply = await http.send('DELETE', `/v1/orders?symbol=${symbol}`, user);
        expect(reply.status).to.equal(202);
      }
    }
    await waitUntil('no order is open', 15_000, async () => {
      for (const user of USERS) {
        for (const symbol of SYMBOLS) {
          const open = await http.send<ApiOrder[]>('GET', `/v1/orders?symbol=${symbol}&status=open`, user);
          if (open.status !== 200 || open.body.length > 0) return false;
        }
      }
      return true;
    });
    for (const stream of streams) {
      expect(await drained(t.redis, stream), `${stream} drained`).to.equal(true);
    }

    // Conservation per asset: Σ over users of available + locked + fees paid = deposits − withdrawals.
    const store = new BalanceStore(t.redis, t.keys);
    const held = new Map<string, bigint>();
    for (const user of USERS) {
      for (const balance of await store.getBalances(user)) {
        expect(balance.locked, `user ${user} ${balance.asset} locked`).to.equal(0n);
        held.set(balance.asset, (held.get(balance.asset) ?? 0n) + balance.available + balance.locked);
      }
      for (const [asset, fees] of await store.getFeesPaid(user)) {
        held.set(asset, (held.get(asset) ?? 0n) + fees);
      }
    }
    const expected = new Map(
      [...deposited].map(([asset, amount]) => [asset, amount - (withdrawn.get(asset) ?? 0n)] as const),
    );
    expect(Object.fromEntries([...held].map(([k, v]) => [k, String(v)]))).to.deep.equal(
      Object.fromEntries([...expected].map(([k, v]) => [k, String(v)])),
    );

    const answered = flow.placed.filter((p) => p.http === 200).length;
    console.log(
      `      (${flow.placed.length} orders acknowledged, ${answered} with the engine's answer; ` +
        `${stats.trades} trades; A stopped in ${stats.stopMs} ms; B took its symbols over ` +
        `within ${stats.takeoverMs} ms of its exit; ${stats.inGap} orders on them meanwhile)`,
    );

    // Neither process reported a lost lease, a failed symbol or any other problem.
    for (const p of [a, b]) {
      expect(
        p.problems().map((l) => JSON.stringify(l)),
        `${p.label}: warnings and errors`,
      ).to.deep.equal([]);
    }
  });
});
