/**
 * Readiness of an API instance: each dependency answers, quickly. A check that throws, answers
 * false or takes longer than its timeout counts as down; checks run in parallel, so readiness takes
 * at most one timeout however many there are. Liveness checks nothing remote (routes/infra.ts).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Health } from '../../api/ports.ts';

/** One dependency's check: true when it answers. MySQL's joins later as another function. */
export type HealthCheck = () => Promise<boolean> | boolean;

export interface CheckedHealthOptions {
  /** Checks by name, as `/readyz` shows them. */
  readonly checks: Readonly<Record<string, HealthCheck>>;
  /** Longest wait for one check, in milliseconds. Default: 500. */
  readonly timeoutMs?: number;
}

export class CheckedHealth implements Health {
  private readonly checks: ReadonlyArray<readonly [string, HealthCheck]>;
  private readonly timeoutMs: number;

  constructor(options: CheckedHealthOptions) {
    this.checks = Object.entries(options.checks);
    this.timeoutMs = options.timeoutMs ?? 500;
    if (!Number.isSafeInteger(this.timeoutMs) || this.timeoutMs < 1) {
      throw new RangeError(`timeoutMs must be a positive integer, got ${this.timeoutMs}`);
    }
  }

  async readiness(): Promise<{
    readonly ready: boolean;
    readonly checks: Readonly<Record<string, boolean>>;
  }> {
    const results = await Promise.all(
      this.checks.map(async ([name, check]) => [name, await this.run(check)] as const),
    );
    return { ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
  }

  private run(check: HealthCheck): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        resolve(ok);
      };
      try {
        Promise.resolve(check()).then(
          (ok) => done(ok === true),
          () => done(false),
        );
      } catch {
        done(false);
      }
    });
  }
}

/**
 * Redis answers PING. A connection that is not up fails at once, without queueing a PING behind
 * the reconnection (which would answer only after the client's retries).
 */
export function redisCheck(redis: Redis | Cluster): HealthCheck {
  return async () => {
    if (redis.status !== 'ready') return false;
    return (await redis.ping()) === 'PONG';
  };
}
