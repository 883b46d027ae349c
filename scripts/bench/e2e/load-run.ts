/**
 * One open-loop run of the order flow against the API, in the load-generator process: connection
 * pools (senders.ts: keep-alive, one request in flight per connection, many connections per API
 * process), requests due on a fixed timetable, latency from the due time, per-second statistics as
 * the run goes and a result at the end.
 *
 * The flow's next requests (bodies included) are prepared ahead of their due time, about a second's
 * worth at a time, so that sending one is a lookup and a write. Answers are read only as far as
 * needed: the orderId of an acknowledged place (to cancel it later and to check at the end that it
 * reached a final state), the error code of a refusal.
 */
import type {
  GeneratorJob,
  GeneratorResult,
  Phase,
  RequestCounts,
  SecondStats,
} from './generator-messages.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { runOpenLoop, Timetable } from './open-loop.ts';
import { OrderFlow, RestingOrders, type FlowRequest, type PlaceRequest } from './order-flow.ts';
import { RequestQueue } from './request-queue.ts';
import { createSender, type Sender } from './senders.ts';
import { errorCode, orderIdOf, transportError } from './answers.ts';

type Kind = 'place' | 'cancel';
type Outcome = 'ok' | 'refused' | 'error';

interface SecondAccumulator {
  offered: number;
  answered: number;
  errors: number;
  readonly latency: LatencyHistogram;
}

const START_DELAY_MS = 100;
const DRAIN_POLL_MS = 20;

export class LoadRun {
  private readonly sender: Sender;
  private readonly flow: OrderFlow;
  private readonly queue: RequestQueue<FlowRequest>;
  private readonly resting: RestingOrders[];
  private readonly warmupCount: number;
  private readonly measuredCount: number;

  private t0 = 0;
  private windowStart = 0;
  private windowEnd = 0;
  private finished = false;
  private inFlight = 0;
  private peakInFlight = 0;
  private inFlightMeasured = 0;
  private inFlightPlaces = 0;
  private sent = 0;
  private cancelFallbacks = 0;
  private answeredInWindow = 0;
  private unknownPlaces = 0;
  private readonly counts = { place: zeroCounts(), cancel: zeroCounts(), all: zeroCounts() };
  private readonly ack = new LatencyHistogram();
  private readonly ackByKind = { place: new LatencyHistogram(), cancel: new LatencyHistogram() };
  private readonly sendLag = new LatencyHistogram();
  private readonly errors: Record<string, number> = {};
  private readonly errorsAllPhases: Record<string, number> = {};
  private readonly refusals: Record<string, number> = {};
  private readonly seconds: SecondAccumulator[] = [];
  private readonly ackedPlaceIds: string[] = [];
  private readonly reported: SecondStats[] = [];

  constructor(
    private readonly job: GeneratorJob,
    private readonly onSecond: (stats: SecondStats) => void = () => undefined,
  ) {
    this.sender = createSender(
      job.client,
      job.apiUrls,
      job.connectionsPerApi,
      job.requestTimeoutMs,
      job.tokens,
    );
    this.flow = new OrderFlow({
      seed: job.seed,
      markets: job.markets,
      users: job.tokens.length,
      mix: job.mix,
      clientOrderIdShare: job.clientOrderIdShare,
      runTag: job.runTag,
    });
    this.queue = new RequestQueue(() => this.flow.next());
    this.resting = job.markets.map(() => new RestingOrders());
    this.warmupCount = Math.round(job.warmupSec * job.ratePerSec);
    this.measuredCount = Math.round(job.durationSec * job.ratePerSec);
  }

  /** Opens every connection before the clock starts (a cold connect is not the system's latency). */
  async connect(): Promise<void> {
    const checks = this.job.apiUrls.length * this.job.connectionsPerApi;
    await Promise.all(
      Array.from(
        { length: checks },
        (_, i) =>
          new Promise<void>((resolve, reject) =>
            this.sender.send(i, 'GET', '/healthz', 0, undefined, (status, _body, error) => {
              if (error !== null) reject(error);
              else if (status !== 200) reject(new Error(`GET /healthz answered ${status}`));
              else resolve();
            }),
          ),
      ),
    );
  }

