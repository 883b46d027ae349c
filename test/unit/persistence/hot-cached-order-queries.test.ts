/**
 * HotCachedOrderQueries' merge, against in-memory stores: random orders whose Redis and MySQL states
 * are two points of one life (either may be ahead, either may be missing), and every list query
 * compared with the brute-force answer (each order's later state, filtered, sorted, cut).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { OrderListQuery, OrderRecord, OrderStatus, UserTradeRecord } from '../../../src/api/ports.ts';
import {
  HotCachedOrderQueries,
  type DurableOrders,
  type HotOrders,
} from '../../../src/persistence/reads/hot-cached-order-queries.ts';
import {
  compareProgress,
  newestFillFirst,
  newestFirst,
  type OrderCursor,
  type StoredOrder,
} from '../../../src/persistence/reads/stored-orders.ts';
import { limitRecord, T0 } from '../read-model/projection-harness.ts';

const SYMBOL = 'BTC-USDT';

/** The states an order goes through: new, partially filled (by `fills` steps), then a final status. */
function life(orderId: string, userId: number, createdAt: number, fills: number, end: OrderStatus | null) {
  const states: OrderRecord[] = [
    limitRecord(orderId, userId, 'sell', 100, 10, { createdAt, updatedAt: createdAt }),
  ];
  for (let i = 1; i <= fills; i++) {
    states.push({
      ...states.at(-1)!,
      status: 'partially_filled',
      filledQuantity: i,
      updatedAt: createdAt + i,
    });
  }
  if (end !== null) states.push({ ...states.at(-1)!, status: end, updatedAt: createdAt + fills + 1 });
  return states;
}

class MemoryHot implements HotOrders {
  constructor(readonly records: Map<string, OrderRecord>) {}
  calls = 0;
  async getOrder(orderId: string) {
    return this.records.get(orderId);
  }
  async getOrders(orderIds: readonly string[]) {
    return orderIds.map((id) => this.records.get(id));
  }
  async listOrders(query: OrderListQuery) {
    this.calls++;
    return matching([...this.records.values()], query).slice(0, query.limit);
  }
  async listTrades() {
    return [] as UserTradeRecord[];
  }
}

class MemoryDurable implements DurableOrders {
  constructor(readonly records: Map<string, OrderRecord>) {}
  async storedOrders(orderIds: readonly string[]) {
    const found = new Map<string, StoredOrder>();
    for (const id of orderIds) {
      const record = this.records.get(id);
      if (record !== undefined) found.set(id, { record, version: record.updatedAt });
    }
    return found;
  }
  async storedPage(query: OrderListQuery, after: OrderCursor, size: number) {
    return matching([...this.records.values()], query)
      .filter((r) => newestFirst(after, r) < 0)
      .slice(0, size)
      .map((record) => ({ record, version: record.updatedAt }));
  }
  async withFills(orders: readonly StoredOrder[]) {
    return orders.map((o) => o.record);
  }
  async listTrades() {
    return [] as UserTradeRecord[];
  }
}

function matching(records: OrderRecord[], query: OrderListQuery): OrderRecord[] {
  return records
    .filter((r) => r.userId === query.userId && r.symbol === query.symbol)
    .filter((r) => query.statuses === undefined || query.statuses.includes(r.status))
    .sort(newestFirst);
}

const STATUS_FILTERS: ReadonlyArray<readonly OrderStatus[] | undefined> = [
  undefined,
  ['new', 'partially_filled'],
  ['new'],
  ['filled'],
  ['canceled'],
];

