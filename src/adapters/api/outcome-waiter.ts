/**
 * Outcomes of commands, from the matcher back to the API instance that appended them
 * (docs/pipeline.md, "Outcomes"): sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis ≥ 7.0) on
 * `keys.outcomes(instanceId)`, one message `{"orderId": "...", "outcome": CommandOutcome}` per
 * command that named the instance as replyTo. Sharded on one Redis as on a Cluster, where a classic
 * PUBLISH would cross the cluster bus to every node while one master's subscriber is enough.
 *
 * Outcomes are hints for `?wait=true`: a lost message (a reconnect, an instance that restarted)
 * only makes the API answer with its 202 ack at the timeout. So the waiter never retries, never
 * stores, and drops what it cannot read.
 */
import type { ChainableCommander } from 'ioredis';
import type { CommandOutcome, OutcomeWaiter, OutcomeWatch } from '../../api/ports.ts';
import type { RedisClient } from '../../redis/connection.ts';
import type { Keys } from '../../redis/keys.ts';
import { ChannelSubscription } from './channel-subscription.ts';

export interface OutcomeMessage {
  readonly orderId: string;
  readonly outcome: CommandOutcome;
}

export function encodeOutcomeMessage(orderId: string, outcome: CommandOutcome): string {
  return JSON.stringify({ orderId, outcome } satisfies OutcomeMessage);
}

/** A message as published, or undefined when it is not one (it is then ignored). */
export function decodeOutcomeMessage(message: string): OutcomeMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const { orderId, outcome } = parsed as Record<string, unknown>;
  if (typeof orderId !== 'string' || outcome === null || typeof outcome !== 'object') return undefined;
  const kind = (outcome as Record<string, unknown>).kind;
  if (kind !== 'order' && kind !== 'rejected') return undefined;
  return { orderId, outcome: outcome as CommandOutcome };
}

/** The matcher's side: one SPUBLISH per command that has a replyTo, awaited or in a pipeline. */
export class OutcomePublisher {
  constructor(
    readonly redis: RedisClient,
    readonly keys: Keys,
  ) {}

  /** Resolves to the number of subscribers that received it (0: the instance is gone; harmless). */
  async publish(replyTo: string, orderId: string, outcome: CommandOutcome): Promise<number> {
    const message = encodeOutcomeMessage(orderId, outcome);
    return Number(await this.redis.spublish(this.keys.outcomes(replyTo), message));
  }

  /**
   * Appends the SPUBLISH to a pipeline, a batch (createBatch) or a MULTI, e.g. the one that ends a
   * matcher's batch. On a Cluster a pipeline or MULTI is refused unless all its keys and this
   * channel share a slot: use a batch there.
   */
  pipelined(pipeline: ChainableCommander): {
    publish(replyTo: string, orderId: string, outcome: CommandOutcome): void;
  } {
    return {
      publish: (replyTo, orderId, outcome) => {
        pipeline.spublish(this.keys.outcomes(replyTo), encodeOutcomeMessage(orderId, outcome));
      },
    };
  }
}

type Settle = (outcome: CommandOutcome | null) => void;

export interface RedisOutcomeWaiterOptions {
  /**
   * A connection of its own, which the waiter subscribes and quits on close: a Redis (e.g.
   * `redis.duplicate()`) or a Cluster opened with `shardedSubscribers: true` (createRedisClient).
   */
  readonly subscriber: RedisClient;
  readonly keys: Keys;
  /** This API instance's id, the replyTo of the commands it appends. */
  readonly instanceId: string;
}

export class RedisOutcomeWaiter implements OutcomeWaiter {
  /** orderId → the watches waiting for its next outcome. */
  private readonly waiting = new Map<string, Set<Settle>>();
  private subscription: ChannelSubscription | undefined;
  private closed = false;

  private constructor(readonly channel: string) {}

  /** Subscribes to the instance's outcome channel; resolves once Redis confirmed the subscription. */
  static async start(options: RedisOutcomeWaiterOptions): Promise<RedisOutcomeWaiter> {
    const waiter = new RedisOutcomeWaiter(options.keys.outcomes(options.instanceId));
    waiter.subscription = await ChannelSubscription.open(
      options.subscriber,
      waiter.channel,
      (message) => waiter.deliver(message),
      { sharded: true },
    );
    return waiter;
  }

  /**
   * Resolves with the first outcome for `orderId` published after this call, or null at the
   * timeout, on stop(), or on close(). Each watch has one timer, cleared when it settles.
   */
  watch(orderId: string, timeoutMs: number): OutcomeWatch {
    if (this.closed) return { outcome: Promise.resolve(null), stop: () => undefined };
    let settle!: Settle;
    const outcome = new Promise<CommandOutcome | null>((resolve) => {
      const timer = setTimeout(() => settle(null), timeoutMs);
      settle = (value) => {
        clearTimeout(timer);
        const watches = this.waiting.get(orderId);
        if (watches?.delete(settle) && watches.size === 0) this.waiting.delete(orderId);
        resolve(value);
      };
    });
    let watches = this.waiting.get(orderId);
    if (watches === undefined) this.waiting.set(orderId, (watches = new Set()));
    watches.add(settle);
    return { outcome, stop: () => settle(null) };
  }

  /** Watches not yet settled: 0 when nothing leaks. */
  get pending(): number {
    let count = 0;
    for (const watches of this.waiting.values()) count += watches.size;
    return count;
  }

  /** Settles every watch with null and closes the subscriber connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const watches of [...this.waiting.values()]) for (const settle of [...watches]) settle(null);
    await this.subscription?.close();
  }

  private deliver(message: string): void {
    const decoded = decodeOutcomeMessage(message);
    if (decoded === undefined) return;
    const watches = this.waiting.get(decoded.orderId);
    if (watches === undefined) return;
    for (const settle of [...watches]) settle(decoded.outcome);
  }
}
