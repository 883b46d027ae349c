/**
 * One pub/sub channel on a connection of its own, as the outcome waiter and the market directory
 * use them. The connection is dedicated because a subscribed connection can run no other command;
 * ioredis subscribes again by itself after a reconnect (messages published meanwhile are lost,
 * which both users tolerate by design). Closing quits the connection and resolves once it is
 * gone, so a process that closed its subscriptions holds no socket open.
 */
import type { Redis } from 'ioredis';

export class ChannelSubscription {
  private closing: Promise<void> | undefined;
  private readonly listener = (channel: string, message: string): void => {
    if (channel === this.channel) this.onMessage(message);
  };

  private constructor(
    private readonly connection: Redis,
    readonly channel: string,
    private readonly onMessage: (message: string) => void,
  ) {}

  /**
   * Subscribes `connection` (which the subscription owns from now on, and quits on close) to
   * `channel`; resolves once Redis confirmed. On failure the connection is closed too.
   */
  static async open(
    connection: Redis,
    channel: string,
    onMessage: (message: string) => void,
  ): Promise<ChannelSubscription> {
    const subscription = new ChannelSubscription(connection, channel, onMessage);
    connection.on('message', subscription.listener);
    try {
      await connection.subscribe(channel);
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
    this.connection.off('message', this.listener);
    if (this.connection.status === 'end') return;
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
