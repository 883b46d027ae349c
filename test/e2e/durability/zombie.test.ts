/**
 * Issue 4's zombie test on real processes (DESIGN.md §2, "a lease alone does not stop a paused
 * zombie; the fence does"): two matcher processes under order flow; one is frozen with SIGSTOP past
 * its leases, the other takes its symbols over (a new MySQL epoch each), then the frozen one is
 * resumed with SIGCONT and finds itself a zombie, with a batch possibly half done and rows owed.
 *
 * It must write nothing after its successor took over: every flush it commits after SIGCONT carries
 * only epochs it claimed itself after SIGCONT (when the shards come back to it), none of the epochs
 * it held before. A transaction it had open when frozen is closed by the server
 * (idle_transaction_timeout), so the successor's claim is not held back for long. And the end state
 * is exact: every acknowledged order final, nothing doubled, every asset conserved in Redis and MySQL.
 */
import { expect } from 'chai';
import type { MatcherLogLine, MatcherProcess } from '../../support/matcher-processes.ts';
import { DurableCluster, sleep, SYMBOLS } from '../../support/durable-cluster.ts';

const FREEZE_MS = 5_000;

describe('e2e/durability: a zombie matcher (SIGSTOP past its lease, then SIGCONT)', function () {
  this.timeout(120_000);
  let cluster: DurableCluster;

  before(async function () {
    this.timeout(60_000);
    cluster = await DurableCluster.start({ matchers: 2, matcherEnv: () => ({ LOG_LEVEL: 'debug' }) });
  });
  after(async function () {
    this.timeout(30_000);
    cluster?.matchers.forEach((m) => m.signal('SIGCONT'));
    await cluster?.stop();
  });

  it('is fenced: writes nothing after its successor took over, and nothing is lost or doubled', async () => {
    const [a, b] = [cluster.matchers[0]!, cluster.matchers[1]!];
    cluster.flow.start(3, 5);
    await sleep(2_500);
    const owners = ownersNow([a, b]);
    const zombie = [a, b].find((p) => SYMBOLS.some((s) => owners.get(s) === p)) ?? a;
    const successor = zombie === a ? b : a;
    const zombieSymbols = SYMBOLS.filter((s) => owners.get(s) === zombie);
    expect(zombieSymbols, 'symbols of the process to freeze').to.have.length.greaterThan(0);

    const frozenAt = Date.now();
    zombie.signal('SIGSTOP');
    const claims = new Map<string, number>();
    const delays: string[] = [];
    for (const symbol of zombieSymbols) {
      const line = await successor.waitFor(
        (l) => l.msg === 'symbol taken over' && l.symbol === symbol && l.time >= frozenAt,
        { timeoutMs: 20_000, what: `the successor's takeover of ${symbol}` },
      );
      claims.set(symbol, Number(line.epoch));
      delays.push(`${symbol} +${line.time - frozenAt} ms`);
    }
    await sleep(Math.max(0, frozenAt + FREEZE_MS - Date.now()));
    const resumedAt = Date.now();
    zombie.signal('SIGCONT');
    await sleep(4_000);

    // Every flush the zombie committed that started after SIGCONT writes only epochs it claimed
    // after SIGCONT; the epochs it held before are all older than its successor's.
    const reclaimed = new Set(
      zombie
        .takeovers()
        .filter((t) => t.time >= resumedAt)
        .map((t) => `${t.symbol}@${t.epoch}`),
    );
    const flushes = zombie.logs.filter(
      (l: MatcherLogLine) => l.msg === 'flushed' && l.time - Number(l.durationMs) >= resumedAt,
    );
    const stale = flushes.flatMap((l) =>
      (l.checkpoints as Array<[string, number]>)
        .filter(([symbol, epoch]) => !reclaimed.has(`${symbol}@${epoch}`))
        .map(([symbol, epoch]) => `${symbol}@${epoch} at +${l.time - resumedAt} ms`),
    );
    expect(stale, 'checkpoints the zombie wrote with an epoch it no longer held').to.deep.equal([]);
    for (const [symbol, epoch] of claims) {
      const before = zombie.takeovers().filter((t) => t.symbol === symbol && t.time < frozenAt);
      expect(before.length, `${symbol} was the zombie's`).to.be.greaterThan(0);
      expect(
        Math.max(...before.map((t) => t.epoch)),
        `${symbol}: the zombie's epoch is older`,
      ).to.be.lessThan(epoch);
    }
    // It noticed: its leases were gone (and a flush of its old epochs, if any, was fenced).
    expect(
      zombie.logs.some(
        (l) => l.time >= resumedAt && (l.msg === 'lease lost; symbols dropped' || /fenced/.test(l.msg)),
      ),
      'the zombie saw it had lost its symbols',
    ).to.equal(true);
    console.log(
      `      (froze the owner of ${zombieSymbols.join(', ')} for ${resumedAt - frozenAt} ms; successor epochs ` +
        `${[...claims].map(([s, e]) => `${s}@${e}`).join(', ')}; zombie flushes after SIGCONT: ${flushes.length}; taken over ${delays.join(', ')})`,
    );

    await cluster.quiesce();
    expect(
      cluster.flow.failures.slice(0, 5).map((f) => f.what),
      'unexpected answers',
    ).to.deep.equal([]);
    await cluster.verify();
  });
});

/** The latest takeover of each symbol names its owner. */
function ownersNow(processes: readonly MatcherProcess[]): Map<string, MatcherProcess> {
  const all = processes.flatMap((p) => p.takeovers().map((t) => ({ t, p })));
  const owners = new Map<string, MatcherProcess>();
  for (const { t, p } of all.sort((x, y) => x.t.time - y.t.time)) owners.set(t.symbol, p);
  return owners;
}
