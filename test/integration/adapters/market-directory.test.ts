import { expect } from 'chai';
import { RedisMarketDirectory } from '../../../src/adapters/api/market-directory.ts';
import { compileMarket, type MarketDefinition } from '../../../src/markets/market-rules.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

const BTC: MarketDefinition = {
  symbol: 'BTC-USDT',
  base: 'BTC',
  quote: 'USDT',
  basePrecision: 8,
  quotePrecision: 8,
  tickSize: '0.01',
  lotSize: '0.00001',
  minNotional: '5',
  makerFee: '0.001',
  takerFee: '0.002',
  status: 'trading',
};
const ETH: MarketDefinition = { ...BTC, symbol: 'ETH-USDT', base: 'ETH', lotSize: '0.0001' };
const SOL: MarketDefinition = { ...BTC, symbol: 'SOL-USDT', base: 'SOL', lotSize: '0.01' };

const symbols = async (d: RedisMarketDirectory) => (await d.list()).map((m) => m.definition.symbol);

/** Polls `check` every 5 ms until it holds; returns how long that took. */
async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - started;
}

describe('adapters/api/market-directory', () => {
  let t: TestRedis;
  const open: RedisMarketDirectory[] = [];
  const errors: Error[] = [];
  async function openDirectory(checkIntervalMs = 1_000): Promise<RedisMarketDirectory> {
    const directory = await RedisMarketDirectory.open({
      redis: t.redis,
      subscriber: t.redis.duplicate(),
      keys: t.keys,
      checkIntervalMs,
      onError: (error) => errors.push(error),
    });
    open.push(directory);
    return directory;
  }

  before(async () => {
    t = await openTestRedis();
  });
  after(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.redis.del(t.keys.markets, t.keys.marketsVersion);
    errors.length = 0;
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });

  it('seeds the markets only when the registry is empty, once under concurrent starts', async () => {
    const [a, b] = await Promise.all([openDirectory(), openDirectory()]);
    expect(await a.list()).to.deep.equal([]);
    const seeded = await Promise.all([
      a.seedIfEmpty([compileMarket(BTC), compileMarket(ETH)]),
      b.seedIfEmpty([compileMarket(SOL)]),
    ]);
    expect([...seeded].sort()).to.deep.equal([0, 2]);
    expect(await symbols(a)).to.deep.equal(['BTC-USDT', 'ETH-USDT']);
    expect(await t.redis.get(t.keys.marketsVersion)).to.equal('1');
    expect(await a.seedIfEmpty([compileMarket(SOL)])).to.equal(0);
    expect(await t.redis.hkeys(t.keys.markets)).to.have.members(['BTC-USDT', 'ETH-USDT']);
    expect(JSON.parse((await t.redis.hget(t.keys.markets, 'BTC-USDT'))!)).to.deep.equal(BTC);
    await eventually(async () => (await symbols(b)).length === 2, 1_000);
  });

  it('creates and updates a market, bumping the version each time, and reads its own writes', async () => {
    const d = await openDirectory();
    expect(await d.upsert(compileMarket(BTC))).to.deep.equal({ created: true });
    expect(d.version).to.equal('1');
    expect((await d.get('BTC-USDT'))?.definition).to.deep.equal(BTC);
    expect(await d.upsert(compileMarket({ ...BTC, takerFee: '0.003' }))).to.deep.equal({ created: false });
    expect(await t.redis.get(t.keys.marketsVersion)).to.equal('2');
    expect((await d.get('BTC-USDT'))?.rules.takerFeePpm).to.equal(3_000);
    expect(await d.get('NOPE-USDT')).to.equal(undefined);
  });

  it('shows another instance a change at once through the change channel', async () => {
    const writer = await openDirectory(60_000);
    const reader = await openDirectory(60_000);
    await writer.upsert(compileMarket(BTC));
    // The periodic check is a minute away: only the message can bring the change this fast.
    const took = await eventually(async () => (await reader.get('BTC-USDT')) !== undefined, 500);
    expect(took).to.be.below(500);
    await writer.upsert(compileMarket({ ...BTC, status: 'halted' }));
    await eventually(async () => (await reader.get('BTC-USDT'))?.definition.status === 'halted', 500);
    expect(reader.version).to.equal('2');
  });

  it('catches up within one check period when the change message was missed', async () => {
    const reader = await openDirectory(100);
    // A change written behind the directories' back, without a message: as if it was lost.
    await t.redis.hset(t.keys.markets, 'ETH-USDT', JSON.stringify(ETH));
    await t.redis.incr(t.keys.marketsVersion);
    const took = await eventually(async () => (await reader.get('ETH-USDT')) !== undefined, 1_000);
    expect(took).to.be.below(400);
    expect(reader.version).to.equal('1');
  });

  it('keeps serving the other markets when a stored definition is broken, and says so', async () => {
    const d = await openDirectory(60_000);
    await d.upsert(compileMarket(BTC));
    await t.redis.hset(t.keys.markets, 'BTC-USDT', '{"symbol":"BTC-USDT"}', 'ETH-USDT', JSON.stringify(ETH));
    await d.reload();
    expect(await symbols(d)).to.deep.equal(['BTC-USDT', 'ETH-USDT']);
    expect((await d.get('BTC-USDT'))?.definition).to.deep.equal(BTC);
    // Once per load that met it (the upsert's own change message may bring one more).
    expect(errors).to.have.length.at.least(1);
    for (const error of errors) expect(error.message).to.match(/^market BTC-USDT: /);
  });

  it('closes cleanly: no timer, no subscriber, and the last copy stays readable', async () => {
    const d = await openDirectory(10);
    await d.upsert(compileMarket(BTC));
    const clients = async () => (await t.redis.pubsub('NUMSUB', t.keys.marketsChanged))[1];
    expect(await clients()).to.equal(1);
    await d.close();
    await d.close();
    expect(await clients()).to.equal(0);
    expect(await symbols(d)).to.deep.equal(['BTC-USDT']);
    expect(errors).to.deep.equal([]);
  });
});