  async run(onStarted: (startEpochMs: number) => void): Promise<GeneratorResult> {
    const rate = this.job.ratePerSec;
    this.queue.fill(Math.ceil(rate));
    this.t0 = performance.now() + START_DELAY_MS;
    this.windowStart = this.t0 + this.job.warmupSec * 1000;
    this.windowEnd = this.windowStart + this.job.durationSec * 1000;
    const epochOffset = Date.now() - performance.now();
    const timetable = new Timetable(rate, this.warmupCount + this.measuredCount, this.t0);
    const cpuStart = process.cpuUsage();
    onStarted(this.t0 + epochOffset);

    const reportSeconds = (upTo: number) => {
      while (this.reported.length < upTo) {
        const stats = this.secondStats(this.reported.length);
        this.reported.push(stats);
        this.onSecond(stats);
      }
    };
    const ticker = setInterval(() => reportSeconds(Math.floor((performance.now() - this.t0) / 1000)), 1000);
    // Keeps about a second of requests prepared; each refill is a small slice of work.
    const filler = setInterval(() => this.queue.fill(Math.ceil(rate)), 50);
    try {
      await runOpenLoop(timetable, (i, dueAt) => this.send(i, dueAt));
      const drainDeadline = performance.now() + this.job.drainTimeoutMs;
      while (this.inFlight > 0 && performance.now() < drainDeadline) {
        await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      }
    } finally {
      clearInterval(filler);
      clearInterval(ticker);
    }
    this.finished = true;
    const unanswered = this.inFlightMeasured;
    if (unanswered > 0) {
      this.errors.unanswered = unanswered;
      this.counts.all.errors += unanswered;
    }
    if (this.inFlight > 0) this.errorsAllPhases.unanswered = this.inFlight;
    this.unknownPlaces += this.inFlightPlaces;
    reportSeconds(Math.ceil((performance.now() - this.t0) / 1000));
    const cpu = process.cpuUsage(cpuStart);
    const wallMs = performance.now() - this.t0;
    await this.sender.close();
    return {
      offered: this.measuredCount,
      counts: this.counts,
      cancelFallbacks: this.cancelFallbacks,
      answeredInWindow: this.answeredInWindow,
      ackLatency: this.ack.toSparse(),
      ackLatencyPlace: this.ackByKind.place.toSparse(),
      ackLatencyCancel: this.ackByKind.cancel.toSparse(),
      sendLag: this.sendLag.toSparse(),
      errors: this.errors,
      errorsAllPhases: this.errorsAllPhases,
      refusals: this.refusals,
      seconds: this.reported,
      ackedPlaceIds: this.ackedPlaceIds,
      unknownPlaces: this.unknownPlaces,
      requestsSent: this.sent,
      peakInFlight: this.peakInFlight,
      connections: this.job.connectionsPerApi * this.job.apiUrls.length,
      cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, wallMs },
      startEpochMs: this.t0 + epochOffset,
      windowStartEpochMs: this.windowStart + epochOffset,
      windowEndEpochMs: this.windowEnd + epochOffset,
    };
  }

  private send(index: number, dueAt: number): void {
    const now = performance.now();
    const measured = index >= this.warmupCount;
    if (measured) this.sendLag.record((now - dueAt) * 1000);
    this.second(dueAt).offered++;
    const request = this.queue.take();
    this.sent++;
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    if (measured) this.inFlightMeasured++;
    if (request.kind === 'place') {
      this.place(index, request, measured, dueAt);
      return;
    }
    const target = this.resting[request.market]!.take(request.pick);
    if (target === undefined) {
      if (measured) this.cancelFallbacks++;
      this.place(index, request.fallback, measured, dueAt);
      return;
    }
    const path = `/v1/orders/${target.orderId}?symbol=${this.job.markets[request.market]!.symbol}`;
    this.cancel(index, path, target.user, measured, dueAt);
  }

  private cancel(index: number, path: string, user: number, measured: boolean, dueAt: number): void {
    this.sender.send(index, 'DELETE', path, user, undefined, (status, body, error) => {
      if (error !== null) {
        this.complete('cancel', measured, dueAt, 'error', transportError(error));
      } else if (status === 202 || status === 200) {
        this.complete('cancel', measured, dueAt, 'ok');
      } else {
        const code = errorCode(body);
        // A cancel racing a fill: the order finished before the cancel came. Expected in a live market.
        const expected = status === 409 && code === 'ORDER_NOT_OPEN';
        this.complete('cancel', measured, dueAt, expected ? 'refused' : 'error', `${status} ${code}`);
      }
    });
  }

  private place(index: number, place: PlaceRequest, measured: boolean, dueAt: number): void {
    this.inFlightPlaces++;
    this.sender.send(index, 'POST', '/v1/orders', place.user, place.body, (status, body, error) => {
      this.inFlightPlaces--;
      if (error !== null) {
        // The place may or may not have been appended: its order may exist without an ack.
        if (!this.finished) this.unknownPlaces++;
        this.complete('place', measured, dueAt, 'error', transportError(error));
        return;
      }
      if (status === 202 || status === 200) {
        const orderId = orderIdOf(body);
        if (orderId !== undefined) {
          this.ackedPlaceIds.push(orderId);
          if (place.rests) this.resting[place.market]!.add(orderId, place.user);
          this.complete('place', measured, dueAt, 'ok');
          return;
        }
        if (!this.finished) this.unknownPlaces++;
        this.complete('place', measured, dueAt, 'error', `${status} unreadable body`);
        return;
      }
      // A refusal before the stream (4xx, 503): nothing was appended.
      this.complete('place', measured, dueAt, 'error', `${status} ${errorCode(body)}`);
    });
  }

  private complete(kind: Kind, measured: boolean, dueAt: number, outcome: Outcome, what = ''): void {
    if (this.finished) return;
    const now = performance.now();
    this.inFlight--;
    const latencyUs = (now - dueAt) * 1000;
    const second = this.second(now);
    second.latency.record(latencyUs);
    if (outcome === 'error') {
      second.errors++;
      this.errorsAllPhases[what] = (this.errorsAllPhases[what] ?? 0) + 1;
    } else {
      second.answered++;
    }
    if (!measured) return;
    if (outcome !== 'error' && now < this.windowEnd) this.answeredInWindow++;
    this.inFlightMeasured--;
    this.ack.record(latencyUs);
    this.ackByKind[kind].record(latencyUs);
    this.counts[kind][outcome === 'ok' ? 'ok' : outcome === 'refused' ? 'refused' : 'errors']++;
    this.counts.all[outcome === 'ok' ? 'ok' : outcome === 'refused' ? 'refused' : 'errors']++;
    if (outcome === 'error') this.errors[what] = (this.errors[what] ?? 0) + 1;
    if (outcome === 'refused') this.refusals[`${kind} ${what}`] = (this.refusals[`${kind} ${what}`] ?? 0) + 1;
  }

  private second(atMs: number): SecondAccumulator {
    const index = Math.max(0, Math.floor((atMs - this.t0) / 1000));
    while (this.seconds.length <= index) {
      this.seconds.push({ offered: 0, answered: 0, errors: 0, latency: new LatencyHistogram() });
    }
    return this.seconds[index]!;
  }

  private secondStats(index: number): SecondStats {
    const s = this.seconds[index] ?? { offered: 0, answered: 0, errors: 0, latency: new LatencyHistogram() };
    const phase: Phase =
      index < this.job.warmupSec
        ? 'warmup'
        : index < this.job.warmupSec + this.job.durationSec
          ? 'measure'
          : 'drain';
    return {
      second: index,
      phase,
      offered: s.offered,
      answered: s.answered,
      errors: s.errors,
      inFlight: this.inFlight,
      p50Ms: s.latency.percentile(0.5) / 1000,
      p99Ms: s.latency.percentile(0.99) / 1000,
      maxMs: s.latency.maxUs / 1000,
    };
  }
}

function zeroCounts(): RequestCounts {
  return { ok: 0, refused: 0, errors: 0 };
}
