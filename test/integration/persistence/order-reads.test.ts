/**
 * GET /v1/orders/:id, GET /v1/orders and GET /v1/trades served from MySQL with Redis as a hot cache
 * (src/persistence/reads/), on a real MariaDB and a real Redis. A matcher stand-in runs a real engine
 * and projection and writes each batch the way the matcher does: the read model in one Redis
 * pipeline, the rows of the mappers (batch-rows.ts) and a checkpoint through a SyncWriteBuffer,
 * optionally held back to play a writer that has not caught up yet. The answers are the real app's
 * (buildApp), so "the same JSON the API gives today" means the same as with RedisOrderQueries.
 */
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/api/app.ts';
import { mintToken } from '../../../src/api/auth.ts';
import type { OrderQueries, OrderRecord } from '../../../src/api/ports.ts';
import { loadConfig } from '../../../src/config/config.ts';
import type { EngineEvent } from '../../../src/engine/types.ts';
import { createMysqlPool } from '../../../src/mysql/connection.ts';
import type { BatchRow } from '../../../src/mysql/write-buffer.ts';
import { SyncWriteBuffer } from '../../../src/mysql/write-buffer-sync.ts';
import { orderRows, orderSeqs, tradeEvents, tradeRows } from '../../../src/persistence/batch-rows.ts';
import { HotCachedOrderQueries } from '../../../src/persistence/reads/hot-cached-order-queries.ts';
import { MysqlOrderQueries } from '../../../src/persistence/reads/mysql-order-queries.ts';
import { claimSymbol } from '../../../src/persistence/symbol-checkpoints.ts';
import { DURABLE_TABLES, ORDERS, TRADES } from '../../../src/persistence/tables.ts';
import { RedisOrderQueries } from '../../../src/read-model/order-queries.ts';
import { ReadModelWriter } from '../../../src/read-model/read-model-writer.ts';
import { amend, buy, cancel, sell } from '../../support/engine-fixtures.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { deleteKeys, openTestRedis, type TestRedis } from '../../support/redis.ts';
import { memoryPorts } from '../../unit/api/support/api-ports.ts';
import { ProjectionHarness, type BatchItem } from '../../unit/read-model/projection-harness.ts';

const SYMBOL = 'BTC-USDT';
const SECRET = 'order-reads-test-secret-0123456789abcdef';
const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: SECRET });
/** BTC-USDT of config/markets.json: tick 0.01, lot 0.00001, 8 decimals each side, 10 quote units per tick-lot. */
const MARKET = config.seedMarkets.get(SYMBOL)!;
const [ALICE, BOB, CAROL] = [1, 2, 3];

type Store = 'redis' | 'mysql' | 'hot';
interface Answer {
  readonly status: number;
  readonly body: unknown;
}

