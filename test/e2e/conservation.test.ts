import { expect } from 'chai';
import { parseUnits } from '../../src/money/decimal.ts';
import { checkConservation } from '../support/conservation.ts';
import {
  codeOf,
  FINAL_STATUSES,
  type ApiClient,
  type HttpResponse,
  type Order,
  type PlaceOrder,
} from '../support/http-client.ts';
import { Cluster } from 'ioredis';
import { auditMysql } from '../../src/audit/mysql-audit.ts';
import { auditRedis } from '../../src/audit/redis-audit.ts';
import { scanKeys } from '../../src/redis/scan-keys.ts';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '../support/private-redis-cluster.ts';
import { pollUntil } from '../support/system.ts';
import { Harness, waitForDepth, type Trader } from './harness.ts';

/**
 * DESIGN.md invariants 1, 2 and 5 after a randomized run through the whole pipeline: eight users
 * send a few hundred mixed commands (limits on both sides around a mid, post-only, IOC, FOK, market
 * orders by quantity and by quote, every self-trade mode, cancels, amends, cancel-all, clientOrderId
 * repeats) on the three seeded symbols, concurrently, to two matcher threads. At the quiescent point
 * every acknowledged order exists, no book is crossed, fills add up, and balances are conserved;
 * after cancelling everything, every order is final, nothing is locked, and each user's balances
 * equal their deposits plus what their fills say they received minus what they spent and paid.
 *
 * E2E_SEED=<n> replays another sequence (each user's commands are a function of the seed and the
 * user; their interleaving across users is not).
 */

const SEED = Number(process.env.E2E_SEED ?? 20260521);
const USERS = 8;
const COMMANDS_PER_USER = 60;
const FUNDS: Readonly<Record<string, string>> = { USDT: '15000', BTC: '0.3', ETH: '4', SOL: '80' };
/**
 * Amends that need more funds are sent too (a higher price for a buy, a larger quantity); set this to
 * false to send only those that need none.
 */
const AMENDS_NEEDING_FUNDS = true;

interface Book {
  readonly symbol: string;
  /** Mid price and price step in ticks; tick and lot as decimal scales. */
  readonly mid: number;
  readonly step: number;
  readonly tickScale: number;
  readonly lotScale: number;
}