describe('persistence/reads: HotCachedOrderQueries over in-memory stores', () => {
  it('lists exactly what the later state of every order gives, whichever store is ahead or missing', async () => {
    const order = fc.record({
      userId: fc.constantFrom(1, 2),
      created: fc.integer({ min: 0, max: 30 }),
      fills: fc.integer({ min: 0, max: 2 }),
      end: fc.constantFrom<OrderStatus | null>(null, 'filled', 'canceled', 'expired'),
      // Where each store is in the order's life: a fraction of it, or absent (-1).
      redisAt: fc.integer({ min: -1, max: 4 }),
      mysqlAt: fc.integer({ min: -1, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(order, { maxLength: 25 }),
        fc.integer({ min: 1, max: 3 }),
        async (orders, limit) => {
          const hot = new Map<string, OrderRecord>();
          const stored = new Map<string, OrderRecord>();
          const later: OrderRecord[] = [];
          orders.forEach((o, i) => {
            const states = life(String(1000 + i), o.userId, T0 + o.created * 10, o.fills, o.end);
            const at = (n: number) => states[Math.min(n, states.length - 1)]!;
            if (o.redisAt >= 0) hot.set(at(o.redisAt).orderId, at(o.redisAt));
            if (o.mysqlAt >= 0) stored.set(at(o.mysqlAt).orderId, at(o.mysqlAt));
            if (o.redisAt >= 0 || o.mysqlAt >= 0) later.push(at(Math.max(o.redisAt, o.mysqlAt)));
          });
          const queries = new HotCachedOrderQueries(new MemoryHot(hot), new MemoryDurable(stored));
          for (const statuses of STATUS_FILTERS) {
            const query = { userId: 1, symbol: SYMBOL, statuses, limit };
            const expected = matching(later, query).slice(0, limit);
            expect(await queries.listOrders(query), JSON.stringify({ statuses, limit })).to.deep.equal(
              expected,
            );
          }
          for (const record of later) expect(await queries.getOrder(record.orderId)).to.deep.equal(record);
        },
      ),
      { numRuns: 1000, seed: 4242 },
    );
  });

  it("reads Redis's list further when MySQL's later states push its first page out of a filter", async () => {
    // Redis lost the fills of the two newest orders (it shows them open); MySQL has them filled.
    const states = [
      life('1', 1, T0, 0, null),
      life('2', 1, T0 + 10, 0, 'filled'),
      life('3', 1, T0 + 20, 0, 'filled'),
    ];
    const hot = new MemoryHot(new Map(states.map((s) => [s[0]!.orderId, s[0]!])));
    const durable = new MemoryDurable(new Map(states.map((s) => [s.at(-1)!.orderId, s.at(-1)!])));
    const queries = new HotCachedOrderQueries(hot, durable);
    const open = await queries.listOrders({ userId: 1, symbol: SYMBOL, statuses: ['new'], limit: 2 });
    expect(open.map((r) => r.orderId)).to.deep.equal(['1']);
    expect(hot.calls).to.be.greaterThan(1);
  });

  it('getLatestOrder answers from Redis alone when it holds the order, else as getOrder', async () => {
    // Order 1: Redis holds it partially filled, MySQL (ahead, as if Redis lost a write) filled.
    // Order 2: only MySQL holds it (final, expired from Redis). Order 4: nobody.
    const [one, two] = [life('1', 1, T0, 1, 'filled'), life('2', 1, T0, 0, 'canceled')];
    const hot = new MemoryHot(new Map([['1', one[1]!]]));
    const stored = new MemoryDurable(
      new Map([
        ['1', one[2]!],
        ['2', two[1]!],
      ]),
    );
    let mysqlReads = 0;
    const counted: DurableOrders = {
      ...stored,
      storedOrders: (ids) => {
        mysqlReads++;
        return stored.storedOrders(ids);
      },
      storedPage: stored.storedPage.bind(stored),
      withFills: stored.withFills.bind(stored),
      listTrades: stored.listTrades.bind(stored),
    };
    const queries = new HotCachedOrderQueries(hot, counted);
    expect(await queries.getLatestOrder('1'), 'the read model, as it is').to.deep.equal(one[1]);
    expect(mysqlReads).to.equal(0);
    expect(await queries.getLatestOrder('2'), 'only MySQL has it').to.deep.equal(two[1]);
    expect(await queries.getLatestOrder('4')).to.equal(undefined);
    expect(mysqlReads).to.equal(2);
    // getOrder still merges both stores: MySQL is ahead here (order 1 filled).
    expect((await queries.getOrder('1'))!.status).to.equal('filled');
  });

  it('orders by progress, creation and trade seq as both stores do', () => {
    const [placed, filled] = [
      limitRecord('1', 1, 'buy', 1, 1),
      limitRecord('1', 1, 'buy', 1, 1, { status: 'filled', filledQuantity: 1 }),
    ];
    expect(compareProgress(filled, placed)).to.be.greaterThan(0);
    expect(compareProgress(placed, filled)).to.be.lessThan(0);
    expect(compareProgress(placed, { ...placed, price: 2 })).to.equal(0); // an amend in the same ms: a tie
    expect(compareProgress({ ...placed, updatedAt: T0 + 1 }, filled)).to.be.greaterThan(0);
    // Newest first; within one millisecond the larger id first, numerically.
    const ids = ['9', '10', '100', '11'].map((orderId) => ({ orderId, createdAt: T0 }));
    expect(ids.sort(newestFirst).map((c) => c.orderId)).to.deep.equal(['100', '11', '10', '9']);
    expect(newestFirst({ orderId: '1', createdAt: T0 + 1 }, { orderId: '2', createdAt: T0 })).to.be.lessThan(
      0,
    );
    const fill = (tradeId: string, liquidity: 'maker' | 'taker') =>
      ({ tradeId, liquidity }) as unknown as UserTradeRecord;
    const fills = [fill('BTC-USDT:9', 'taker'), fill('BTC-USDT:10', 'taker'), fill('BTC-USDT:10', 'maker')];
    expect(fills.sort(newestFillFirst).map((f) => `${f.tradeId} ${f.liquidity}`)).to.deep.equal([
      'BTC-USDT:10 maker',
      'BTC-USDT:10 taker',
      'BTC-USDT:9 taker',
    ]);
  });
});