describe('persistence/reads: orders and fills from MySQL, Redis as a hot cache', () => {
  let my: TestMysql;
  let r: TestRedis;
  let sink: SyncWriteBuffer;
  let app: FastifyInstance;
  let epoch: number;
  let stores: Record<Store, OrderQueries>;
  let serving: OrderQueries;
  const tokens = new Map<number, string>();

  before(async () => {
    [my, r] = await Promise.all([openTestMysql(), openTestRedis()]);
    sink = new SyncWriteBuffer({ connections: my.pool, tables: DURABLE_TABLES });
    const ports = memoryPorts(config.seedMarkets.values());
    const redisQueries = new RedisOrderQueries(r.redis, r.keys);
    const mysqlQueries = new MysqlOrderQueries(my.pool, ports.markets);
    stores = {
      redis: redisQueries,
      mysql: mysqlQueries,
      hot: new HotCachedOrderQueries(redisQueries, mysqlQueries),
    };
    // One app; its orders port forwards to the store under test.
    const orders: OrderQueries = {
      getOrder: (id) => serving.getOrder(id),
      listOrders: (query) => serving.listOrders(query),
      listTrades: (query) => serving.listTrades(query),
    };
    app = buildApp({ config, ports: { ...ports, orders } });
    await app.ready();
    for (const user of [ALICE, BOB, CAROL]) {
      tokens.set(user, await mintToken(SECRET, { userId: user, expiresIn: '1h' }));
    }
  });
  after(async () => {
    await app?.close();
    await sink?.close();
    await Promise.all([my?.close(), r?.close()]);
  });
  beforeEach(async () => {
    for (const table of ['orders', 'trades', 'symbol_checkpoints'])
      await my.pool.query(`DELETE FROM ${table}`);
    await deleteKeys(r.redis, r.keys.pattern);
    epoch = (await claimSymbol(my.pool, SYMBOL)).epoch;
  });

  /** The matcher of BTC-USDT: engine, projection (previous records from Redis), both writers. */
  class Matcher {
    readonly h = new ProjectionHarness(
      MARKET.rules,
      (ids) => (stores.redis as RedisOrderQueries).getOrders(ids),
      MARKET,
    );
    readonly writer = new ReadModelWriter(r.keys);
    /** Rows of batches not flushed yet: the WriteBuffer behind the read model. */
    readonly owed: BatchRow[] = [];

    /** One batch into Redis and (unless `lag`) into MySQL. */
    async batch(items: readonly BatchItem[], { lag = false } = {}) {
      const from = this.h.events.length;
      const projected = await this.h.batch(items);
      const events: EngineEvent[] = this.h.events.slice(from);
      const pipeline = r.redis.pipeline();
      this.writer.writeBatch(pipeline, projected);
      for (const [error] of (await pipeline.exec()) ?? []) expect(error).to.equal(null);
      const records = projected.orders.map((o) => o.record);
      const seqs = orderSeqs(events);
      for (const row of orderRows(records, seqs, (id) => this.h.book.getOrder(id)?.entrySeq)) {
        this.owed.push({ table: ORDERS, row });
      }
      for (const row of tradeRows(SYMBOL, tradeEvents(events))) this.owed.push({ table: TRADES, row });
      if (!lag) await this.catchUp();
      return projected;
    }

    /** The writer catches up: every owed row and the checkpoint in one flush. */
    async catchUp(): Promise<void> {
      const rows = this.owed.splice(0);
      const result = await sink.addBatch(rows, {
        symbol: SYMBOL,
        epoch,
        lastStreamId: `${this.h.now - 1}-0`,
        lastSeq: this.h.book.sequence,
      });
      expect(result.ok, String(result.error)).to.equal(true);
    }
  }

  async function get(store: Store, path: string, user: number): Promise<Answer> {
    serving = stores[store];
    const res = await app.inject({
      method: 'GET',
      url: path,
      headers: { authorization: `Bearer ${tokens.get(user)}` },
    });
    return { status: res.statusCode, body: res.json() };
  }

  /** The answer of each store to the same request. */
  async function answers(path: string, user: number): Promise<Record<Store, Answer>> {
    return {
      redis: await get('redis', path, user),
      mysql: await get('mysql', path, user),
      hot: await get('hot', path, user),
    };
  }

  /** Every read route a user has on the symbol, with several limits and filters. */
  function paths(orderIds: readonly string[]): string[] {
    const lists = [
      '',
      '&status=open',
      '&status=filled',
      '&status=canceled',
      '&status=new',
      '&status=partially_filled',
    ];
    return [
      ...orderIds.map((id) => `/v1/orders/${id}`),
      ...lists.flatMap((filter) =>
        ['', '&limit=1', '&limit=2', '&limit=3'].map(
          (limit) => `/v1/orders?symbol=${SYMBOL}${filter}${limit}`,
        ),
      ),
      ...['', '&limit=1', '&limit=2', '&limit=5'].map((limit) => `/v1/trades?symbol=${SYMBOL}${limit}`),
    ];
  }

  /** Makers of three users at two prices, partial and full fills both ways, an amend, a cancel, an IOC expiry. */
  const HISTORY: readonly (readonly BatchItem[])[] = [
    [sell('101', ALICE, 3_000_000, 500), sell('102', BOB, 3_000_100, 300), buy('201', CAROL, 2_999_900, 400)],
    [buy('202', BOB, 3_000_000, 200), buy('203', CAROL, 3_000_100, 700)], // 101 filled, then 102 filled, 203 rests
    [sell('103', ALICE, 2_999_000, 450), amend('201', CAROL, 0, 300)], // takes 203 (400 left → 0) and 201 partly
    [
      cancel('201', CAROL),
      sell('104', BOB, 3_100_000, 100),
      buy('204', ALICE, 3_050_000, 50, { timeInForce: 'IOC' }),
    ],
  ];
  const ORDER_IDS = ['101', '102', '103', '104', '201', '202', '203', '204'];

  async function runHistory(m: Matcher, lag = false): Promise<void> {
    for (const items of HISTORY) await m.batch(items, { lag });
  }

  it('once the writer has caught up, every route answers the same JSON from Redis, MySQL and both', async () => {
    const m = new Matcher();
    await runHistory(m);
    const statuses = new Set<string>();
    for (const user of [ALICE, BOB, CAROL]) {
      for (const path of paths(ORDER_IDS)) {
        const a = await answers(path, user);
        expect(a.mysql, `${path} as ${user}: MySQL`).to.deep.equal(a.redis);
        expect(a.hot, `${path} as ${user}: hot`).to.deep.equal(a.redis);
        if (a.redis.status === 200 && path.startsWith('/v1/orders/'))
          statuses.add((a.redis.body as { status: string }).status);
      }
    }
    // The history covers what it claims to.
    expect([...statuses].sort()).to.deep.equal(['canceled', 'expired', 'filled', 'new']);
    const carol = (await get('mysql', `/v1/trades?symbol=${SYMBOL}`, CAROL)).body as unknown[];
    expect(carol).to.have.length(4);
  });

  it("never shows another user's order: 404 from every store, and absent from their lists", async () => {
    const m = new Matcher();
    await runHistory(m);
    for (const store of ['redis', 'mysql', 'hot'] as const) {
      const mine = await get(store, '/v1/orders/101', ALICE);
      expect(mine.status).to.equal(200);
      const theirs = await get(store, '/v1/orders/101', BOB);
      expect(theirs.status, store).to.equal(404);
      expect(theirs.body).to.deep.equal({ error: { code: 'ORDER_NOT_FOUND', message: 'no order 101' } });
      // Exactly like an order that does not exist.
      expect(await get(store, '/v1/orders/101', CAROL)).to.deep.equal(theirs);
      expect(await get(store, '/v1/orders/999999', BOB)).to.deep.equal({
        status: 404,
        body: { error: { code: 'ORDER_NOT_FOUND', message: 'no order 999999' } },
      });
      // Ids no stored order can have are unknown, not errors.
      expect((await get(store, '/v1/orders/not-a-number', ALICE)).status).to.equal(404);
      const bobs = (await get(store, `/v1/orders?symbol=${SYMBOL}`, BOB)).body as Array<{ orderId: string }>;
      expect(bobs.map((o) => o.orderId)).to.deep.equal(['104', '202', '102']);
      const fills = (await get(store, `/v1/trades?symbol=${SYMBOL}`, BOB)).body as Array<{ orderId: string }>;
      expect(new Set(fills.map((f) => f.orderId))).to.deep.equal(new Set(['102', '202']));
    }
  });

  it('serves an order only Redis has (placed a moment ago) and one only MySQL has (its Redis record expired)', async () => {
    const m = new Matcher();
    await m.batch([sell('101', ALICE, 3_000_000, 500)]);
    await m.batch([buy('201', BOB, 3_000_000, 500)]); // fills 101
    const today = await answers('/v1/orders/101', ALICE);
    // The final order's record expires from Redis (7 days): only MySQL has it now.
    await r.redis.del(r.keys.order('101'));
    expect((await get('redis', '/v1/orders/101', ALICE)).status).to.equal(404);
    expect(await get('hot', '/v1/orders/101', ALICE)).to.deep.equal(today.redis);
    expect(await get('mysql', '/v1/orders/101', ALICE)).to.deep.equal(today.redis);
    const list = (await get('hot', `/v1/orders?symbol=${SYMBOL}`, ALICE)).body;
    expect(list).to.deep.equal([today.redis.body]);

    // Placed a moment ago: in Redis, not flushed yet.
    await m.batch([sell('102', ALICE, 3_100_000, 10)], { lag: true });
    const fresh = await get('redis', '/v1/orders/102', ALICE);
    expect(fresh.status).to.equal(200);
    expect((await get('mysql', '/v1/orders/102', ALICE)).status).to.equal(404);
    expect(await get('hot', '/v1/orders/102', ALICE)).to.deep.equal(fresh);
    // The list has both, newest first.
    const both = (await get('hot', `/v1/orders?symbol=${SYMBOL}`, ALICE)).body as Array<{ orderId: string }>;
    expect(both.map((o) => o.orderId)).to.deep.equal(['102', '101']);
    expect(both[0]).to.deep.equal(fresh.body);
    expect(both[1]).to.deep.equal(today.redis.body);
  });

  it('serves the later state when both stores have an order, and the fills of the stored state only', async () => {
    const m = new Matcher();
    await m.batch([sell('101', ALICE, 3_000_000, 500)]);
    await m.batch([buy('201', BOB, 3_000_000, 200)], { lag: true }); // 101 partly filled, MySQL behind
    const later = await get('redis', '/v1/orders/101', ALICE);
    expect(later.body).to.include({ status: 'partially_filled', filledQuantity: '0.00200' });
    const stale = await get('mysql', '/v1/orders/101', ALICE);
    expect(stale.body).to.include({ status: 'new', filledQuantity: '0.00000' });
    expect(await get('hot', '/v1/orders/101', ALICE)).to.deep.equal(later);

    // Half a flush seen: the trade is in MySQL but not yet the order rows that count it. The stored
    // state shows no fill its filled quantity does not count.
    const trades = m.owed.filter((row) => row.table === TRADES);
    expect(trades).to.have.length(1);
    expect((await sink.addBatch(trades)).ok).to.equal(true);
    expect(await get('mysql', '/v1/orders/101', ALICE)).to.deep.equal(stale);
    expect(await get('hot', '/v1/orders/101', ALICE)).to.deep.equal(later);

    // A status filter applies to the later state: MySQL still says new, Redis says partially filled.
    const newOnly = await answers(`/v1/orders?symbol=${SYMBOL}&status=new`, ALICE);
    expect((newOnly.mysql.body as unknown[]).length).to.equal(1);
    expect(newOnly.hot.body).to.deep.equal([]);
    expect(newOnly.hot).to.deep.equal(newOnly.redis);

    // Redis lost the change (a restart that dropped its last writes) after MySQL got it: MySQL's wins.
    const stored = await r.redis.get(r.keys.order('101'));
    await m.catchUp();
    await r.redis.set(
      r.keys.order('101'),
      JSON.stringify({
        ...(JSON.parse(stored!) as OrderRecord),
        status: 'new',
        filledQuantity: 0,
        filledQuote: 0,
        fills: [],
        updatedAt: m.h.now - 2,
      }),
    );
    expect(await get('hot', '/v1/orders/101', ALICE)).to.deep.equal(later);
    expect(await get('mysql', '/v1/orders/101', ALICE)).to.deep.equal(later);
  });

  it('lists completely across both stores: deduplicated, newest first, within the limit, filters on the later state', async () => {
    const m = new Matcher();
    // An old open order that Redis lost entirely (never in its sets): only MySQL can list it.
    await m.batch([sell('100', ALICE, 3_200_000, 10)]);
    await r.redis.del(
      r.keys.order('100'),
      r.keys.userOrders(ALICE, SYMBOL),
      r.keys.userOpenOrders(ALICE, SYMBOL),
    );
    // Two newer open orders, flushed, then filled in a batch MySQL has not seen yet.
    await m.batch([sell('101', ALICE, 3_000_000, 10), sell('102', ALICE, 3_000_100, 10)]);
    await m.batch([buy('201', BOB, 3_000_100, 20)], { lag: true });
    // MySQL's first page of open orders (limit 2) is 102 and 101, both filled by now: the answer is
    // further down MySQL's list.
    const open = await get('hot', `/v1/orders?symbol=${SYMBOL}&status=open&limit=2`, ALICE);
    expect((open.body as Array<{ orderId: string }>).map((o) => o.orderId)).to.deep.equal(['100']);
    const all = (await get('hot', `/v1/orders?symbol=${SYMBOL}`, ALICE)).body as Array<{
      orderId: string;
      status: string;
    }>;
    expect(all.map((o) => [o.orderId, o.status])).to.deep.equal([
      ['102', 'filled'],
      ['101', 'filled'],
      ['100', 'new'],
    ]);
    const two = (await get('hot', `/v1/orders?symbol=${SYMBOL}&limit=2`, ALICE)).body;
    expect(two).to.deep.equal(all.slice(0, 2));
    const filled = (await get('hot', `/v1/orders?symbol=${SYMBOL}&status=filled&limit=1`, ALICE)).body;
    expect(filled).to.deep.equal(all.slice(0, 1));

    // Fills: Redis has the new ones, MySQL none yet; after the flush the same, once each.
    const fills = await answers(`/v1/trades?symbol=${SYMBOL}`, ALICE);
    expect(fills.mysql.body).to.deep.equal([]);
    expect(fills.hot).to.deep.equal(fills.redis);
    expect(fills.redis.body).to.have.length(2);
    await m.catchUp();
    expect(await get('hot', `/v1/trades?symbol=${SYMBOL}`, ALICE)).to.deep.equal(fills.redis);
    expect(await get('mysql', `/v1/trades?symbol=${SYMBOL}`, ALICE)).to.deep.equal(fills.redis);
    // Older fills than Redis keeps (1 000 per user): MySQL has them.
    await r.redis.del(r.keys.userFills(ALICE, SYMBOL));
    expect(await get('hot', `/v1/trades?symbol=${SYMBOL}`, ALICE)).to.deep.equal(fills.redis);
  });

  it('keeps big amounts exact, to the last unit, through MySQL', async () => {
    const m = new Matcher();
    // 99 999.99 × 900.71992 BTC = 90 071 982.9928008 USDT: 9 007 198 299 280 080 quote units, near 2^53.
    await m.batch([sell('101', ALICE, 9_999_999, 90_071_992)]);
    await m.batch([buy('201', BOB, 9_999_999, 90_071_992)]);
    const expected = {
      status: 'filled',
      price: '99999.99',
      quantity: '900.71992',
      filledQuantity: '900.71992',
      filledQuoteQuantity: '90071982.99280080',
    };
    for (const [id, user, fee, feeAsset, liquidity] of [
      ['101', ALICE, '90071.98299280', 'USDT', 'maker'], // 0.1 % of the quote received, rounded down
      ['201', BOB, '1.80143984', 'BTC', 'taker'], // 0.2 % of the base received
    ] as const) {
      const today = await get('redis', `/v1/orders/${id}`, user);
      const body = today.body as { fills: Array<Record<string, unknown>> };
      expect(body).to.include(expected);
      expect(body.fills).to.have.length(1);
      expect(body.fills[0]).to.include({
        price: '99999.99',
        quantity: '900.71992',
        fee,
        feeAsset,
        liquidity,
      });
      await r.redis.del(r.keys.order(id)); // only MySQL has it now
      expect(await get('mysql', `/v1/orders/${id}`, user), id).to.deep.equal(today);
      expect(await get('hot', `/v1/orders/${id}`, user), id).to.deep.equal(today);
    }
    await r.redis.del(r.keys.userFills(BOB, SYMBOL));
    const [fill] = (await get('hot', `/v1/trades?symbol=${SYMBOL}`, BOB)).body as Array<
      Record<string, unknown>
    >;
    expect(fill).to.include({
      quoteQuantity: '90071982.99280080',
      fee: '1.80143984',
      side: 'buy',
      orderId: '201',
    });
  });

  it('answers from Redis when MySQL is out of reach, and 503 with Retry-After when only MySQL could answer', async () => {
    const m = new Matcher();
    await m.batch([sell('101', ALICE, 3_000_000, 10)]);
    const down = createMysqlPool(
      { mysql: { url: 'mysql://root@127.0.0.1:1/nothing' } },
      { connectTimeoutMs: 500 },
    );
    const markets = memoryPorts(config.seedMarkets.values()).markets;
    stores.hot = new HotCachedOrderQueries(
      stores.redis as RedisOrderQueries,
      new MysqlOrderQueries(down, markets),
    );
    try {
      expect(await get('hot', '/v1/orders/101', ALICE)).to.deep.equal(
        await get('redis', '/v1/orders/101', ALICE),
      );
      serving = stores.hot;
      const res = await app.inject({
        method: 'GET',
        url: '/v1/orders/555',
        headers: { authorization: `Bearer ${tokens.get(ALICE)}` },
      });
      expect(res.statusCode).to.equal(503);
      expect(res.headers['retry-after']).to.equal('1');
      expect(res.json()).to.have.nested.property('error.code', 'UNAVAILABLE');
      expect((await get('hot', `/v1/orders?symbol=${SYMBOL}`, ALICE)).status).to.equal(503);
      expect((await get('hot', `/v1/trades?symbol=${SYMBOL}`, ALICE)).status).to.equal(503);
    } finally {
      stores.hot = new HotCachedOrderQueries(
        stores.redis as RedisOrderQueries,
        stores.mysql as MysqlOrderQueries,
      );
      await down.end();
    }
  });
});
