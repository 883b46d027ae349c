import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../../src/api/auth.ts';
import { ApiClient } from '../support/http-client.ts';
import { openTestMysql, type TestMysql } from '../support/mysql.ts';
import { startPrivateMariaDb, startPrivateRedis } from '../support/private-services.ts';
import { deleteKeys } from '../support/redis.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { loadConfig } from '../../src/config/config.ts';
import { waitForOrder } from './harness.ts';

/**
 * scripts/dev-environment-{start,stop,status}.sh as a developer runs them: real detached processes,
 * on ports, a key prefix, a database and a state directory (DEV_DIR) of the test's own, so that a
 * developer's running environment, `npm start` and the shared data are never touched.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JWT_SECRET = 'dev-environment-test-secret-0123456789abcdef';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function script(
  name: 'start' | 'stop' | 'status',
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, `scripts/dev-environment-${name}.sh`), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Alive and not a zombie (an exited process not reaped yet still answers kill -0). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports, away from the defaults (8080, 9464) and the ephemeral range. */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    let free = true;
    for (let i = 0; i < count && free; i++) free = await portFree(base + i);
    if (free) return base;
  }
}

/** The pids the pid files of DEV_DIR record, by process name. */
async function pids(devDir: string): Promise<Record<string, number>> {
  const run = join(devDir, 'run');
  const names = existsSync(run) ? (await readdir(run)).filter((f) => f.endsWith('.pid')) : [];
  return Object.fromEntries(
    names.map((f) => [f.slice(0, -4), Number(readFileSync(join(run, f), 'utf8').split('\n')[0])]),
  );
}

