/**
 * Issue 5's metrics on the running system: the API in this process and one matcher *process* with
 * two worker threads on its own METRICS_PORT, real Redis and MariaDB. A few crossing orders later,
 * both `/metrics` endpoints serve every metric of metric-names.ts with data, histograms with the
 * sub-millisecond buckets, counters that match what was done, no label that names a user or an
 * order, and the matcher's numbers are its two threads' added up (one series each, not two).
 */
import { expect } from 'chai';
import { createServer } from 'node:net';
import { rendezvousOwner } from '../../src/matcher/shard-map.ts';
import { METRICS } from '../../src/observability/metric-names.ts';
import { LATENCY_BUCKETS_SECONDS } from '../../src/observability/metrics.ts';
import { GC_KINDS, GC_PAUSE_BUCKETS_SECONDS } from '../../src/observability/thread-runtime-metrics.ts';
import { DurableCluster, SHARD_COUNT, SYMBOLS, USERS, waitUntil } from '../support/durable-cluster.ts';
import { Scrape } from '../support/prometheus-text.ts';

/** The metrics the API serves; the matcher process serves all the others. */
const API_METRICS: ReadonlySet<string> = new Set([
  METRICS.httpRequestDuration,
  METRICS.intakeRejects,
  METRICS.marketInfo,
]);
const HISTOGRAMS: ReadonlySet<string> = new Set([
  METRICS.httpRequestDuration,
  METRICS.acceptToMatched,
  METRICS.acceptToPersisted,
  METRICS.matchBatchDuration,
  METRICS.writerFlushDuration,
  METRICS.matcherThreadGcDuration,
]);
/** Histograms of pauses, not of latencies: their own buckets, and an idle thread may not have any. */
const GC_HISTOGRAMS: ReadonlySet<string> = new Set([METRICS.matcherThreadGcDuration]);
/** Every label an exchange_* series may carry: bounded lists, never a user or an order. */
const ALLOWED_LABELS = new Set([
  'method',
  'route',
  'status',
  'symbol',
  'code',
  'outcome',
  'reason',
  'table',
  'errno',
  'thread',
  'kind',
  'le',
]);
const PAIRS_PER_SYMBOL = 3;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function get(url: string): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
}

async function scrape(url: string): Promise<Scrape> {
  const { status, text, type } = await get(`${url}/metrics`);
  expect(status, text).to.equal(200);
  expect(type).to.match(/^text\/plain; version=0\.0\.4/);
  return new Scrape(text);
}

