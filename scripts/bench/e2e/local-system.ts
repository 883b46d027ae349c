/**
 * The system under test, brought up by the benchmark as the processes a user starts (`npm start`,
 * `npm run dev:start`): API process(es) and matcher process(es), each a separate OS process, on the
 * local Redis and MariaDB, under a key prefix and a database of their own (`bench-<hex>`,
 * `bench_<hex>`, created and migrated here). `stop()` stops the APIs first (no new orders), then
 * the matchers (each flushes to MySQL and releases its shards), as dev:stop does; `cleanup()`
 * deletes every key of the prefix (SCAN + UNLINK, never FLUSH) and drops the database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createMysqlPool } from '../../../src/mysql/connection.ts';
import { createDatabaseIfMissing } from '../../../src/mysql/database.ts';
import { migrate } from '../../../src/mysql/migrate.ts';
import { createKeys } from '../../../src/redis/keys.ts';
import { scanKeys } from '../../../src/redis/scan-keys.ts';
import type { TrackedProcess } from './cpu.ts';
import { sleep, waitFor } from './wait.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const API_ENTRY = 'src/processes/api-process.ts';
const MATCHER_ENTRY = 'src/processes/matcher-process.ts';
const READY_TIMEOUT_MS = 90_000;
/** config.ts's default LEASE_TTL_MS. */
const DEFAULT_LEASE_TTL_MS = 5_000;
const BENCH_DATABASE = /^bench_[0-9a-f]{12}$/;

/** Where the system answers and what the benchmark needs to drive, scrape and audit it. */
export interface SystemEndpoints {
  readonly apiUrls: readonly string[];
  /** Each matcher process's /metrics. */
  readonly matcherMetricsUrls: readonly string[];
  readonly apiMetricsUrls: readonly string[];
  /** The system's processes, for their CPU ("api-1", "matcher-1", ...). */
  readonly processes: readonly TrackedProcess[];
  readonly keyPrefix: string;
  readonly redisUrl: string;
  readonly mysqlUrl: string;
  readonly jwtSecret: string;
  /** The processes' own settings (LEASE_TTL_MS...), as far as the benchmark set them. */
  readonly env: Readonly<Record<string, string>>;
}

export interface LocalSystemOptions {
  readonly apiProcesses: number;
  readonly matcherProcesses: number;
  readonly matcherThreads: number;
  /** Extra environment for every process (BATCH_SIZE, FLUSH_ROWS, ...). */
  readonly env: Readonly<Record<string, string>>;
  readonly logDir: string;
  readonly logLevel: string;
  /** Redis and MySQL servers; the database in mysqlUrl is replaced by the benchmark's own. */
  readonly redisUrl: string;
  readonly mysqlServerUrl: string;
}

export interface LocalSystem extends SystemEndpoints {
  stop(): Promise<void>;
  /** Deletes the prefix's keys and drops the database (after stop). */
  cleanup(): Promise<void>;
  readonly database: string;
}

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string;
}

