/**
 * The API's CommandIntake over the per-symbol Redis Streams (docs/pipeline.md, "Commands"). A
 * command is acknowledged once XADD has answered: the entry is in Redis (AOF on) and the symbol's
 * matcher will read it. Entries are encoded by src/streams/command-codec.ts and get their timestamp
 * from the entry id, so the API reads no clock for them.
 *
 * Streams are never capped here (no MAXLEN): the owner trims by MINID at its durable checkpoint.
 */
import type { Cluster, Redis } from 'ioredis';
import type { CommandIntake, OrderCommandIntent, PlaceIntent, PlaceResult } from '../../api/ports.ts';
import { defineIntakeScripts, type RawIntakePlaceReply } from '../../redis/intake-scripts.ts';
import type { Keys } from '../../redis/keys.ts';
import { encodeCommand } from '../../streams/command-codec.ts';

export class IntakeError extends Error {
  override readonly name = 'IntakeError';
}

export interface StreamIntakeOptions {
  readonly redis: Redis | Cluster;
  readonly keys: Keys;
  /**
   * This API instance's id (snowflake-ids.ts, newInstanceId): every entry names it as `replyTo`, so
   * the matcher publishes the outcome on `keys.outcomes(replyTo)`, where this instance's
   * OutcomeWaiter listens. null: nobody waits for outcomes (tools, tests).
   */
  readonly replyTo: string | null;
}

export class StreamIntake implements CommandIntake {
  private readonly redis: Redis | Cluster;
  private readonly keys: Keys;
  private readonly replyTo: string | null;

  /** Registers the intake scripts on the client. */
  constructor(options: StreamIntakeOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.replyTo = options.replyTo;
    defineIntakeScripts(this.redis);
  }

  /**
   * Appends the place command; with a clientOrderId, only when the user has not used it on this
   * symbol within the last 24 hours (intake-place-2.lua), else answers with that first order's id.
   */
  async place(symbol: string, command: PlaceIntent): Promise<PlaceResult> {
    const { clientOrderId, ...intent } = command;
    const stream = this.keys.orderStream(symbol);
    const fields = encodeCommand(intent, clientOrderId, this.replyTo);
    if (clientOrderId === null) {
      await this.append(stream, fields);
      return { orderId: command.orderId, duplicate: false };
    }
    const key = this.keys.clientOrderId(symbol, command.userId, clientOrderId);
    const reply: RawIntakePlaceReply = await this.redis.intakePlace(key, stream, command.orderId, ...fields);
    const [status, id] = reply;
    if (status === 'APPENDED') return { orderId: command.orderId, duplicate: false };
    if (status === 'DUPLICATE') {
      // The same order id: this very call ran before (a client retry after a lost reply): it is
      // appended, once, and is this order, not a duplicate of another.
      return { orderId: id, duplicate: id !== command.orderId };
    }
    throw new IntakeError(`unexpected intake-place reply ${JSON.stringify(reply)}`);
  }

  /** Appends a cancel, amend, cancelAll or setFees command. */
  async submit(symbol: string, command: OrderCommandIntent): Promise<void> {
    await this.append(this.keys.orderStream(symbol), encodeCommand(command, null, this.replyTo));
  }

  private async append(stream: string, fields: string[]): Promise<string> {
    const entryId = await this.redis.xadd(stream, '*', ...fields);
    if (entryId === null) throw new IntakeError(`XADD to ${stream} appended nothing`);
    return entryId;
  }
}
