/**
 * npm run bench:scripts -- [--calls 20000] [--users 100] [--rounds 3]
 *
 * The cost of the matcher's balance operations (holds, settlements, releases) on funded users under
 * a key prefix of its own, sent both ways the matcher can: one script call each (pipelined, as on a
 * Cluster) and combined, 256 per `balanceBatch` call (one Redis). Redis's time comes from Redis
 * itself (INFO commandstats, evalsha's usec before and after each run): time it spends on nothing
 * else, while every command queued behind a batch (the API's appends, the other symbols' batches)
 * waits. The client's is this process's CPU for queueing, sending and decoding. Prints µs per
 * operation, the medians over the rounds; deletes its keys.
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
import { parseCommandStats, type CommandCounters } from './bench/e2e/redis-stats.ts';

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
async function evalshaStats(): Promise<CommandCounters> {
  return parseCommandStats(await redis.info('commandstats')).get('evalsha') ?? { calls: 0, usec: 0 };
}

/** Operations per `balanceBatch` call in combined mode: a matcher batch's order of magnitude. */
const COMBINED_GROUP = 256;

interface Cost {
  /** Redis's µs per operation (INFO commandstats). */
  readonly redisUs: number;
  /** This process's CPU µs per operation: queueing, sending, reading and decoding the replies. */
  readonly clientUs: number;
}

/**
 * Runs `calls` operations that `add(batch, i)` queues: one script call each, or (`combine`) one
 * `balanceBatch` call per COMBINED_GROUP operations, as the matcher sends them on one Redis.
 */
async function timed(
  add: (batch: ReturnType<BalanceStore['pipelined']>, i: number) => { read(replies: unknown): unknown },
  combine: boolean,
): Promise<Cost> {
  const before = await evalshaStats();
  const cpu = process.cpuUsage();
  const batch = store.pipelined(redis.pipeline(), { combine });
  const handles = [];
  for (let i = 0; i < calls; i++) {
    handles.push(add(batch, i));
    if ((i + 1) % COMBINED_GROUP === 0) batch.seal();
  }
  batch.seal();
  const replies = await batch.pipeline.exec();
  for (const handle of handles) handle.read(replies);
  const used = process.cpuUsage(cpu);
  const after = await evalshaStats();
  return { redisUs: (after.usec - before.usec) / calls, clientUs: (used.user + used.system) / calls };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Kind = 'hold' | 'settle' | 'release';
const results = new Map<string, Cost[]>();
const record = (kind: Kind, combine: boolean, cost: Cost) => {
  const key = `${kind} ${combine ? 'combined' : 'one call each'}`;
  results.set(key, [...(results.get(key) ?? []), cost]);
};
try {
  for (let u = 1; u <= users; u++) {
    await store.deposit(u, 'BTC', 10n ** 17n, `bench-${u}-btc`);
    await store.deposit(u, 'USDT', 10n ** 17n, `bench-${u}-usdt`);
  }
  for (let round = 0; round < rounds; round++) {
    for (const combine of [false, true]) {
      const tag = `r${round}${combine ? 'c' : 'p'}`;
      const order = (i: number) => `${tag}-o${i}`;
      const user = (i: number) => 1 + (i % users);
      // Amounts of the sizes the bench:e2e markets produce (quote in 10^-8 units, base in 10^-6).
      record(
        'hold',
        combine,
        await timed((p, i) => p.hold(user(i), order(i), 'USDT', 123_456_789_012n), combine),
      );
      // Positions grow per (user, symbol): each run settles on a symbol of its own, then releases on another.
      record(
        'settle',
        combine,
        await timed(
          (p, i) =>
            p.settle({
              userId: user(i),
              symbol: `S${tag}-USDT`,
              position: BigInt(i),
              orderId: order(i),
              spentAsset: 'USDT',
              spent: 12_345_678_901n,
              receivedAsset: 'BTC',
              received: 1_000_000n,
              fee: 1_000n,
            }),
          combine,
        ),
      );
      record(
        'release',
        combine,
        await timed(
          (p, i) =>
            p.release({
              userId: user(i),
              symbol: `R${tag}-USDT`,
              position: BigInt(i),
              orderId: order(i),
              amount: 'all',
            }),
          combine,
        ),
      );
    }
  }
  console.log(
    `bench:scripts: ${calls.toLocaleString('en-US')} operations per run, ${users} users, ${rounds} rounds, ` +
      `combined ${COMBINED_GROUP} per balanceBatch call; ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ` +
      `load average ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log('  operation                  Redis µs/op   client CPU µs/op   (medians of the rounds)');
  for (const [name, costs] of results) {
    const redisUs = median(costs.map((c) => c.redisUs));
    const clientUs = median(costs.map((c) => c.clientUs));
    console.log(
      `  ${name.padEnd(26)} ${redisUs.toFixed(2).padStart(11)}   ${clientUs.toFixed(2).padStart(16)}`,
    );
  }
} finally {
  const leftovers = await scanKeys(redis, keys.pattern);
  for (let i = 0; i < leftovers.length; i += 1000) await redis.del(...leftovers.slice(i, i + 1000));
  await redis.quit();
}
