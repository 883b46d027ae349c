/**
 * Issue 4's Redis restart test on real processes: the system runs against a private Redis with AOF
 * on (appendfsync always: an acknowledged XADD is on disk before the API answers), its own port and
 * directory (test/support/private-services.ts; the shared Redis is never touched). Under a steady
 * order flow Redis is killed (SIGKILL) and started again on the same data.
 *
 * Orders acknowledged before the crash survive it (they are in the AOF, with the consumer group, the
 * balances, the holds and the leases). The system resumes by itself: the API and the matchers
 * reconnect, the matchers find their leases lapsed and take their symbols over again from MySQL,
 * replaying what the stream holds after the durable checkpoint, and the flow is acknowledged again.
 * Requests that reach the API while Redis is down fail; none may fail once it is back.
 */
import { expect } from 'chai';
import { DurableCluster, sleep, waitUntil } from '../../support/durable-cluster.ts';
import { startPrivateRedis, type PrivateRedis } from '../../support/private-services.ts';

const DOWN_MS = 2_000;
/** After the restart: connections come back within this, and nothing may fail past it. */
const RECONNECT_GRACE_MS = 5_000;

describe('e2e/durability: Redis restarted (AOF on) under order flow', function () {
  this.timeout(180_000);
  let redis: PrivateRedis;
  let cluster: DurableCluster;

  before(async function () {
    this.timeout(90_000);
    redis = await startPrivateRedis({ appendonly: true, appendfsync: 'always' });
    cluster = await DurableCluster.start({ redisUrl: redis.url, matchers: 2 });
  });
  after(async function () {
    this.timeout(60_000);
    if (redis !== undefined && !redis.isRunning()) await redis.start().catch(() => undefined);
    await cluster?.stop();
    await redis?.destroy();
  });

  it('keeps every acknowledged order and resumes by itself', async () => {
    cluster.flow.start(3, 5);
    await sleep(2_500);
    const ackedBefore = cluster.flow.placed.length;
    const killedAt = Date.now();
    await redis.kill('SIGKILL');
    await sleep(DOWN_MS);
    await redis.start();
    const restartedAt = Date.now();

    await waitUntil(
      'orders to be acknowledged again',
      30_000,
      async () => cluster.flow.acknowledgedSince(restartedAt) > 50,
    );
    const resumedAfter = Date.now() - restartedAt;
    await sleep(2_000);
    const retaken = cluster.matchers.flatMap((m) => m.takeovers()).filter((t) => t.time >= killedAt);
    expect(retaken.length, 'symbols taken over again after the restart').to.be.greaterThan(0);
    console.log(
      `      (${ackedBefore} acknowledged before the crash; Redis down ${restartedAt - killedAt} ms; ` +
        `${cluster.flow.failures.length} requests failed meanwhile; acknowledged again ${resumedAfter} ms after ` +
        `the restart; ${retaken.length} takeovers, replayed ${retaken.map((t) => t.replayed).join('/')})`,
    );

    await cluster.quiesce(60_000);
    const late = cluster.flow.failures.filter((f) => f.at > restartedAt + RECONNECT_GRACE_MS);
    expect(
      late.slice(0, 5).map((f) => f.what),
      'requests failing once Redis was back',
    ).to.deep.equal([]);
    await cluster.verify();
  });
});
