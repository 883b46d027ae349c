/**
 * Order ids made by the API without coordination (docs/pipeline.md, "Commands"): 64-bit snowflakes
 * written as decimal strings,
 *
 *     41 bits  milliseconds since 2026-01-01T00:00:00Z   (good until 2095)
 *     10 bits  the API instance's number, from INCR on `keys.instances`, modulo 1024
 *     12 bits  a sequence within the millisecond
 *
 * so ids of one instance strictly increase and ids of two instances never collide while fewer than
 * 1024 instances share a deployment. Ids sort by time only roughly: instances' clocks differ.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { IdGenerator } from '../../api/ports.ts';
import type { Keys } from '../../redis/keys.ts';

/** 2026-01-01T00:00:00Z in epoch milliseconds. */
export const SNOWFLAKE_EPOCH_MS = Date.UTC(2026, 0, 1);

const TIME_BITS = 41;
const INSTANCE_BITS = 10;
const SEQUENCE_BITS = 12;

export const MAX_INSTANCES = 2 ** INSTANCE_BITS;
const MAX_SEQUENCE = 2 ** SEQUENCE_BITS - 1;
const MAX_ELAPSED_MS = 2 ** TIME_BITS - 1;
const TIME_SHIFT = BigInt(INSTANCE_BITS + SEQUENCE_BITS);
const INSTANCE_SHIFT = BigInt(SEQUENCE_BITS);

/** Reads of the clock to wait for the next millisecond before borrowing it (a clock that stands still). */
const MAX_SPINS = 1_000_000;

export class SnowflakeError extends Error {
  override readonly name = 'SnowflakeError';
}

export interface SnowflakeOptions {
  /** This instance's number, 0..1023 (acquireInstanceNumber). */
  readonly instance: number;
  /** Epoch milliseconds. Default: Date.now. Tests pass a fake one. */
  readonly clock?: () => number;
}

export class SnowflakeIds implements IdGenerator {
  readonly instance: number;
  private readonly clock: () => number;
  /** Milliseconds since the snowflake epoch of the last id; never decreases. */
  private lastMs = -1;
  private sequence = 0;

  constructor(options: SnowflakeOptions) {
    const { instance } = options;
    if (!Number.isSafeInteger(instance) || instance < 0 || instance >= MAX_INSTANCES) {
      throw new SnowflakeError(`instance must be an integer in 0..${MAX_INSTANCES - 1}, got ${instance}`);
    }
    this.instance = instance;
    this.clock = options.clock ?? Date.now;
  }

  next(): string {
    let ms = this.elapsed();
    if (ms > this.lastMs) {
      this.sequence = 0;
    } else if (this.sequence < MAX_SEQUENCE) {
      // Same millisecond, or the clock went back: keep the last millisecond, so ids still increase.
      ms = this.lastMs;
      this.sequence += 1;
    } else {
      ms = this.nextMillisecond();
      this.sequence = 0;
    }
    if (ms > MAX_ELAPSED_MS) throw new SnowflakeError('the 41-bit snowflake clock ran out (year 2095)');
    this.lastMs = ms;
    return (
      (BigInt(ms) << TIME_SHIFT) |
      (BigInt(this.instance) << INSTANCE_SHIFT) |
      BigInt(this.sequence)
    ).toString();
  }

  /** Milliseconds since the snowflake epoch; a clock set before 2026 counts as the epoch itself. */
  private elapsed(): number {
    return Math.max(0, this.clock() - SNOWFLAKE_EPOCH_MS);
  }

  /**
   * 4 096 ids in one millisecond: waits for the clock's next millisecond (under a millisecond of
   * spinning). A clock that is behind the last id, or does not move, cannot be waited for: the
   * next millisecond is borrowed instead, and the clock catches up with it later.
   */
  private nextMillisecond(): number {
    for (let spins = 0; spins < MAX_SPINS; spins++) {
      const ms = this.elapsed();
      if (ms > this.lastMs) return ms;
      if (ms < this.lastMs) break;
    }
    return this.lastMs + 1;
  }
}

export interface SnowflakeParts {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly instance: number;
  readonly sequence: number;
}

/** The parts of a snowflake id, for logs and tests. */
export function snowflakeParts(id: string): SnowflakeParts {
  if (!/^(0|[1-9]\d{0,19})$/.test(id) || BigInt(id) >= 1n << 63n) {
    throw new SnowflakeError(`not a snowflake id: ${JSON.stringify(id)}`);
  }
  const value = BigInt(id);
  return {
    time: Number(value >> TIME_SHIFT) + SNOWFLAKE_EPOCH_MS,
    instance: Number((value >> INSTANCE_SHIFT) & BigInt(MAX_INSTANCES - 1)),
    sequence: Number(value & BigInt(MAX_SEQUENCE)),
  };
}

/**
 * This instance's number for the life of the process: `INCR keys.instances` modulo 1024. Two live
 * instances share a number only after 1024 starts in between, when the older one has long been
 * replaced in any normal rollout.
 */
export async function acquireInstanceNumber(redis: Redis | Cluster, keys: Keys): Promise<number> {
  return (await redis.incr(keys.instances)) % MAX_INSTANCES;
}

/**
 * The instance's id for its outcome channel (`keys.outcomes(id)`) and the stream entries' replyTo:
 * `api-<number>-<random>`, unique even when two instances hold the same number.
 */
export function newInstanceId(instance: number): string {
  return `api-${instance}-${randomBytes(6).toString('hex')}`;
}