describe('e2e: dev-environment start, status and stop scripts', function () {
  this.timeout(60_000);
  const prefix = `dev-${randomBytes(6).toString('hex')}`;
  let mysql: TestMysql;
  let devDir: string;
  let env: NodeJS.ProcessEnv;
  let apiPort: number;
  let metricsPort: number;

  before(async () => {
    mysql = await openTestMysql();
    devDir = await mkdtemp(join(tmpdir(), 'dev-environment-'));
    apiPort = await freePorts(1);
    metricsPort = await freePorts(2);
    env = {
      ...process.env,
      DEV_DIR: devDir,
      PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      KEY_PREFIX: prefix,
      MYSQL_URL: mysql.config.mysql.url,
      JWT_SECRET,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      WAIT_TIMEOUT_MS: '10000',
    };
    for (const name of ['DEV_APIS', 'DEV_MATCHERS', 'WORKER_THREADS', 'DEV_START_TIMEOUT', 'HOST'])
      delete env[name];
  });

  after(async function () {
    this.timeout(60_000);
    // Whatever a failed test left running goes first; then the test's keys and database.
    if (devDir) await script('stop', [], env);
    const redis = createRedis(loadConfig({ REDIS_URL: process.env.REDIS_URL, KEY_PREFIX: prefix }));
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
    await mysql?.close();
    if (devDir) await rm(devDir, { recursive: true, force: true });
  });

  it('starts everything in the background, reports it healthy, takes orders, starts idempotently and stops it all', async () => {
    const started = await script('start', [], env);
    expect(started.code, started.stdout + started.stderr).to.equal(0);
    expect(started.stdout).to.include(`http://127.0.0.1:${apiPort}`);
    expect(started.stdout).to.include('npm run dev:stop');
    const running = await pids(devDir);
    expect(Object.keys(running).sort()).to.deep.equal(['api-1', 'matcher-1', 'matcher-2']);
    for (const pid of Object.values(running)) expect(alive(pid)).to.equal(true);

    const status = await script('status', [], env);
    expect(status.code, status.stdout + status.stderr).to.equal(0);
    expect(status.stdout).to.match(/api-1\s+\d+\s+running\s+\S+\s+healthy/);
    expect(status.stdout).to.match(/matcher-1\s+\d+\s+running\s+\S+\s+healthy/);
    expect(status.stdout).to.match(/matcher-2\s+\d+\s+running\s+\S+\s+healthy/);
    // Each matcher on its own METRICS_PORT, as the start printed.
    expect(status.stdout).to.include(`/healthz 200 on :${metricsPort};`);
    expect(status.stdout).to.include(`/healthz 200 on :${metricsPort + 1};`);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort + 1}/metrics`);
    expect(metrics.status).to.equal(200);
    expect(status.stdout).to.match(/redis\s.*PONG/);
    expect(status.stdout).to.include(`database ${mysql.database}`);
    expect(status.stdout).to.match(/BTC-USDT\s+\d+\s+\d+\s/);

    // An order through the started API, matched by the started matchers: it rests on the book.
    const http = new ApiClient(`http://127.0.0.1:${apiPort}`);
    const admin = http.withToken(await mintToken(JWT_SECRET, { userId: 1, role: 'admin', expiresIn: 600 }));
    const alice = http.withToken(await mintToken(JWT_SECRET, { userId: 1001, expiresIn: 600 }));
    const deposit = await admin.deposit({ userId: 1001, asset: 'USDT', amount: '1000' });
    expect(deposit.status, deposit.text).to.equal(200);
    const placed = await alice.place({
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      price: '30000',
      quantity: '0.01',
    });
    expect(placed.status, placed.text).to.be.oneOf([200, 202]);
    const order = await waitForOrder(alice, placed.body.orderId, ['new']);
    expect(order.status).to.equal('new');

    const again = await script('start', [], env);
    expect(again.code, again.stdout + again.stderr).to.equal(0);
    expect(again.stdout).to.include('already running');
    expect(await pids(devDir)).to.deep.equal(running);

    const stopped = await script('stop', [], env);
    expect(stopped.code, stopped.stdout + stopped.stderr).to.equal(0);
    for (const pid of Object.values(running)) expect(alive(pid), `pid ${pid}`).to.equal(false);
    expect(await pids(devDir)).to.deep.equal({});

    const after = await script('status', [], env);
    expect(after.code, after.stdout).to.equal(1);
    expect(after.stdout).to.match(/api-1\s+-\s+stopped/);
    expect(after.stdout).to.include('the dev environment is stopped');

    const stoppedAgain = await script('stop', [], env);
    expect(stoppedAgain.code).to.equal(0);
    expect(stoppedAgain.stdout).to.include('nothing running');
  });

  it('a start whose process fails prints its log, exits 1 and leaves nothing running', async () => {
    const failed = await script('start', ['--no-services', '--no-migrate'], { ...env, SHARD_COUNT: '0' });
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.include('exited while starting');
    expect(failed.stderr).to.include('SHARD_COUNT');
    const launched = [...failed.stdout.matchAll(/started \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(launched).to.have.length(3);
    for (const pid of launched) expect(alive(pid), `pid ${pid}`).to.equal(false);
    expect(await pids(devDir)).to.deep.equal({});
  });

  it('stop --services shuts down the Redis and MariaDB it is pointed at (private ones here)', async function () {
    this.timeout(90_000);
    const [redis, mariadb] = await Promise.all([
      startPrivateRedis({ appendonly: false }),
      startPrivateMariaDb(),
    ]);
    try {
      const emptyDir = await mkdtemp(join(tmpdir(), 'dev-environment-services-'));
      const stop = await script('stop', ['--services'], {
        ...env,
        DEV_DIR: emptyDir,
        REDIS_URL: redis.url,
        MYSQL_URL: mariadb.url,
      });
      await rm(emptyDir, { recursive: true, force: true });
      expect(stop.code, stop.stdout + stop.stderr).to.equal(0);
      expect(stop.stdout).to.include('nothing running');
      expect(await portFree(redis.port)).to.equal(true);
      expect(await portFree(mariadb.port)).to.equal(true);
    } finally {
      await Promise.all([redis.destroy(), mariadb.destroy()]);
    }
  });
});
