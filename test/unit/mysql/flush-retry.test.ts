import { expect } from 'chai';
import { backoffDelay, isRetryable, withRetries, type RetryPolicy } from '../../../src/mysql/flush-retry.ts';

const POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 100 };
const mysqlError = (errno: number) => Object.assign(new Error(`errno ${errno}`), { errno });

describe('mysql/flush-retry', () => {
  it('retries deadlocks (1213) and lock-wait timeouts (1205), nothing else', () => {
    expect(isRetryable(mysqlError(1213))).to.equal(true);
    expect(isRetryable(mysqlError(1205))).to.equal(true);
    expect(isRetryable(mysqlError(1062))).to.equal(false);
    expect(isRetryable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).to.equal(false);
    expect(isRetryable(null)).to.equal(false);
  });

  it('backs off exponentially, capped, with the upper half jittered', () => {
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, POLICY, () => 0))).to.deep.equal([
      10, 20, 40, 50, 50,
    ]);
    expect([1, 2, 3, 4].map((retry) => backoffDelay(retry, POLICY, () => 0.999))).to.deep.equal([
      19, 39, 79, 99,
    ]);
  });

  it('makes at most maxRetries + 1 attempts, sleeping between them, and reports what it retried', async () => {
    const sleeps: number[] = [];
    const deps = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0 };
    const outcome = await withRetries(
      async () => {
        throw mysqlError(1213);
      },
      POLICY,
      deps,
    );
    expect(outcome).to.include({ ok: false, attempts: 4 });
    expect(outcome.retried).to.deep.equal([1213, 1213, 1213]);
    expect(sleeps).to.deep.equal([10, 20, 40]);
  });

  it('stops at once on an error that is not retryable, and returns the value on success', async () => {
    const deps = { sleep: async () => {}, random: () => 0 };
    const refused = mysqlError(1062);
    expect(
      await withRetries(
        async () => {
          throw refused;
        },
        POLICY,
        deps,
      ),
    ).to.deep.equal({ ok: false, error: refused, attempts: 1, retried: [] });

    const seen: number[] = [];
    const outcome = await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw mysqlError(attempt === 1 ? 1205 : 1213);
        return 'written';
      },
      POLICY,
      deps,
    );
    expect(outcome).to.deep.equal({ ok: true, value: 'written', attempts: 3, retried: [1205, 1213] });
    expect(seen).to.deep.equal([1, 2, 3]);
  });

  it('with maxRetries 0 tries once', async () => {
    const outcome = await withRetries(
      async () => {
        throw mysqlError(1213);
      },
      { ...POLICY, maxRetries: 0 },
      { sleep: async () => {}, random: () => 0 },
    );
    expect(outcome).to.include({ ok: false, attempts: 1 });
  });
});
