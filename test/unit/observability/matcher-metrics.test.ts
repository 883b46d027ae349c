import { expect } from 'chai';
import { MessageChannel } from 'node:worker_threads';
import { Counter, Registry } from 'prom-client';
import { OrderBook } from '../../../src/engine/order-book.ts';
import type { Command, EngineEvent } from '../../../src/engine/types.ts';
import type { ProcessedCommand } from '../../../src/matcher/symbol-processor.ts';
import { FencedError } from '../../../src/mysql/write-buffer-errors.ts';
import type { FlushResult } from '../../../src/mysql/write-buffer-options.ts';
import { MatcherMetrics, type MatcherState } from '../../../src/observability/matcher-metrics.ts';
import { METRICS } from '../../../src/observability/metric-names.ts';
import { LATENCY_BUCKETS_SECONDS } from '../../../src/observability/metrics.ts';
import { mergeThreadMetrics, ThreadMetricsCollector } from '../../../src/observability/thread-metrics.ts';
import { BTC_USDT, buy, cancel, sell } from '../../support/engine-fixtures.ts';
import { Scrape } from '../../support/prometheus-text.ts';

const T0 = 1_700_000_000_000;
const SYMBOL = 'BTC-USDT';

/** Runs commands through a real book, as the processor hands them to the metrics. */
function run(book: OrderBook, commands: Array<[ms: number, command: Command]>): ProcessedCommand[] {
  return commands.map(([ms, command], i) => {
    const stamped = { ...command, timestamp: ms } as Command;
    const events: EngineEvent[] = [];
    book.apply(stamped, events);
    return {
      entry: { entryId: `${ms}-${i}`, command: stamped, clientOrderId: null, replyTo: null },
      applied: stamped,
      events,
      refusal: null,
      held: stamped.type === 'place',
    };
  });
}

function refusedForFunds(ms: number, command: Command): ProcessedCommand {
  const stamped = { ...command, timestamp: ms } as Command;
  return {
    entry: { entryId: `${ms}-9`, command: stamped, clientOrderId: null, replyTo: null },
    applied: null,
    events: [],
    refusal: 'INSUFFICIENT_FUNDS',
    held: false,
  };
}

function flush(overrides: Partial<FlushResult>): FlushResult {
  return {
    rows: 0,
    tables: {},
    checkpoints: [],
    attempts: 1,
    retriedErrnos: [],
    durationMs: 3,
    ok: true,
    backlogRows: 0,
    ...overrides,
  };
}

function checkpoint(symbol: string, lastStreamId: string) {
  return { symbol, epoch: 1, lastStreamId, lastSeq: 0 };
}

async function scrape(metrics: MatcherMetrics): Promise<Scrape> {
  return new Scrape(await metrics.registry.metrics());
}

function state(overrides: Partial<MatcherState>): MatcherState {
  return {
    shardsOwned: () => 0,
    ownedSymbols: () => [],
    haltedSymbols: () => [],
    writerBacklog: () => 0,
    writerBackpressured: () => false,
    ...overrides,
  };
}

