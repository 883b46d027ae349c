/**
 * The published depth of a symbol after a clean handover (DESIGN.md §2; docs/pipeline.md "Market
 * data": `ex:depth:{SYMBOL}` is rewritten at most every 100 ms and after each batch that changed it).
 * Two matcher processes, the API in this process; the symbol's owner is stopped with SIGTERM right
 * after a batch whose depth write the 100 ms throttle held back.
 */
import { expect } from 'chai';
import { mintToken } from '../../../src/api/auth.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { startApi } from '../../../src/processes/api-process.ts';
import { MatcherProcess, stopAll } from '../../support/matcher-processes.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

const SYMBOL = 'BTC-USDT';
const USER = 7;
const ROUNDS = 3;

interface Depth {
  readonly bids: Array<[string, string]>;
}

interface OpenOrder {
  readonly price: string;
  readonly quantity: string;
  readonly filledQuantity: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('e2e/failover: depth after a clean handover', function () {
  this.timeout(60_000);
  let t: TestRedis;
  let db: TestMysql;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const spawned: MatcherProcess[] = [];

  before(async () => {
    t = await openTestRedis();
    db = await openTestMysql();
  });

  after(async function () {
    this.timeout(30_000);
    await stopAll(spawned);
    await api?.close();
    await t?.close();
    await db?.close();
  });

  // Regression: a clean handover used to leave the depth as the old owner's throttle held it back (the
  // new owner wrote none when there was nothing to replay), stale until the next command on the symbol.
  // A new owner now writes the depth of the book it restored at once (ReadModelObserver.takenOver).
  it('the survivor publishes the depth of the book it took over', async () => {
    const launch = (label: string) => {
      const p = MatcherProcess.spawn({
        keyPrefix: t.keys.prefix,
        mysqlUrl: db.config.mysql.url,
        shardCount: 16,
        leaseTtlMs: 1500,
        label,
      });
      spawned.push(p);
      return p;
    };
    let running = [launch('matcher 1'), launch('matcher 2')];
    await Promise.all(running.map((p) => p.ready()));
    await sleep(1_500);
    api = await startApi(
      loadConfig({
        NODE_ENV: 'test',
        REDIS_URL: process.env.REDIS_URL,
        MYSQL_URL: db.config.mysql.url,
        KEY_PREFIX: t.keys.prefix,
        SHARD_COUNT: '16',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'warn',
      }),
    );
    const secret = loadConfig({ NODE_ENV: 'test' }).auth.jwtSecret;
    const admin = await mintToken(secret, { userId: 1, role: 'admin', expiresIn: 600 });
    const user = await mintToken(secret, { userId: USER, expiresIn: 600 });
    const send = async <T>(method: string, path: string, token: string, body?: object): Promise<T> => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(api!.address + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.status, `${method} ${path}`).to.be.oneOf([200, 202]);
      return (await response.json()) as T;
    };
    await send('POST', '/v1/admin/deposits', admin, { userId: USER, asset: 'USDT', amount: '100000' });
    const ownerOf = () => {
      // The process whose latest 'symbol taken over' of the symbol is the most recent one.
      let best: { p: MatcherProcess; time: number } | undefined;
      for (const p of running) {
        for (const x of p.takeovers())
          if (x.symbol === SYMBOL && (!best || x.time > best.time)) best = { p, time: x.time };
      }
      return best?.p;
    };

    const seen: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await sleep(1_000);
      const owner = ownerOf();
      expect(owner, 'an owner of the symbol').to.not.equal(undefined);
      const survivor = running.find((p) => p !== owner)!;
      const price = (10 + round / 100).toFixed(2);
      await send('POST', '/v1/orders', user, {
        symbol: SYMBOL,
        side: 'buy',
        type: 'limit',
        price,
        quantity: '1',
      });
      await sleep(5);
      const second = (10 + round / 100 + 0.5).toFixed(2);
      await send('POST', '/v1/orders?wait=true', user, {
        symbol: SYMBOL,
        side: 'buy',
        type: 'limit',
        price: second,
        quantity: '1',
      });
      const since = Date.now();
      expect((await owner!.stop()).code).to.equal(0);
      await survivor.waitFor(
        (l) => l.msg === 'symbol taken over' && l.symbol === SYMBOL && l.time >= since - 50,
        {
          timeoutMs: 5_000,
          what: `takeover of ${SYMBOL}`,
        },
      );
      await sleep(500);

      const open = await send<OpenOrder[]>('GET', `/v1/orders?symbol=${SYMBOL}&status=open&limit=1000`, user);
      const levels = new Map<string, number>();
      for (const o of open)
        levels.set(o.price, (levels.get(o.price) ?? 0) + Number(o.quantity) - Number(o.filledQuantity));
      const expected = [...levels].sort((x, y) => Number(y[0]) - Number(x[0])).map(([p, q]) => `${p} ${q}`);
      const depth = await send<Depth>('GET', `/v1/markets/${SYMBOL}/depth`, user);
      const published = depth.bids.map(([p, q]) => `${p} ${Number(q)}`);
      seen.push(`round ${round}: published [${published.join(', ')}], resting [${expected.join(', ')}]`);
      if (published.join() !== expected.join()) break;
      // Not caught this time: a new second process, and again.
      running = [survivor, launch(`matcher ${round + 2}`)];
      await running[1]!.ready();
    }
    for (const line of seen) expect(line, seen.join('\n')).to.match(/published \[(.*)\], resting \[\1\]$/);
  });
});