export async function startLocalSystem(
  options: LocalSystemOptions,
  log: (line: string) => void,
): Promise<LocalSystem> {
  const id = randomBytes(6).toString('hex');
  const keyPrefix = `bench-${id}`;
  const database = `bench_${id}`;
  const url = new URL(options.mysqlServerUrl);
  url.pathname = `/${database}`;
  const mysqlUrl = url.href;
  const jwtSecret = randomBytes(24).toString('hex');
  mkdirSync(options.logDir, { recursive: true });

  const started: Started[] = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await deleteKeys(options.redisUrl, keyPrefix);
    await dropDatabase(mysqlUrl, database);
  };
  const stop = async () => {
    await terminate(
      started.filter((s) => s.name.startsWith('api')),
      15_000,
    );
    await terminate(
      started.filter((s) => s.name.startsWith('matcher')),
      30_000,
    );
  };

  try {
    await createDatabaseIfMissing({ mysql: { url: mysqlUrl } });
    const pool = createMysqlPool({ mysql: { url: mysqlUrl } }, { connectionLimit: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    log(`database ${database} created and migrated; key prefix ${keyPrefix}`);

    const env: Record<string, string> = {
      NODE_ENV: 'production',
      JWT_SECRET: jwtSecret,
      KEY_PREFIX: keyPrefix,
      REDIS_URL: options.redisUrl,
      MYSQL_URL: mysqlUrl,
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel,
      WORKER_THREADS: String(options.matcherThreads),
      ...options.env,
    };
    const spawnOne = (name: string, entry: string, own: Record<string, string>): Started => {
      const file = join(options.logDir, `${name}.log`);
      const fd = openSync(file, 'a');
      // BENCH_CPU_PROF_DIR: every system process (and each of its threads) writes a V8 CPU profile
      // there when it exits, for a look in Chrome DevTools (NODE_OPTIONS refuses --cpu-prof).
      const profile = process.env.BENCH_CPU_PROF_DIR;
      const profiling = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
      const child = spawn(process.execPath, [...profiling, '--import', 'tsx', entry], {
        cwd: ROOT,
        env: { ...process.env, ...env, ...own },
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      const s = { name, child, log: file };
      started.push(s);
      return s;
    };

    const matcherPorts: number[] = [];
    for (let k = 1; k <= options.matcherProcesses; k++) {
      const port = await freePort();
      matcherPorts.push(port);
      spawnOne(`matcher-${k}`, MATCHER_ENTRY, { METRICS_PORT: String(port) });
    }
    const apiPorts: number[] = [];
    for (let k = 1; k <= options.apiProcesses; k++) {
      const port = await freePort();
      apiPorts.push(port);
      spawnOne(`api-${k}`, API_ENTRY, { PORT: String(port) });
    }
    const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    const matcherUrls = matcherPorts.map((p) => `http://127.0.0.1:${p}`);

    const alive = () => {
      for (const s of started) {
        if (s.child.exitCode !== null || s.child.signalCode !== null) {
          throw new Error(`${s.name} exited (${s.child.signalCode ?? s.child.exitCode}):\n${tail(s.log)}`);
        }
      }
    };
    await waitFor('the API and matcher processes to be ready', READY_TIMEOUT_MS, async () => {
      alive();
      const answers = await Promise.all([
        ...apiUrls.map((u) => httpOk(`${u}/readyz`)),
        ...matcherUrls.map((u) => httpOk(`${u}/healthz`)),
      ]);
      return answers.every(Boolean) || undefined;
    });
    const threads = options.matcherProcesses * options.matcherThreads;
    const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      await redis.connect();
      const members = createKeys(keyPrefix).members;
      await waitFor(`${threads} matcher threads to join`, READY_TIMEOUT_MS, async () => {
        alive();
        return (await redis.zcard(members)) >= threads || undefined;
      });
      // With several threads the first one takes every shard and hands them over as the others
      // join; within a lease period of the last join, ownership has settled (test/support/system.ts).
      if (threads > 1) await sleep(Number(env.LEASE_TTL_MS ?? DEFAULT_LEASE_TTL_MS));
    } finally {
      redis.disconnect();
    }
    log(
      `started ${options.apiProcesses} API and ${options.matcherProcesses} matcher process(es) ` +
        `× ${options.matcherThreads} thread(s); logs in ${options.logDir}`,
    );
    return {
      apiUrls,
      matcherMetricsUrls: matcherUrls.map((u) => `${u}/metrics`),
      apiMetricsUrls: apiUrls.map((u) => `${u}/metrics`),
      processes: started.map((s) => ({ name: s.name, pid: s.child.pid! })),
      keyPrefix,
      redisUrl: options.redisUrl,
      mysqlUrl,
      jwtSecret,
      env,
      database,
      stop,
      cleanup,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    await cleanup().catch(() => undefined);
    throw error;
  }
}

/** SIGTERM, then SIGKILL what still runs after timeoutMs. */
async function terminate(processes: readonly Started[], timeoutMs: number): Promise<void> {
  const running = processes.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
  const exits = running.map((s) => new Promise((resolve) => s.child.once('exit', resolve)));
  for (const s of running) s.child.kill('SIGTERM');
  const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
  await Promise.race([Promise.all(exits), timer]);
  for (const s of running) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  }
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    const keys = await scanKeys(redis, createKeys(prefix).pattern);
    for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
  } finally {
    redis.disconnect();
  }
}

async function dropDatabase(mysqlUrl: string, database: string): Promise<void> {
  if (!BENCH_DATABASE.test(database))
    throw new Error(`refusing to drop ${database}: not a benchmark database`);
  const pool = createMysqlPool({ mysql: { url: mysqlUrl } }, { withoutDatabase: true, connectionLimit: 1 });
  try {
    await pool.query('DROP DATABASE IF EXISTS ??', [database]);
  } finally {
    await pool.end();
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** A port free right now (the kernel's choice); the process that gets it binds it a moment later. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
