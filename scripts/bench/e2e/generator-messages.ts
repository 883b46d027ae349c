/**
 * What the benchmark's parent process and its load-generator child say to each other over the IPC
 * channel (a typed discriminated union, as between the matcher process and its threads).
 */
import type { SparseHistogram } from './latency-histogram.ts';
import type { FlowMarket, OrderMix } from './order-flow.ts';
import type { ClientKind } from './senders.ts';

export interface GeneratorJob {
  /** API base URLs (http://host:port); requests go round-robin over them. */
  readonly apiUrls: readonly string[];
  readonly connectionsPerApi: number;
  /** The HTTP client (senders.ts). */
  readonly client: ClientKind;
  /** Headers or body slower than this fails the request (an error "timeout"). */
  readonly requestTimeoutMs: number;
  /** After the last send, how long to wait for the answers still due. */
  readonly drainTimeoutMs: number;
  readonly ratePerSec: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly seed: number;
  readonly markets: readonly FlowMarket[];
  readonly mix: OrderMix;
  readonly clientOrderIdShare: number;
  readonly runTag: string;
  /** Bearer tokens, one per user of the flow (user i has tokens[i]). */
  readonly tokens: readonly string[];
}

export type Phase = 'warmup' | 'measure' | 'drain';

/** One second of the run, by the time answers arrived (offered: by the time requests were due). */
export interface SecondStats {
  readonly second: number;
  readonly phase: Phase;
  readonly offered: number;
  /** Answered without error: acknowledged, or refused as the flow expects (a cancel of a finished order). */
  readonly answered: number;
  readonly errors: number;
  readonly inFlight: number;
  /** Ack latency of the answers of this second, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface RequestCounts {
  ok: number;
  /** Answers the flow expects besides success: 409 ORDER_NOT_OPEN to a cancel of an order that finished. */
  refused: number;
  errors: number;
}

export interface GeneratorResult {
  /** Requests due in the measured window. */
  readonly offered: number;
  /** Of those, by kind of request and in all. */
  readonly counts: {
    readonly place: RequestCounts;
    readonly cancel: RequestCounts;
    readonly all: RequestCounts;
  };
  /** Cancels sent as a passive place because no resting order was known yet. */
  readonly cancelFallbacks: number;
  /**
   * Requests due in the measured window and answered without error before it closed: the throughput
   * the system kept up with (a backlog carried over from the warm-up does not count, nor does one
   * left at the end).
   */
  readonly answeredInWindow: number;
  /** Ack latency, from the due time, of every answer to a request due in the window. */
  readonly ackLatency: SparseHistogram;
  readonly ackLatencyPlace: SparseHistogram;
  readonly ackLatencyCancel: SparseHistogram;
  /** How late requests left compared with their due time: the generator's own lag. */
  readonly sendLag: SparseHistogram;
  /** Errors of requests due in the window, by "<status> <code>", "transport <code>", "timeout" or "unanswered". */
  readonly errors: Readonly<Record<string, number>>;
  /** The same over the whole run, warm-up included. */
  readonly errorsAllPhases: Readonly<Record<string, number>>;
  readonly refusals: Readonly<Record<string, number>>;
  readonly seconds: readonly SecondStats[];
  /** Every place acknowledged (202), warm-up included: each must reach a final state. */
  readonly ackedPlaceIds: readonly string[];
  /** Places whose outcome is unknown (transport error, timeout, unanswered): each may or may not exist. */
  readonly unknownPlaces: number;
  readonly requestsSent: number;
  /**
   * Most requests in flight at once, and the connections open: above that many, requests waited for
   * a free connection in the generator (counted in their latency, as a client would see it).
   */
  readonly peakInFlight: number;
  readonly connections: number;
  /** process.cpuUsage() of the generator over its run, and the run's wall time. */
  readonly cpu: { readonly userMs: number; readonly systemMs: number; readonly wallMs: number };
  readonly startEpochMs: number;
  readonly windowStartEpochMs: number;
  readonly windowEndEpochMs: number;
}

export type ToGenerator = { readonly type: 'job'; readonly job: GeneratorJob } | { readonly type: 'go' };

export type FromGenerator =
  | { readonly type: 'ready' }
  | { readonly type: 'started'; readonly startEpochMs: number }
  | { readonly type: 'second'; readonly stats: SecondStats }
  | { readonly type: 'done'; readonly result: GeneratorResult }
  | { readonly type: 'failed'; readonly message: string };