const BOOKS: readonly Book[] = [
  { symbol: 'BTC-USDT', mid: 3_000_000, step: 500, tickScale: 2, lotScale: 5 },
  { symbol: 'ETH-USDT', mid: 200_000, step: 50, tickScale: 2, lotScale: 4 },
  { symbol: 'SOL-USDT', mid: 10_000, step: 5, tickScale: 2, lotScale: 3 },
];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const scaled = (units: number, scale: number) => {
  const digits = String(units).padStart(scale + 1, '0');
  return `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
};

interface Placed {
  readonly orderId: string;
  readonly symbol: string;
  readonly clientOrderId: string | null;
  readonly side: 'buy' | 'sell';
  /** The limit in ticks and the quantity in lots as last asked for (0 for a market order). */
  price: number;
  quantity: number;
  amended: boolean;
}

/** One user's run: commands drawn from its own generator, sent one after the other. */
async function runUser(trader: Trader, log: Placed[], books: readonly Book[]): Promise<void> {
  const random = prng(SEED * 1000 + trader.id);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const mine: Placed[] = [];
  const client = trader.client;

  const priceTicks = (book: Book) => book.mid + int(-10, 10) * book.step;
  const price = (book: Book) => scaled(priceTicks(book), book.tickScale);
  const quantity = (book: Book) => scaled(int(100, 20_000), book.lotScale);
  const expectStatus = (
    res: HttpResponse<unknown>,
    allowed: ReadonlyArray<number | string>,
    what: string,
  ) => {
    const ok = allowed.includes(res.status) || allowed.includes(codeOf(res) ?? '');
    expect(ok, `user ${trader.id} ${what}: ${res.status} ${res.text}`).to.equal(true);
  };

  for (let n = 0; n < COMMANDS_PER_USER; n++) {
    const book = pick(books);
    const symbol = book.symbol;
    const wait = random() < 0.3;
    const r = random();
    const own = mine.filter((p) => p.symbol === symbol);

    if (r < 0.62 || own.length === 0) {
      const side = random() < 0.5 ? 'buy' : 'sell';
      const stp = pick(['expire_taker', 'expire_taker', 'expire_maker', 'expire_both', 'none'] as const);
      let order: PlaceOrder;
      if (r < 0.38) {
        order = {
          symbol,
          side,
          type: 'limit',
          price: price(book),
          quantity: quantity(book),
          postOnly: random() < 0.15,
        };
      } else if (r < 0.46) {
        order = {
          symbol,
          side,
          type: 'limit',
          price: price(book),
          quantity: quantity(book),
          timeInForce: 'IOC',
        };
      } else if (r < 0.51) {
        order = {
          symbol,
          side,
          type: 'limit',
          price: price(book),
          quantity: quantity(book),
          timeInForce: 'FOK',
        };
      } else if (r < 0.55 && side === 'buy') {
        order = { symbol, side, type: 'market', quoteQuantity: scaled(int(2_000, 200_000), 2) };
      } else if (r < 0.62) {
        order = {
          symbol,
          side,
          type: 'market',
          quantity: quantity(book),
          timeInForce: pick(['IOC', 'FOK'] as const),
        };
      } else {
        order = { symbol, side, type: 'limit', price: price(book), quantity: quantity(book) };
      }
      const repeat =
        random() < 0.1 ? mine.find((p) => p.symbol === symbol && p.clientOrderId !== null) : undefined;
      const clientOrderId = repeat?.clientOrderId ?? (random() < 0.3 ? `u${trader.id}-${n}` : undefined);
      const res = await client.place({ ...order, selfTradePrevention: stp, clientOrderId }, { wait });
      expectStatus(res, [200, 202], `place ${JSON.stringify(order)}`);
      if (repeat !== undefined) {
        expect(res.body.orderId, 'a repeated clientOrderId answers with the first order').to.equal(
          repeat.orderId,
        );
        continue;
      }
      const placed: Placed = {
        orderId: res.body.orderId,
        symbol,
        clientOrderId: clientOrderId ?? null,
        side,
        price: order.price === undefined ? 0 : Number(parseUnits(order.price, book.tickScale)),
        quantity: order.quantity === undefined ? 0 : Number(parseUnits(order.quantity, book.lotScale)),
        amended: false,
      };
      mine.push(placed);
      log.push(placed);
    } else if (r < 0.77) {
      const target = pick(own);
      const res = await client.cancel(target.orderId, symbol, { wait });
      expectStatus(res, [200, 202, 'ORDER_NOT_OPEN', 'ORDER_NOT_FOUND'], 'cancel');
    } else if (r < 0.93) {
      const target = pick(own);
      const change = pick(['price', 'quantity', 'both'] as const);
      let newPrice = priceTicks(book);
      let newQuantity = int(100, 20_000);
      if (!AMENDS_NEEDING_FUNDS && target.price > 0) {
        // Never more funds: a buy only lowers its price, and every order only lowers its quantity.
        if (target.side === 'buy') newPrice = Math.min(newPrice, target.price);
        newQuantity = int(100, Math.max(100, target.quantity));
      }
      if (change !== 'quantity') target.price = newPrice;
      if (change !== 'price') target.quantity = newQuantity;
      target.amended = true;
      const body = {
        ...(change !== 'quantity' ? { price: scaled(newPrice, book.tickScale) } : {}),
        ...(change !== 'price' ? { quantity: scaled(newQuantity, book.lotScale) } : {}),
      };
      const res = await client.amend(target.orderId, symbol, body, { wait });
      expectStatus(
        res,
        [
          200,
          202,
          'ORDER_NOT_OPEN',
          'ORDER_NOT_FOUND',
          'INSUFFICIENT_FUNDS',
          'POST_ONLY_WOULD_TAKE',
          'COMMAND_REJECTED',
        ],
        `amend ${JSON.stringify(body)}`,
      );
    } else {
      expectStatus(await client.cancelAll(symbol), [202], 'cancel all');
    }
  }
}

/** units of an asset (all seeded assets have 8 decimals). */
const units = (text: string) => parseUnits(text, 8, { allowZero: true });

/**
 * Where the system's Redis is: the shared one, or a private 3-master Cluster (DESIGN.md §7). The
 * seeded symbols all hash to the first master's slots, so the Cluster run trades BTC-USDT, DOT-USDT
 * and ADA-USDT (test/e2e/fixtures/cluster-markets.json: the seeded rules, other bases), one stream
 * per master; the eight users' keys spread over all three masters either way.
 */
interface Scenario {
  readonly topology: 'one Redis' | 'a 3-master Redis Cluster';
  readonly books: readonly Book[];
  readonly funds: Readonly<Record<string, string>>;
}

const CLUSTER_BOOKS: readonly Book[] = [
  BOOKS[0]!,
  { ...BOOKS[1]!, symbol: 'DOT-USDT' },
  { ...BOOKS[2]!, symbol: 'ADA-USDT' },
];
const SCENARIOS: readonly Scenario[] = [
  { topology: 'one Redis', books: BOOKS, funds: FUNDS },
  {
    topology: 'a 3-master Redis Cluster',
    books: CLUSTER_BOOKS,
    funds: { USDT: FUNDS.USDT!, BTC: FUNDS.BTC!, DOT: FUNDS.ETH!, ADA: FUNDS.SOL! },
  },
];

for (const scenario of SCENARIOS) conservationRun(scenario);

function conservationRun(scenario: Scenario): void {
  const { topology } = scenario;
  describe(`e2e: conservation after a randomized multi-user run, on ${topology}`, function () {
    this.timeout(60_000);
    let cluster: PrivateRedisCluster | undefined;
    let h: Harness;
    let traders: Trader[];
    const log: Placed[] = [];
    const { books, funds } = scenario;
    const symbols = books.map((b) => b.symbol);

    before(async function () {
      this.timeout(30_000);
      if (topology === 'one Redis') h = await Harness.start();
      else {
        cluster = await startPrivateRedisCluster();
        h = await Harness.start({
          env: {
            REDIS_URL: cluster.url,
            REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
            MARKETS_FILE: 'test/e2e/fixtures/cluster-markets.json',
          },
        });
      }
      traders = [];
      for (let i = 0; i < USERS; i++) traders.push(await h.trader(funds));
    });
    after(async () => {
      await h?.stop();
      await cluster?.destroy();
    });

    async function allOrders(client: ApiClient, symbol: string): Promise<Order[]> {
      const res = await client.orders(symbol, '&limit=1000');
      expect(res.status).to.equal(200);
      return res.body;
    }

    it(`runs ${USERS * COMMANDS_PER_USER} commands of ${USERS} users concurrently (seed ${SEED})`, async () => {
      await Promise.all(traders.map((trader) => runUser(trader, log, books)));
      expect(log.length).to.be.greaterThan(USERS * COMMANDS_PER_USER * 0.4);
    });

    it('at the quiescent point: every order exists, no book is crossed, fills add up, assets are conserved', async () => {
      await h.system.waitForIdle(symbols);
      const orders = new Map<string, Order>();
      for (const { client } of traders) {
        for (const symbol of symbols)
          for (const order of await allOrders(client, symbol)) orders.set(order.orderId, order);
      }
      for (const placed of log)
        expect(orders.has(placed.orderId), `order ${placed.orderId} is missing`).to.equal(true);
      expect(orders.size).to.equal(log.length);
      const statuses = new Set([...orders.values()].map((o) => o.status));
      expect([...statuses], 'the run reached every final status').to.include.members(FINAL_STATUSES);
      const amended = new Set(log.filter((p) => p.amended).map((p) => p.orderId));

      for (const order of orders.values()) {
        const book = books.find((b) => b.symbol === order.symbol)!;
        const lots = (q: string) => Number(parseUnits(q, book.lotScale, { allowZero: true }));
        const filled = order.fills.reduce((sum, f) => sum + lots(f.quantity), 0);
        expect(lots(order.filledQuantity), `order ${order.orderId} fills`).to.equal(filled);
        if (order.quantity !== null) expect(filled).to.be.at.most(lots(order.quantity));
        const quote = order.fills.reduce(
          (sum, f) => sum + (units(f.price) * units(f.quantity)) / 100_000_000n,
          0n,
        );
        expect(units(order.filledQuoteQuantity), `order ${order.orderId} quote`).to.equal(quote);
        // An amended order may have traded at its earlier limit.
        if (order.price !== null && !amended.has(order.orderId)) {
          for (const f of order.fills) {
            const within =
              order.side === 'buy'
                ? units(f.price) <= units(order.price)
                : units(f.price) >= units(order.price);
            expect(
              within,
              `order ${order.orderId} traded at ${f.price} beyond its limit ${order.price}`,
            ).to.equal(true);
          }
        }
        if (order.status === 'rejected') expect(order.fills).to.deep.equal([]);
      }

      for (const symbol of symbols) {
        const open = [...orders.values()].filter(
          (o) => o.symbol === symbol && !FINAL_STATUSES.includes(o.status),
        );
        const bids = open.filter((o) => o.side === 'buy').map((o) => units(o.price!));
        const asks = open.filter((o) => o.side === 'sell').map((o) => units(o.price!));
        if (bids.length > 0 && asks.length > 0) {
          const best = (xs: bigint[], f: (a: bigint, b: bigint) => boolean) =>
            xs.reduce((a, b) => (f(a, b) ? a : b));
          expect(best(bids, (a, b) => a > b) < best(asks, (a, b) => a < b), `${symbol} is crossed`).to.equal(
            true,
          );
        }
      }
      await checkConservation(h.system, h.ledger);
    });

    it('after cancelling everything: every order final, books empty, nothing locked, balances = deposits + fills', async () => {
      for (const { client } of traders)
        for (const symbol of symbols) expect((await client.cancelAll(symbol)).status).to.equal(202);
      await h.system.waitForIdle(symbols);
      for (const { client } of traders) {
        for (const symbol of symbols) {
          const open = await client.orders(symbol, '&status=open');
          expect(open.body, `user open orders on ${symbol}`).to.deep.equal([]);
        }
      }
      const final = new Map<string, string>();
      for (const { client } of traders) {
        for (const symbol of symbols)
          for (const o of await allOrders(client, symbol)) final.set(o.orderId, o.status);
      }
      for (const { orderId } of log) {
        expect(FINAL_STATUSES, `order ${orderId} is ${final.get(orderId)}`).to.include(final.get(orderId));
      }
      for (const symbol of symbols) await waitForDepth(h.system.http, symbol, { bids: [], asks: [] });
      const report = await checkConservation(h.system, h.ledger, { zeroLocked: true });

      // Each user's balances from their own fills: received − fee − spent, on top of the deposits.
      const tradeSides = new Map<string, number>();
      for (const trader of traders) {
        const expected = new Map<string, bigint>(
          Object.entries(funds).map(([asset, amount]) => [asset, units(amount)]),
        );
        const add = (asset: string, amount: bigint) =>
          expected.set(asset, (expected.get(asset) ?? 0n) + amount);
        for (const symbol of symbols) {
          const [base, quote] = symbol.split('-') as [string, string];
          const trades = await trader.client.trades(symbol, '&limit=1000');
          expect(trades.body.length).to.be.below(1000);
          for (const t of trades.body) {
            tradeSides.set(t.tradeId, (tradeSides.get(t.tradeId) ?? 0) + 1);
            const baseAmount = units(t.quantity);
            const quoteAmount = units(t.quoteQuantity);
            expect(quoteAmount).to.equal((units(t.price) * baseAmount) / 100_000_000n);
            expect(t.feeAsset).to.equal(t.side === 'buy' ? base : quote);
            add(base, t.side === 'buy' ? baseAmount : -baseAmount);
            add(quote, t.side === 'buy' ? -quoteAmount : quoteAmount);
            add(t.feeAsset, -units(t.fee));
          }
        }
        const balances = await h.system.balances.getBalances(trader.id);
        const actual = new Map(balances.map((b) => [b.asset, b.available + b.locked]));
        for (const [asset, amount] of expected) {
          expect(actual.get(asset) ?? 0n, `user ${trader.id} ${asset}`).to.equal(amount);
        }
      }
      // Every trade has exactly its two sides, the maker's and the taker's.
      for (const [tradeId, sides] of tradeSides) expect(sides, `trade ${tradeId}`).to.equal(2);
      const fees = [...report.totals.values()].reduce((sum, t) => sum + t.fees, 0n);
      expect(fees > 0n, 'the run charged fees').to.equal(true);
      expect(tradeSides.size, 'the run made trades').to.be.greaterThan(20);
    });
    it('the audits find Redis and MySQL clean and equal, and on a Cluster every master held part of the run', async () => {
      const { redis, keys, mysql } = h.system;
      const redisReport = await auditRedis(redis, keys, { quiescent: true });
      expect(redisReport.differences, 'Redis audit').to.deep.equal([]);
      // The writer flushes every 500 ms: lags are allowed until then, differences never.
      await pollUntil(
        'the MySQL audit to find MySQL equal to Redis',
        async () => {
          const report = await auditMysql(redis, keys, mysql.pool, { quiescent: true });
          expect(report.differences, 'MySQL audit').to.deep.equal([]);
          return report.lags.length === 0 ? report : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 250 },
      );
      if (redis instanceof Cluster) {
        const masters = redis.nodes('master');
        expect(masters).to.have.length(3);
        const perMaster = await Promise.all(masters.map((node) => node.dbsize()));
        expect(
          perMaster.every((n) => n > 0),
          `keys per master: ${perMaster.join('/')}`,
        ).to.equal(true);
        const balanceKeys = await scanKeys(redis, `${keys.prefix}:bal:*`);
        expect(balanceKeys.length, 'funded users').to.be.at.least(USERS);
      }
    });
  });
}
