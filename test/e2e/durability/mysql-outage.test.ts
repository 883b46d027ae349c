/**
 * Issue 4's MySQL outage test on real processes: the system runs against a private MariaDB (its own
 * port and datadir, test/support/private-services.ts; the shared server is never touched), which is
 * stopped for 20 s under a steady order flow, then started again.
 *
 * Nothing is lost: the matcher keeps matching in Redis while its writer owes the rows (every failed
 * flush is retried, never dropped); once it owes WRITER_BACKPRESSURE_ROWS it stops reading, the
 * streams grow (they are trimmed only at durable checkpoints), and past MAX_SYMBOL_BACKLOG the API
 * refuses new orders with 503 SYMBOL_BACKLOGGED and a Retry-After (backpressure engaged). When
 * MariaDB is back the writer catches up, the API accepts orders again (released), and the end state
 * is exact: every acknowledged order final, every asset conserved, MySQL equal to Redis.
 */
import { expect } from 'chai';
import { DurableCluster, sleep, waitUntil } from '../../support/durable-cluster.ts';
import { startPrivateMariaDb, type PrivateMariaDb } from '../../support/private-services.ts';

const OUTAGE_MS = 20_000;

describe('e2e/durability: MariaDB stopped for 20 s under order flow', function () {
  this.timeout(180_000);
  let mariadb: PrivateMariaDb;
  let cluster: DurableCluster;

  before(async function () {
    this.timeout(90_000);
    mariadb = await startPrivateMariaDb();
    cluster = await DurableCluster.start({
      mysqlServerUrl: mariadb.url,
      matchers: 1,
      env: { MAX_SYMBOL_BACKLOG: '60', WRITER_BACKPRESSURE_ROWS: '200', WAIT_TIMEOUT_MS: '1000' },
    });
  });
  after(async function () {
    this.timeout(60_000);
    if (mariadb !== undefined && !mariadb.isRunning()) await mariadb.start().catch(() => undefined);
    await cluster?.stop();
    await mariadb?.destroy();
  });

  it('loses nothing: backpressure engages during the outage, releases after it, the writer catches up', async () => {
    const matcher = cluster.matchers[0]!;
    cluster.flow.start(3, 5);
    await sleep(2_000);
    const stoppedAt = Date.now();
    await mariadb.stop();
    await sleep(OUTAGE_MS - (Date.now() - stoppedAt));
    const acceptedDuring = cluster.flow.acknowledgedSince(stoppedAt);
    const refusedDuring = cluster.flow.backlogged.filter((b) => b.at >= stoppedAt);
    await mariadb.start();
    const startedAt = Date.now();

    // Engaged: the writer failed and kept its rows; the API refused places once a stream passed the bound.
    expect(
      matcher.logs.some(
        (l) => l.msg === 'MySQL flush failed; retrying (nothing is dropped)' && l.time >= stoppedAt,
      ),
      'the matcher logged its failing writer',
    ).to.equal(true);
    expect(refusedDuring.length, '503 SYMBOL_BACKLOGGED during the outage').to.be.greaterThan(0);
    expect(
      refusedDuring.every((b) => b.retryAfter !== null && Number(b.retryAfter) >= 1),
      'Retry-After',
    ).to.equal(true);
    expect(acceptedDuring, 'orders acknowledged during the outage, before the bound').to.be.greaterThan(0);

    // Released: the writer catches up, streams are trimmed, and places are taken again.
    await matcher.waitFor((l) => l.msg === 'MySQL flushes succeed again' && l.time >= startedAt, {
      timeoutMs: 20_000,
      what: 'the writer to succeed again',
    });
    await waitUntil(
      'orders to be acknowledged again',
      20_000,
      async () => cluster.flow.acknowledgedSince(startedAt) > 30,
    );
    const releasedAt = Date.now();
    await sleep(2_000);
    const refusedAfter = cluster.flow.backlogged.filter((b) => b.at >= releasedAt).length;
    expect(refusedAfter, '503s once released').to.equal(0);
    console.log(
      `      (outage ${startedAt - stoppedAt} ms: ${acceptedDuring} acknowledged, then ${refusedDuring.length} ` +
        `refused with 503; acknowledged again ${releasedAt - startedAt} ms after the restart)`,
    );

    await cluster.quiesce(60_000);
    expect(
      cluster.flow.failures.slice(0, 5).map((f) => f.what),
      'unexpected answers',
    ).to.deep.equal([]);
    await cluster.verify();
  });
});
