/**
 * One pub/sub channel on a connection of its own, as the outcome waiter and the market directory
 * use them. The connection is dedicated because a subscribed connection can run no other command;
 * ioredis subscribes again by itself after a reconnect (messages published meanwhile are lost,
 * which both users tolerate by design). Closing quits the connection and resolves once it is
 * gone, so a process that closed its subscriptions holds no socket open.
 *
 * The connection is one Redis or a Redis Cluster. A classic channel (SUBSCRIBE) is broadcast to
 * every node of a Cluster; a sharded one (SSUBSCRIBE, Redis ≥ 7.0) lives on the master of its
 * slot only, so it costs the cluster bus nothing (docs/redis-cluster.md).
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../redis/connection.ts';

export interface ChannelSubscriptionOptions {
  /**
   * SSUBSCRIBE and the 'smessage' event instead of SUBSCRIBE and 'message': the channel's
   * publisher must SPUBLISH. On a Cluster the connection needs `shardedSubscribers: true`
   * (createRedisClient's option). Default: false.
   */
  readonly sharded?: boolean;
}

/** A connection that cannot subscribe as asked; `code` says which, the message what to change. */
export class ChannelSubscriptionError extends Error {
  override readonly name = 'ChannelSubscriptionError';
  constructor(
    readonly code: 'SHARDED_SUBSCRIBERS_REQUIRED',
    message: string,
  ) {
    super(message);
  }
}

export class ChannelSubscription {
  private closing: Promise<void> | undefined;
  private readonly listener = (channel: string, message: string): void => {
    if (channel === this.channel) this.onMessage(message);
  };

  private constructor(
    private readonly connection: RedisClient,
    readonly channel: string,
    private readonly event: 'message' | 'smessage',
    private readonly onMessage: (message: string) => void,
  ) {}

  /**
   * Subscribes `connection` (which the subscription owns from now on, and quits on close) to
   * `channel`; resolves once Redis confirmed. On failure the connection is closed too.
   */
  static async open(
    connection: RedisClient,
    channel: string,
    onMessage: (message: string) => void,
    options: ChannelSubscriptionOptions = {},
  ): Promise<ChannelSubscription> {
    const sharded = options.sharded ?? false;
    const subscription = new ChannelSubscription(
      connection,
      channel,
      sharded ? 'smessage' : 'message',
      onMessage,
    );
    connection.on(subscription.event, subscription.listener);
    try {
      // Without sharded subscribers a Cluster never answers SSUBSCRIBE: fail now, not hang.
      if (sharded && connection instanceof Cluster && connection.options.shardedSubscribers !== true) {
        throw new ChannelSubscriptionError(
          'SHARDED_SUBSCRIBERS_REQUIRED',
          `cannot SSUBSCRIBE ${channel}: open the Cluster connection with shardedSubscribers: true`,
        );
      }
      await (sharded ? connection.ssubscribe(channel) : connection.subscribe(channel));
    } catch (error) {
      await subscription.close();
      throw error;
    }
    return subscription;
  }

  /** Stops delivering messages and closes the connection; resolves when it has ended. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.connection.off(this.event, this.listener);
    if (this.connection.status === 'end') return;
    if (this.connection instanceof Cluster && this.connection.nodes().length === 0) {
      // A Cluster that has no node yet (still resolving its seeds, or between two attempts) holds
      // no socket, and disconnected then it never emits 'end' (ioredis 5): nothing to wait for.
      this.connection.disconnect();
      return;
    }
    const ended = new Promise((resolve) => this.connection.once('end', resolve));
    if (this.connection.status === 'ready') {
      // QUIT drops the subscription with the connection, after the replies already on their way.
      await this.connection.quit().catch(() => this.connection.disconnect());
    } else {
      this.connection.disconnect();
    }
    await ended;
  }
}