describe('observability: MatcherMetrics', () => {
  it('counts places by outcome, trades and rejects of a live batch, and times each command', async () => {
    const metrics = new MatcherMetrics();
    metrics.symbolTakenOver(SYMBOL);
    const book = new OrderBook(BTC_USDT);
    const commands = [
      ...run(book, [
        [T0, sell('s1', 1, 100, 5)], // rests: new
        [T0, buy('b1', 2, 100, 2)], // fills at once: filled, 1 trade
        [T0 + 1, buy('b2', 2, 101, 5)], // takes the last 3, rests with 2: partially_filled, 1 trade
        [T0 + 2, sell('s2', 1, 90, 1, { postOnly: true })], // would take: rejected (POST_ONLY_WOULD_TAKE)
        [T0 + 3, cancel('nope', 1)], // engine rejection of a cancel: ORDER_NOT_FOUND
      ]),
      refusedForFunds(T0 + 4, buy('b3', 3, 100, 1)),
    ];
    metrics.matched(SYMBOL, commands, 0.0004, T0 + 10);

    const s = await scrape(metrics);
    const at = { symbol: SYMBOL };
    expect(s.sum(METRICS.orders, { ...at, outcome: 'new' })).to.equal(1);
    expect(s.sum(METRICS.orders, { ...at, outcome: 'filled' })).to.equal(1);
    expect(s.sum(METRICS.orders, { ...at, outcome: 'partially_filled' })).to.equal(1);
    expect(s.sum(METRICS.orders, { ...at, outcome: 'rejected' })).to.equal(2);
    expect(
      s.sum(METRICS.orders, { ...at, outcome: 'expired' }),
      'every outcome exists from the start',
    ).to.equal(0);
    expect(s.series(METRICS.orders, { ...at, outcome: 'canceled' })).to.have.length(1);
    expect(s.sum(METRICS.trades, at)).to.equal(2);
    expect(s.sum(METRICS.rejects, { ...at, reason: 'POST_ONLY_WOULD_TAKE' })).to.equal(1);
    expect(s.sum(METRICS.rejects, { ...at, reason: 'ORDER_NOT_FOUND' })).to.equal(1);
    expect(s.sum(METRICS.rejects, { ...at, reason: 'INSUFFICIENT_FUNDS' })).to.equal(1);
    expect(s.sum(METRICS.rejects, at)).to.equal(3);

    // accept→matched: one sample per command, now − the entry's time: 10, 10, 9, 8, 7 and 6 ms.
    expect(s.sum(`${METRICS.acceptToMatched}_count`, at)).to.equal(6);
    expect(s.sum(`${METRICS.acceptToMatched}_sum`, at)).to.be.closeTo(0.05, 1e-9);
    expect(s.sum(`${METRICS.acceptToMatched}_bucket`, { ...at, le: '0.0075' })).to.equal(2);
    expect(s.sum(`${METRICS.acceptToMatched}_bucket`, { ...at, le: '0.01' })).to.equal(6);
    expect(s.sum(`${METRICS.matchBatchDuration}_count`, at)).to.equal(1);
    expect(s.sum(`${METRICS.matchBatchDuration}_bucket`, { ...at, le: '0.0005' })).to.equal(1);
    expect(s.buckets(METRICS.acceptToMatched)).to.deep.equal([...LATENCY_BUCKETS_SECONDS, Infinity]);
  });

  it('observes accept→persisted when the flush that commits the covering checkpoint reports', async () => {
    const metrics = new MatcherMetrics();
    metrics.symbolTakenOver(SYMBOL);
    const book = new OrderBook(BTC_USDT);
    const first = run(book, [
      [T0, sell('s1', 1, 100, 5)],
      [T0 + 2, buy('b1', 2, 100, 1)],
    ]);
    const second = run(book, [[T0 + 5, buy('b2', 2, 100, 1)]]);
    metrics.owed(SYMBOL, `${T0 + 2}-1`, first, false);
    metrics.owed(SYMBOL, `${T0 + 5}-0`, second, false);
    let s = await scrape(metrics);
    expect(s.sum(METRICS.streamPending, { symbol: SYMBOL })).to.equal(3);

    // A failed flush makes nothing durable.
    metrics.flushed(
      flush({ ok: false, error: new Error('gone'), checkpoints: [checkpoint(SYMBOL, `${T0 + 5}-0`)] }),
      T0 + 50,
    );
    s = await scrape(metrics);
    expect(s.sum(`${METRICS.acceptToPersisted}_count`)).to.equal(0);
    expect(s.sum(METRICS.writerFailures, { reason: 'error' })).to.equal(1);

    // This checkpoint covers the first batch only.
    metrics.flushed(
      flush({ checkpoints: [checkpoint(SYMBOL, `${T0 + 2}-1`)], tables: { orders: 2, trades: 1 }, rows: 3 }),
      T0 + 100,
    );
    s = await scrape(metrics);
    expect(s.sum(`${METRICS.acceptToPersisted}_count`, { symbol: SYMBOL })).to.equal(2);
    expect(s.sum(`${METRICS.acceptToPersisted}_sum`, { symbol: SYMBOL })).to.be.closeTo(0.198, 1e-9);
    expect(s.sum(METRICS.streamPending, { symbol: SYMBOL })).to.equal(1);
    expect(s.sum(METRICS.writerRows, { table: 'orders' })).to.equal(2);
    expect(s.sum(METRICS.writerRows, { table: 'trades' })).to.equal(1);

    // A replay's batch is pending until durable, but not timed.
    metrics.owed(SYMBOL, `${T0 + 6}-0`, second, true);
    metrics.flushed(flush({ checkpoints: [checkpoint(SYMBOL, `${T0 + 6}-0`)] }), T0 + 200);
    s = await scrape(metrics);
    expect(s.sum(`${METRICS.acceptToPersisted}_count`, { symbol: SYMBOL })).to.equal(3);
    expect(s.sum(METRICS.streamPending, { symbol: SYMBOL })).to.equal(0);
  });

  it('feeds the writer metrics from each FlushResult and reads the gauges at scrape time', async () => {
    const metrics = new MatcherMetrics({ tables: ['orders', 'trades', 'balances'] });
    let backlog = 7;
    metrics.watch(
      state({
        shardsOwned: () => 3,
        ownedSymbols: () => ['A-B', 'C-D'],
        haltedSymbols: () => ['E-F'],
        writerBacklog: () => backlog,
        writerBackpressured: () => true,
      }),
    );
    let s = await scrape(metrics);
    // Series that may stay at zero exist before anything happened.
    expect(
      s
        .series(METRICS.writerRows)
        .map((x) => x.labels.table)
        .sort(),
    ).to.deep.equal(['balances', 'orders', 'trades']);
    expect(s.labelValues(METRICS.writerRetries, 'errno')).to.deep.equal(['1205', '1213']);
    expect(s.labelValues(METRICS.writerFailures, 'reason')).to.deep.equal(['error', 'fenced']);
    expect(s.sum(`${METRICS.writerFlushDuration}_count`)).to.equal(0);
    expect(s.sum(METRICS.shardsOwned)).to.equal(3);
    expect(s.sum(METRICS.writerBacklog)).to.equal(7);
    expect(s.sum(METRICS.writerBackpressured)).to.equal(1);
    expect(s.labelValues(METRICS.symbolOwned, 'symbol')).to.deep.equal(['A-B', 'C-D']);
    expect(s.sum(METRICS.symbolHalted, { symbol: 'A-B' })).to.equal(0);
    expect(s.sum(METRICS.symbolHalted, { symbol: 'E-F' })).to.equal(1);

    metrics.flushed(flush({ retriedErrnos: [1213, 1213, 1205], durationMs: 40 }));
    metrics.flushed(flush({ ok: false, error: new FencedError('BTC-USDT', 3), durationMs: 1 }));
    backlog = 0;
    s = await scrape(metrics);
    expect(s.sum(METRICS.writerRetries, { errno: '1213' })).to.equal(2);
    expect(s.sum(METRICS.writerRetries, { errno: '1205' })).to.equal(1);
    expect(s.sum(METRICS.writerFailures, { reason: 'fenced' })).to.equal(1);
    expect(s.sum(METRICS.writerFailures, { reason: 'error' })).to.equal(0);
    expect(s.sum(`${METRICS.writerFlushDuration}_count`)).to.equal(2);
    expect(s.sum(`${METRICS.writerFlushDuration}_bucket`, { le: '0.001' })).to.equal(1);
    expect(s.sum(METRICS.writerBacklog)).to.equal(0);
  });

  it('removes a dropped symbol’s gauges and forgets what it owed', async () => {
    const metrics = new MatcherMetrics();
    metrics.symbolTakenOver(SYMBOL);
    metrics.lag(SYMBOL, 12);
    metrics.owed(SYMBOL, '5-0', run(new OrderBook(BTC_USDT), [[T0, sell('s', 1, 100, 1)]]), false);
    let s = await scrape(metrics);
    expect(s.sum(METRICS.streamLag, { symbol: SYMBOL })).to.equal(12);
    expect(s.sum(METRICS.streamPending, { symbol: SYMBOL })).to.equal(1);
    metrics.symbolDropped(SYMBOL);
    metrics.flushed(flush({ checkpoints: [checkpoint(SYMBOL, '5-0')] }));
    s = await scrape(metrics);
    expect(s.series(METRICS.streamLag)).to.deep.equal([]);
    expect(s.series(METRICS.streamPending)).to.deep.equal([]);
    expect(s.sum(`${METRICS.acceptToPersisted}_count`, { symbol: SYMBOL })).to.equal(0);
  });
});

