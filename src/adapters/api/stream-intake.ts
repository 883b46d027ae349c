/**
 * The API's CommandIntake over the per-symbol Redis Streams (docs/pipeline.md, "Commands"). A
 * command is acknowledged once XADD has answered: the entry is in Redis (AOF on) and the symbol's
 * matcher will read it. Entries are encoded by src/streams/command-codec.ts and get their timestamp
 * from the entry id, so the API reads no clock for them.
 *
 * Streams are never capped here (no MAXLEN): the owner trims by MINID at its durable checkpoint, so
 * a stream's length is its backlog, what is not durable yet. Past `maxBacklog` entries, a place or
 * an amend is refused with 503 SYMBOL_BACKLOGGED (the check and the append are one Lua step, so
 * nothing is appended); cancels, cancel-alls and fee changes are always taken (docs/pipeline.md,
 * "Backlog").
 */
import type { Cluster, Redis } from 'ioredis';
import { ApiError } from '../../api/errors.ts';
import type {
  AppendOptions,
  CommandIntake,
  OrderCommandIntent,
  PlaceIntent,
  PlaceResult,
} from '../../api/ports.ts';
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
  /**
   * Entries a symbol's stream may hold before places and amends on it are refused
   * (config.streams.maxSymbolBacklog). Default: no bound.
   */
  readonly maxBacklog?: number;
}

/** Seconds a client is told to wait before it retries a command refused for the symbol's backlog. */
export const BACKLOG_RETRY_AFTER_SECONDS = 1;

export class StreamIntake implements CommandIntake {
  private readonly redis: Redis | Cluster;
  private readonly keys: Keys;
  private readonly replyTo: string | null;
  /** 0: no bound (what the scripts read it as). */
  private readonly maxBacklog: number;

  /** Registers the intake scripts on the client. */
  constructor(options: StreamIntakeOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.replyTo = options.replyTo;
    this.maxBacklog = options.maxBacklog ?? 0;
    if (!Number.isSafeInteger(this.maxBacklog) || this.maxBacklog < 0) {
      throw new RangeError(
        `maxBacklog must be an integer >= 0 (0: no bound), got ${String(options.maxBacklog)}`,
      );
    }
    defineIntakeScripts(this.redis);
  }

  /**
   * Appends the place command; with a clientOrderId, only when the user has not used it on this
   * symbol within the last 24 hours (intake-place-2.lua), else answers with that first order's id.
   * Throws ApiError SYMBOL_BACKLOGGED, appending nothing, when the stream is over its bound.
   */
  async place(symbol: string, command: PlaceIntent, options: AppendOptions = {}): Promise<PlaceResult> {
    const { clientOrderId, ...intent } = command;
    const stream = this.keys.orderStream(symbol);
    const fields = encodeCommand(intent, clientOrderId, this.replyToFor(options));
    if (clientOrderId === null) {
      await this.appendBounded(symbol, stream, fields);
      return { orderId: command.orderId, duplicate: false };
    }
    const key = this.keys.clientOrderId(symbol, command.userId, clientOrderId);
    const reply: RawIntakePlaceReply = await this.redis.intakePlace(
      key,
      stream,
      command.orderId,
      this.maxBacklog,
      ...fields,
    );
    const [status, id] = reply;
    if (status === 'APPENDED') return { orderId: command.orderId, duplicate: false };
    if (status === 'BACKLOGGED') throw backlogged(symbol, id);
    if (status === 'DUPLICATE') {
      // The same order id: this very call ran before (a client retry after a lost reply): it is
      // appended, once, and is this order, not a duplicate of another.
      return { orderId: id, duplicate: id !== command.orderId };
    }
    throw new IntakeError(`unexpected intake-place reply ${JSON.stringify(reply)}`);
  }

  /**
   * Appends a cancel, amend, cancelAll or setFees command. An amend is bounded like a place (it may
   * add risk, and whether it only lowers the quantity cannot be told from a read model that lags the
   * backlogged stream itself); the others reduce risk or are the operator's, and are always taken.
   */
  async submit(symbol: string, command: OrderCommandIntent, options: AppendOptions = {}): Promise<void> {
    const stream = this.keys.orderStream(symbol);
    const fields = encodeCommand(command, null, this.replyToFor(options));
    if (command.type === 'amend') await this.appendBounded(symbol, stream, fields);
    else await this.append(stream, fields);
  }

  /** Who the matcher tells the outcome: this instance when it waits for it, else nobody. */
  private replyToFor(options: AppendOptions): string | null {
    return options.awaitOutcome === false ? null : this.replyTo;
  }

  private async appendBounded(symbol: string, stream: string, fields: string[]): Promise<void> {
    if (this.maxBacklog === 0) {
      await this.append(stream, fields);
      return;
    }
    const reply: RawIntakePlaceReply = await this.redis.intakeAppend(stream, this.maxBacklog, ...fields);
    const [status, detail] = reply;
    if (status === 'BACKLOGGED') throw backlogged(symbol, detail);
    if (status !== 'APPENDED')
      throw new IntakeError(`unexpected intake-append reply ${JSON.stringify(reply)}`);
  }

  private async append(stream: string, fields: string[]): Promise<string> {
    const entryId = await this.redis.xadd(stream, '*', ...fields);
    if (entryId === null) throw new IntakeError(`XADD to ${stream} appended nothing`);
    return entryId;
  }
}

function backlogged(symbol: string, length: string): ApiError {
  return new ApiError(
    'SYMBOL_BACKLOGGED',
    `${symbol} has ${length} commands waiting to be made durable; retry shortly (cancels are still taken)`,
    { retryAfterSeconds: BACKLOG_RETRY_AFTER_SECONDS },
  );
}
