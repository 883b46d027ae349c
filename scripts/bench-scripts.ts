/**
 * npm run bench:scripts -- [--calls 20000] [--users 100] [--rounds 3]
 *
 * The balance scripts' own cost inside Redis: pipelines of holds, settlements and releases (the
 * matcher's three kinds of calls) on funded users under a key prefix of its own, timed by Redis
 * itself (INFO commandstats, evalsha's usec before and after each pipeline). A script's time is time
 * Redis spends on nothing else: every command queued behind a batch (the API's appends, the other
 * symbols' batches) waits for it. Prints µs per call, the median over the rounds; deletes its keys.
 *
 * The figure counts every EVALSHA Redis runs meanwhile: run it on a quiet Redis (REDIS_URL).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.ts';
import { BalanceStore } from '../src/redis/balance-store.ts';
import { createRedis } from '../src/redis/connection.ts';
import { createKeys } from '../src/redis/keys.ts';
import { scanKeys } from '../src/redis/scan-keys.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    users: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
});
const calls = Number(values.calls);
const users = Number(values.users);
const rounds = Number(values.rounds);
for (const [name, value] of [
  ['calls', calls],
  ['users', users],
  ['rounds', rounds],
] as const) {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
}

const config = loadConfig();
const redis = createRedis(config, { connectionName: 'bench-scripts' });
const keys = createKeys(`bench-scripts-${randomBytes(4).toString('hex')}`);
const store = new BalanceStore(redis, keys);

/** evalsha's total usec and calls so far, as Redis counts them. */
async function evalshaStats(): Promise<{ calls: number; usec: number }> {
  const info = await redis.info('commandstats');
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
  return match ? { calls: Number(match[1]), usec: Number(match[2]) } : { calls: 0, usec: 0 };
}

/** Runs the pipeline `fill` builds; returns Redis's µs per EVALSHA over it. */
async function timed(fill: (pipeline: ReturnType<BalanceStore['pipelined']>) => void): Promise<number> {
  const before = await evalshaStats();
  const batch = store.pipelined(redis.pipeline());
  fill(batch);
  const replies = await batch.pipeline.exec();
  for (const [error] of replies ?? []) if (error) throw error;
  const after = await evalshaStats();
  return (after.usec - before.usec) / (after.calls - before.calls);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = { hold: [] as number[], settle: [] as number[], release: [] as number[] };
try {
  for (let u = 1; u <= users; u++) {
    await store.deposit(u, 'BTC', 10n ** 17n, `bench-${u}-btc`);
    await store.deposit(u, 'USDT', 10n ** 17n, `bench-${u}-usdt`);
  }
  for (let round = 0; round < rounds; round++) {
    const order = (i: number) => `r${round}-o${i}`;
    const user = (i: number) => 1 + (i % users);
    // Amounts of the sizes the bench:e2e markets produce (quote in 10^-8 units, base in 10^-6).
    results.hold.push(
      await timed((p) => {
        for (let i = 0; i < calls; i++) p.hold(user(i), order(i), 'USDT', 123_456_789_012n);
      }),
    );
    // Positions grow per (user, symbol): each round settles on a symbol of its own, then releases on another.
    results.settle.push(
      await timed((p) => {
        for (let i = 0; i < calls; i++)
          p.settle({
            userId: user(i),
            symbol: `S${round}-USDT`,
            position: BigInt(i),
            orderId: order(i),
            spentAsset: 'USDT',
            spent: 12_345_678_901n,
            receivedAsset: 'BTC',
            received: 1_000_000n,
            fee: 1_000n,
          });
      }),
    );
    results.release.push(
      await timed((p) => {
        for (let i = 0; i < calls; i++)
          p.release({
            userId: user(i),
            symbol: `R${round}-USDT`,
            position: BigInt(i),
            orderId: order(i),
            amount: 'all',
          });
      }),
    );
  }
  console.log(
    `bench:scripts: ${calls.toLocaleString('en-US')} calls per pipeline, ${users} users, ${rounds} rounds; ` +
      `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, load average ${loadavg()[0]!.toFixed(2)}`,
  );
  for (const [name, samples] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(8)} ${median(samples).toFixed(2).padStart(6)} µs per call in Redis (median; rounds ${samples
        .map((s) => s.toFixed(2))
        .join(', ')})`,
    );
  }
} finally {
  const leftovers = await scanKeys(redis, keys.pattern);
  for (let i = 0; i < leftovers.length; i += 1000) await redis.del(...leftovers.slice(i, i + 1000));
  await redis.quit();
}
