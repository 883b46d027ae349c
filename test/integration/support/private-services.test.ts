/**
 * The private servers of test/support/private-services.ts, as real processes: what the failure tests
 * rely on. Redis keeps a key and a stream entry across SIGKILL (AOF, appendfsync always); MariaDB
 * keeps a committed row across a clean stop and across SIGKILL; destroy() leaves no process and no
 * directory, and neither does a test process that forgets it or is itself SIGKILLed.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import {
  startPrivateMariaDb,
  startPrivateRedis,
  type PrivateMariaDb,
  type PrivateRedis,
} from '../../support/private-services.ts';

const EXIT_FIXTURE = new URL('./private-services-exit.fixture.ts', import.meta.url).pathname;

/** Alive, not a zombie: an orphan killed after its parent died stays a zombie until init reaps it. */
function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

async function waitUntilDead(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function withRedis<T>(server: PrivateRedis, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A refused connection also fails the command, which is what the tests look at.
  client.on('error', () => undefined);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

async function query(server: PrivateMariaDb, sql: string): Promise<RowDataPacket[]> {
  const connection = await createConnection(server.url);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(sql);
    return rows;
  } finally {
    await connection.end();
  }
}

describe('test support: private Redis and MariaDB servers', function () {
  this.timeout(60_000);

  describe('startPrivateRedis', () => {
    let redis: PrivateRedis;
    before(async () => {
      redis = await startPrivateRedis();
    });
    after(async () => {
      await redis?.destroy();
    });

    it('runs its own server: another port, its own dir, AOF on with appendfsync always', async () => {
      expect(redis.port).to.not.equal(6379);
      expect(redis.url).to.equal(`redis://127.0.0.1:${redis.port}`);
      const config = await withRedis(redis, async (client) => ({
        dir: await client.config('GET', 'dir'),
        appendonly: await client.config('GET', 'appendonly'),
        appendfsync: await client.config('GET', 'appendfsync'),
        save: await client.config('GET', 'save'),
        pid: (await client.info('server')).match(/process_id:(\d+)/)?.[1],
      }));
      expect(config).to.deep.equal({
        dir: ['dir', redis.dir],
        appendonly: ['appendonly', 'yes'],
        appendfsync: ['appendfsync', 'always'],
        save: ['save', ''],
        pid: String(redis.pid),
      });
    });

    it('keeps a key and a stream entry across SIGKILL and start() on the same port', async () => {
      const id = await withRedis(redis, async (client) => {
        await client.set('survivor', 'v1');
        return client.xadd('stream', '*', 'field', 'value');
      });
      const before = { pid: redis.pid, port: redis.port };
      await redis.kill('SIGKILL');
      expect(redis.isRunning()).to.equal(false);
      expect(isAlive(before.pid), 'the killed server').to.equal(false);
      await withRedis(redis, (client) => client.ping()).then(
        () => expect.fail('a killed server answered'),
        (error: Error) => expect(error.message).to.match(/ECONNREFUSED|Connection is closed/),
      );

      await redis.start();
      expect(redis.isRunning()).to.equal(true);
      expect(redis.port).to.equal(before.port);
      expect(redis.pid).to.not.equal(before.pid);
      const after = await withRedis(redis, async (client) => ({
        value: await client.get('survivor'),
        entries: await client.xrange('stream', '-', '+'),
      }));
      expect(after).to.deep.equal({ value: 'v1', entries: [[id, ['field', 'value']]] });
    });

    it('loses everything across SIGKILL when started with appendonly: false', async () => {
      const volatile = await startPrivateRedis({ appendonly: false });
      try {
        await withRedis(volatile, (client) => client.set('gone', '1'));
        await volatile.kill();
        await volatile.start();
        expect(await withRedis(volatile, (client) => client.dbsize())).to.equal(0);
      } finally {
        await volatile.destroy();
      }
    });

    it('pause() leaves the port open but unanswered until resume()', async () => {
      const pingWithin = (ms: number) =>
        withRedis(redis, async (client) => {
          const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), ms));
          return Promise.race([client.ping(), timeout]);
        });
      redis.pause();
      try {
        expect(await pingWithin(300)).to.equal('timeout');
        expect(redis.isRunning()).to.equal(true);
      } finally {
        redis.resume();
      }
      expect(await pingWithin(2000)).to.equal('PONG');
    });

    it('start() fails with the log tail when its port is taken, and works once it is free', async () => {
      await redis.stop();
      const blocker = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => blocker.listen(redis.port, '127.0.0.1', resolve));
      try {
        await redis.start().then(
          () => expect.fail('started on a taken port'),
          (error: Error) => {
            expect(error.message).to.include(`private redis-server :${redis.port} exited during start-up`);
            expect(error.message).to.include(`${redis.dir}/redis.log`);
            expect(error.message).to.match(/Address already in use/);
          },
        );
        expect(redis.isRunning()).to.equal(false);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
      await redis.start();
      expect(await withRedis(redis, (client) => client.get('survivor'))).to.equal('v1');
    });

    it('destroy() leaves no process and no directory', async () => {
      const { pid, dir } = redis;
      expect(existsSync(dir)).to.equal(true);
      await redis.destroy();
      expect(redis.isRunning()).to.equal(false);
      expect(isAlive(pid), 'the server process').to.equal(false);
      expect(existsSync(dir), dir).to.equal(false);
    });
  });

  describe('startPrivateMariaDb', () => {
    let db: PrivateMariaDb;
    before(async () => {
      db = await startPrivateMariaDb();
    });
    after(async () => {
      await db?.destroy();
    });

    it('serves root over TCP without a password, database test, from its own datadir', async () => {
      expect(db.port).to.not.equal(3306);
      expect(db.url).to.equal(`mysql://root@127.0.0.1:${db.port}/test`);
      const [row] = await query(
        db,
        'SELECT DATABASE() AS db, @@port AS port, @@datadir AS datadir, @@socket AS socket, @@log_bin AS logBin',
      );
      expect({ ...row }).to.deep.equal({
        db: 'test',
        port: db.port,
        datadir: `${db.datadir}/`,
        socket: `${db.dir}/mysqld.sock`,
        logBin: 0,
      });
    });

    it('keeps a committed row across stop() and start(); queries fail while it is stopped', async () => {
      await query(db, 'CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE = InnoDB');
      await query(db, "INSERT INTO kept VALUES (1, 'one')");
      await db.stop();
      expect(db.isRunning()).to.equal(false);
      await query(db, 'SELECT 1').then(
        () => expect.fail('a stopped server answered'),
        (error: NodeJS.ErrnoException) => expect(error.code).to.equal('ECONNREFUSED'),
      );
      await db.start();
      expect((await query(db, 'SELECT id, v FROM kept')).map((r) => ({ ...r }))).to.deep.equal([
        { id: 1, v: 'one' },
      ]);
    });

    it('recovers committed rows after SIGKILL', async () => {
      await query(db, "INSERT INTO kept VALUES (2, 'two')");
      const killed = db.pid;
      await db.kill('SIGKILL');
      expect(isAlive(killed), 'the killed server').to.equal(false);
      await db.start();
      const rows = await query(db, 'SELECT id FROM kept ORDER BY id');
      expect(rows.map((r) => r.id)).to.deep.equal([1, 2]);
    });

    it('destroy() leaves no process and no directory', async () => {
      const { pid, dir } = db;
      await db.destroy();
      expect(isAlive(pid), 'the server process').to.equal(false);
      expect(existsSync(dir), dir).to.equal(false);
    });
  });

  describe('servers never outlive the test process', () => {
    const runFixture = async (mode: 'end') => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', EXIT_FIXTURE, mode],
        {
          timeout: 20_000,
        },
      );
      return JSON.parse(stdout) as { pid: number; dir: string };
    };

    it('are killed, their directories removed, when the process ends without destroy()', async () => {
      const { pid, dir } = await runFixture('end');
      expect(await waitUntilDead(pid), `redis-server ${pid} after its parent ended`).to.equal(true);
      expect(existsSync(dir), dir).to.equal(false);
    });

    it('are killed when the process is SIGKILLed; the next test process removes the directory', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', EXIT_FIXTURE, 'hang'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let started: { pid: number; dir: string } | undefined;
      try {
        for await (const line of createInterface({ input: child.stdout })) {
          started = JSON.parse(line) as { pid: number; dir: string };
          break;
        }
        expect(started, 'the fixture printed its server').to.not.equal(undefined);
        expect(isAlive(started!.pid)).to.equal(true);
        child.kill('SIGKILL');
        await exited;
        expect(await waitUntilDead(started!.pid), `redis-server ${started!.pid}`).to.equal(true);
        // No exit hook runs on SIGKILL: the directory stays until another test process starts a server.
        expect(existsSync(started!.dir), started!.dir).to.equal(true);
        await runFixture('end');
        expect(existsSync(started!.dir), started!.dir).to.equal(false);
      } finally {
        child.kill('SIGKILL');
        if (started !== undefined && /private-redis-/.test(started.dir)) {
          await rm(started.dir, { recursive: true, force: true });
        }
      }
    });
  });
});