describe('e2e: Prometheus metrics of the API and of a matcher process with two threads', function () {
  this.timeout(90_000);
  let cluster: DurableCluster;
  let metricsPort: number;
  let matcherUrl: string;

  before(async function () {
    this.timeout(60_000);
    metricsPort = await freePort();
    cluster = await DurableCluster.start({
      matchers: 1,
      matcherEnv: () => ({ WORKER_THREADS: '2', METRICS_PORT: String(metricsPort) }),
    });
    matcherUrl = `http://127.0.0.1:${metricsPort}`;
  });
  after(async function () {
    this.timeout(30_000);
    await cluster?.stop();
  });

  it('the matcher process says where it serves /metrics, and answers /healthz', async () => {
    const matcher = cluster.matchers[0]!;
    const line = await matcher.waitFor((l) => l.msg === 'metrics listening', {
      timeoutMs: 5_000,
      what: "'metrics listening'",
    });
    expect(line.port).to.equal(metricsPort);
    const health = await get(`${matcherUrl}/healthz`);
    expect(health.status).to.equal(200);
    expect(JSON.parse(health.text)).to.deep.equal({ status: 'ok' });
    expect((await get(`${matcherUrl}/nothing`)).status).to.equal(404);
  });

  it('serves every metric with data after a few trades, counting exactly what was done', async () => {
    const matcher = cluster.matchers[0]!;
    // Both threads are members, and between them hold every shard (summed across threads).
    await matcher.waitFor(() => matcher.members().length === 2, { timeoutMs: 15_000, what: 'two threads' });
    await waitUntil('the two threads to hold every shard between them', 20_000, async () => {
      const s = await scrape(matcherUrl);
      return s.sum(METRICS.shardsOwned) === SHARD_COUNT && s.sum(METRICS.symbolOwned) === SYMBOLS.length;
    });
    const members = matcher.members();
    const split = members.map(
      (m) =>
        Array.from({ length: SHARD_COUNT }, (_, s) => s).filter((s) => rendezvousOwner(members, s) === m)
          .length,
    );
    const before = await scrape(matcherUrl);

    // Per symbol: a resting sell, then a buy at its price that fills it (?wait=true: matched when answered).
    const orderIds: string[] = [];
    for (const symbol of SYMBOLS) {
      for (let i = 0; i < PAIRS_PER_SYMBOL; i++) {
        const sell = await cluster.send('POST', '/v1/orders?wait=true', USERS[0], {
          symbol,
          side: 'sell',
          type: 'limit',
          price: '100.00',
          quantity: '0.10',
        });
        expect(sell.status, JSON.stringify(sell.body)).to.equal(200);
        expect(sell.body.status).to.equal('new');
        const buy = await cluster.send('POST', '/v1/orders?wait=true', USERS[1], {
          symbol,
          side: 'buy',
          type: 'limit',
          price: '100.00',
          quantity: '0.10',
        });
        expect(buy.status, JSON.stringify(buy.body)).to.equal(200);
        expect(buy.body.status).to.equal('filled');
        orderIds.push(sell.body.orderId!, buy.body.orderId!);
      }
    }
    const refused = await cluster.send('POST', '/v1/orders', USERS[0], {
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      price: '-1',
      quantity: '0.10',
    });
    expect(refused.status).to.equal(400);
    expect((await cluster.send('GET', `/v1/orders/${orderIds[0]}`, USERS[0])).status).to.equal(200);

    // Durable in MySQL: accept→persisted has a sample for every command placed.
    await waitUntil('MySQL to catch up with every stream', 20_000, () => cluster.caughtUp());
    let after!: Scrape;
    await waitUntil('accept→persisted for every order placed, and no lag', 10_000, async () => {
      after = await scrape(matcherUrl);
      const persisted = (s: Scrape, symbol: string) =>
        s.sum(`${METRICS.acceptToPersisted}_count`, { symbol });
      // The lag gauge is measured at each rebalance (a third of the lease TTL): it may lag itself.
      // Each symbol's gauges are one thread's: while shards settle between the two threads (or a
      // busy thread misses a scrape's 1 s deadline) a scrape may show none, or fewer shards than
      // there are, so wait for them.
      return (
        after.sum(METRICS.shardsOwned) === SHARD_COUNT &&
        SYMBOLS.every(
          (symbol) =>
            persisted(after, symbol) - persisted(before, symbol) >= 2 * PAIRS_PER_SYMBOL &&
            after.series(METRICS.streamLag, { symbol }).length === 1 &&
            after.series(METRICS.streamPending, { symbol }).length === 1 &&
            after.sum(METRICS.symbolOwned, { symbol }) === 1 &&
            after.sum(METRICS.streamLag, { symbol }) === 0,
        )
      );
    });
    const api = await scrape(cluster.address);

    // Every name of metric-names.ts, declared and with samples, where it belongs.
    for (const name of Object.values(METRICS)) {
      const s = API_METRICS.has(name) ? api : after;
      const type = s.types.get(name);
      expect(type, `${name} is declared`).to.not.equal(undefined);
      const samples = HISTOGRAMS.has(name) ? s.series(`${name}_count`) : s.series(name);
      expect(samples, `${name} has samples`).to.have.length.greaterThan(0);
      if (GC_HISTOGRAMS.has(name)) {
        expect(type).to.equal('histogram');
        expect(s.buckets(name)).to.deep.equal([...GC_PAUSE_BUCKETS_SECONDS, Infinity]);
      } else if (HISTOGRAMS.has(name)) {
        expect(type).to.equal('histogram');
        expect(s.buckets(name), `${name}: dense buckets below 1 ms`).to.deep.equal([
          ...LATENCY_BUCKETS_SECONDS,
          Infinity,
        ]);
        expect(s.sum(`${name}_count`), `${name} observed something`).to.be.greaterThan(0);
      }
    }

    // What was done, counted exactly (the differences: the startup probes counted before).
    const delta = (name: string, where: Record<string, string>) =>
      after.sum(name, where) - before.sum(name, where);
    for (const symbol of SYMBOLS) {
      expect(delta(METRICS.trades, { symbol }), `${symbol} trades`).to.equal(PAIRS_PER_SYMBOL);
      expect(delta(METRICS.orders, { symbol, outcome: 'new' }), `${symbol} resting sells`).to.equal(
        PAIRS_PER_SYMBOL,
      );
      expect(delta(METRICS.orders, { symbol, outcome: 'filled' }), `${symbol} filled buys`).to.equal(
        PAIRS_PER_SYMBOL,
      );
      expect(delta(METRICS.orders, { symbol }), `${symbol} places`).to.equal(2 * PAIRS_PER_SYMBOL);
      expect(delta(`${METRICS.acceptToMatched}_count`, { symbol })).to.equal(2 * PAIRS_PER_SYMBOL);
      expect(after.sum(METRICS.streamLag, { symbol }), `${symbol} lag`).to.equal(0);
      expect(after.series(METRICS.streamPending, { symbol }), `${symbol} pending`).to.have.length(1);
      expect(after.sum(METRICS.symbolOwned, { symbol })).to.equal(1);
      expect(after.sum(METRICS.symbolHalted, { symbol })).to.equal(0);
      expect(api.sum(METRICS.marketInfo, { symbol })).to.equal(1);
    }
    // The startup probes (a user without funds) were refused for funds by the matchers.
    expect(after.sum(METRICS.rejects, { reason: 'INSUFFICIENT_FUNDS' })).to.be.greaterThan(0);
    expect(after.sum(METRICS.writerRows, { table: 'trades' })).to.equal(SYMBOLS.length * PAIRS_PER_SYMBOL);
    expect(after.sum(METRICS.writerFailures)).to.equal(0);
    expect(after.sum(METRICS.writerBackpressured)).to.equal(0);
    expect(api.sum(METRICS.intakeRejects, { symbol: 'BTC-USDT', code: 'INVALID_PRICE' })).to.equal(1);
    expect(
      api.series(`${METRICS.httpRequestDuration}_count`, { route: '/v1/orders/:orderId', method: 'GET' }),
    ).to.have.length(1);
    expect(after.series('process_cpu_user_seconds_total'), "the process's default metrics").to.have.length(1);
    // Each thread's own isolate: its GC pauses by kind, and busy time that grew while it matched.
    for (const thread of ['0', '1']) {
      for (const kind of GC_KINDS)
        expect(after.series(`${METRICS.matcherThreadGcDuration}_count`, { thread, kind })).to.have.length(1);
      expect(delta(METRICS.matcherThreadBusy, { thread }), `thread ${thread} busy`).to.be.greaterThan(0);
    }

    // Two threads, one series each: aggregated, not concatenated; the shards are the sum of both threads'.
    for (const s of [after, api]) {
      const seen = new Set<string>();
      for (const sample of s.samples) {
        const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
        expect(seen.has(key), `duplicate series ${key}`).to.equal(false);
        seen.add(key);
      }
    }
    expect(after.sum(METRICS.shardsOwned)).to.equal(SHARD_COUNT);
    expect(
      split.reduce((a, b) => a + b, 0),
      `rendezvous split of the shards: ${split.join(' + ')}`,
    ).to.equal(SHARD_COUNT);

    // No label names a user or an order: only bounded labels, and none of their values is an id.
    const ids = new Set([...orderIds, ...USERS.map(String), '999999']);
    for (const s of [after, api]) {
      for (const sample of s.samples.filter((x) => x.name.startsWith('exchange_'))) {
        for (const [label, value] of Object.entries(sample.labels)) {
          expect(ALLOWED_LABELS.has(label), `${sample.name} label ${label}`).to.equal(true);
          if (label !== 'status' && label !== 'le')
            expect(ids.has(value), `${sample.name}{${label}="${value}"}`).to.equal(false);
          for (const id of orderIds)
            expect(value.includes(id), `${sample.name}{${label}="${value}"}`).to.equal(false);
        }
        if (sample.labels.symbol !== undefined)
          expect([...SYMBOLS, 'unknown'], `${sample.name} symbol`).to.include(sample.labels.symbol);
      }
    }
  });
});
