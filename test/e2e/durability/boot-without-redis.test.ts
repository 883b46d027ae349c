/**
 * A matcher process that boots while Redis is unreachable (a node restarting before its Redis, a
 * rollout during a Redis failover) must come up by itself once Redis answers: its matcher threads
 * (restarted by the process) and its ledger worker (whose connection waits for Redis, and whose start
 * is retried with backoff should it fail), so deposits made after
 * Redis is back reach MySQL through that process. Private Redis (test/support/private-services.ts).
 */
import { expect } from 'chai';
import type { RowDataPacket } from 'mysql2/promise';
import { mintToken } from '../../../src/api/auth.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { startApi } from '../../../src/processes/api-process.ts';
import { MatcherProcess, stopAll } from '../../support/matcher-processes.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';
import { startPrivateRedis, type PrivateRedis } from '../../support/private-services.ts';
import { pollUntil } from '../../support/system.ts';

describe('e2e/durability: a matcher process booted while Redis is down', function () {
  this.timeout(90_000);
  let redis: PrivateRedis;
  let db: TestMysql;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const spawned: MatcherProcess[] = [];

  before(async () => {
    redis = await startPrivateRedis();
    db = await openTestMysql();
  });
  after(async function () {
    this.timeout(30_000);
    await stopAll(spawned);
    await api?.close().catch(() => undefined);
    await db?.close();
    await redis?.destroy();
  });

  it('starts its threads and its ledger worker once Redis answers', async () => {
    await redis.stop();
    const matcher = MatcherProcess.spawn({
      keyPrefix: 'boot',
      mysqlUrl: db.config.mysql.url,
      env: { REDIS_URL: redis.url },
    });
    spawned.push(matcher);
    // It is up but cannot reach Redis: its connections say so and keep trying.
    await matcher.waitFor((l) => /ECONNREFUSED/.test(JSON.stringify(l.err ?? '')), {
      timeoutMs: 20_000,
      what: 'a refused connection to Redis',
    });
    await redis.start();
    await matcher.waitFor((l) => l.msg === 'ledger worker started', {
      timeoutMs: 30_000,
      what: 'the ledger worker to start once Redis is back',
    });
    await matcher.ready(30_000);

    const config = loadConfig({
      NODE_ENV: 'test',
      REDIS_URL: redis.url,
      MYSQL_URL: db.config.mysql.url,
      KEY_PREFIX: 'boot',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'error',
    });
    api = await startApi(config);
    const admin = await mintToken(config.auth.jwtSecret, { userId: 1, role: 'admin', expiresIn: 600 });
    const response = await fetch(`${api.address.replace('0.0.0.0', '127.0.0.1')}/v1/admin/deposits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 7, asset: 'USDT', amount: '12.5', depositId: 'after-boot' }),
    });
    expect(response.status, await response.clone().text()).to.be.oneOf([200, 201]);
    const row = await pollUntil(
      'the deposit in MySQL',
      async () => {
        const [rows] = await db.pool.query<RowDataPacket[]>(
          'SELECT user_id, asset, amount FROM deposits WHERE deposit_id = ?',
          ['after-boot'],
        );
        return rows[0];
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect({ user: String(row.user_id), asset: row.asset, amount: String(row.amount) }).to.deep.equal({
      user: '7',
      asset: 'USDT',
      amount: '1250000000',
    });
  });
});