describe('observability: a process merges its threads’ metrics', () => {
  it('sums counters, histograms and gauges of every thread and keeps the process’s own metrics', async () => {
    const threads = [new MatcherMetrics(), new MatcherMetrics()];
    threads[0]!.watch(state({ shardsOwned: () => 5, ownedSymbols: () => ['A-B'], writerBacklog: () => 10 }));
    threads[1]!.watch(state({ shardsOwned: () => 3, ownedSymbols: () => ['C-D'], writerBacklog: () => 4 }));
    for (const [i, metrics] of threads.entries()) {
      metrics.symbolTakenOver('A-B');
      const book = new OrderBook({ ...BTC_USDT, symbol: 'A-B' });
      const commands = run(book, [
        [T0, sell(`s${i}`, 1, 100, 1)],
        [T0, buy(`b${i}`, 2, 100, 1)],
      ]);
      metrics.matched('A-B', commands, 0.001 * (i + 1), T0 + 1);
    }
    const own = new Registry();
    new Counter({ name: 'process_own_total', help: 'the process’s own', registers: [own] }).inc(2);

    const merged = mergeThreadMetrics(own, await Promise.all(threads.map((t) => t.snapshot())));
    const s = new Scrape(await merged.metrics());
    expect(s.sum(METRICS.shardsOwned)).to.equal(8);
    expect(s.sum(METRICS.writerBacklog)).to.equal(14);
    expect(s.sum(METRICS.symbolOwned, { symbol: 'A-B' })).to.equal(1);
    expect(s.sum(METRICS.symbolOwned, { symbol: 'C-D' })).to.equal(1);
    expect(s.sum(METRICS.trades, { symbol: 'A-B' })).to.equal(2);
    expect(s.sum(METRICS.orders, { symbol: 'A-B', outcome: 'filled' })).to.equal(2);
    expect(s.sum(`${METRICS.acceptToMatched}_count`, { symbol: 'A-B' })).to.equal(4);
    expect(s.sum(`${METRICS.matchBatchDuration}_count`, { symbol: 'A-B' })).to.equal(2);
    expect(s.sum(`${METRICS.matchBatchDuration}_sum`, { symbol: 'A-B' })).to.be.closeTo(0.003, 1e-12);
    expect(s.sum(`${METRICS.matchBatchDuration}_bucket`, { symbol: 'A-B', le: '0.001' })).to.equal(1);
    expect(s.sum(`${METRICS.matchBatchDuration}_bucket`, { symbol: 'A-B', le: '0.002' })).to.equal(2);
    expect(s.types.get(METRICS.matchBatchDuration)).to.equal('histogram');
    expect(s.types.get(METRICS.shardsOwned)).to.equal('gauge');
    expect(s.sum('process_own_total')).to.equal(2);
  });

  it('asks each thread over its port and leaves out one that does not answer in time', async () => {
    const collector = new ThreadMetricsCollector(200);
    const answering = new MatcherMetrics();
    answering.watch(state({ shardsOwned: () => 4 }));
    const channel = new MessageChannel();
    // The thread's side: answers a metrics request with its snapshot, as matcher-thread.ts does.
    channel.port2.on('message', (message: { type: string; requestId: number }) => {
      void answering.snapshot().then((metrics) => channel.port2.postMessage({ ...message, metrics }));
    });
    channel.port1.on('message', (message) => collector.answer(message));
    const silent = { postMessage: () => undefined };
    try {
      const started = Date.now();
      const { snapshots, skipped } = await collector.collect([channel.port1, silent]);
      expect(Date.now() - started, 'bounded by the timeout').to.be.below(1_000);
      expect(skipped).to.equal(1);
      expect(snapshots).to.have.length(1);
      const s = new Scrape(await mergeThreadMetrics(new Registry(), snapshots).metrics());
      expect(s.sum(METRICS.shardsOwned)).to.equal(4);
    } finally {
      channel.port1.close();
    }
  });
});
