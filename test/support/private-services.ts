/**
 * Private Redis and MariaDB servers for failure tests: each call starts a server of its own, on a
 * free port, with its data in a fresh temp directory, that the test may kill (SIGKILL, a crash),
 * stop (SIGTERM, a clean shutdown), pause and start again on the same port and data. The shared
 * servers on 6379 and 3306 are never touched: other people's tests run against them meanwhile.
 *
 *   const redis = await startPrivateRedis(); // AOF on, appendfsync always: a crash loses nothing
 *   const db = await startPrivateMariaDb(); // root, no password, database `test`
 *   after(() => Promise.all([redis.destroy(), db.destroy()]));
 *
 * Call destroy() in after(): it kills the server and removes its directory. As a last resort every
 * server still running is SIGKILLed (and its directory removed) when the test process exits, and,
 * where util-linux's setpriv exists, the kernel SIGKILLs it when the test process dies any other way
 * (PR_SET_PDEATHSIG; spawn from the main thread, whose death is what triggers it). The directories
 * (`$TMPDIR/private-<kind>-<test pid>-*`) of a test process that died that way are removed by the
 * next one that starts a server.
 *
 * Each server's stdout and stderr go to a log file in its directory (redis.log, mariadb.log); a
 * start that fails or does not answer within 30 s throws with the log's last lines.
 *
 * MariaDB: `--no-defaults` (first argument, so /etc/mysql is never read), its own socket and pid
 * file, small memory, no binlog, no performance_schema, and the shared server's utf8mb4 settings.
 * mariadb-install-db takes about 0.5 s (more under load), so it runs once per test process into a
 * pristine template, and each instance starts from a copy of it (about 20 ms).
 */
import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import {
  findBinary,
  makeDir,
  removeDir,
  START_TIMEOUT_MS,
  startOnFreePort,
  type PrivateServer,
} from './private-server-process.ts';

export type { PrivateServer } from './private-server-process.ts';
/** `url` is redis://127.0.0.1:<port>; the data (appendonlydir) is in `dir`. */
export type PrivateRedis = PrivateServer;

export interface PrivateRedisOptions {
  /** Append-only file on, so that a restart replays it. Default: true. */
  readonly appendonly?: boolean;
  /** When Redis fsyncs the AOF; 'always' loses nothing on SIGKILL. Default: 'always'. */
  readonly appendfsync?: 'always' | 'everysec';
}

/** `url` is mysql://root@127.0.0.1:<port>/test. */
export interface PrivateMariaDb extends PrivateServer {
  readonly datadir: string;
}

/** Settings for both mariadb-install-db and the server: a small, quick server like the shared one. */
const MARIADB_TUNING = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=8M',
  '--skip-log-bin',
  '--performance-schema=OFF',
  '--skip-name-resolve',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_general_ci',
];

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const command = findBinary(['redis-server'], 'redis-server');
  const dir = await makeDir('private-redis-');
  return startOnFreePort(dir, (port) => ({
    name: `private redis-server :${port}`,
    command,
    args: [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'],
      ...['--protected-mode', 'no', '--save', '', '--logfile', ''],
      ...['--appendonly', (options.appendonly ?? true) ? 'yes' : 'no'],
      ...['--appendfsync', options.appendfsync ?? 'always'],
    ],
    logFile: join(dir, 'redis.log'),
    probe: () => pingRedis(port, dir),
    url: `redis://127.0.0.1:${port}`,
  }));
}

export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
  const command = findBinary(['mariadbd', 'mysqld'], 'mariadb-server');
  const template = await mariaDbTemplate();
  const dir = await makeDir('private-mariadb-');
  const datadir = join(dir, 'data');
  await cp(template, datadir, { recursive: true });
  const server = await startOnFreePort(dir, (port) => ({
    name: `private mariadbd :${port}`,
    command,
    args: [
      '--no-defaults',
      `--user=${userInfo().username}`,
      `--datadir=${datadir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--tmpdir=${dir}`,
      ...MARIADB_TUNING,
    ],
    logFile: join(dir, 'mariadb.log'),
    probe: () => connectMariaDb(port, datadir),
    url: `mysql://root@127.0.0.1:${port}/test`,
  }));
  return Object.assign(server, { datadir });
}

// ---------------------------------------------------------------------------------------------
// Probes

/**
 * PING over a raw socket: +PONG once ready, -LOADING while the AOF is replayed. Then CONFIG GET dir,
 * so that a server that took the port meanwhile is not mistaken for this one.
 */
function pingRedis(port: number, dir: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const finish = (result: string | undefined) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => finish(`no answer to PING and CONFIG GET dir (${dir}) within 1 s`));
    socket.on('error', (error) => finish(error.message));
    socket.on('close', () => finish('connection closed before PONG'));
    socket.on('connect', () => socket.write('PING\r\nCONFIG GET dir\r\n'));
    socket.on('data', (data) => {
      answer += data.toString('utf8');
      if (!answer.includes('\r\n')) return;
      const first = answer.slice(0, answer.indexOf('\r\n'));
      if (first !== '+PONG') finish(`PING answered ${first}`);
      else if (answer.includes(`\r\n${dir}\r\n`)) finish(undefined);
    });
  });
}

/**
 * A root login over TCP, which also creates the database `test` (idempotent) and checks the
 * datadir, so that a server that took the port meanwhile is not mistaken for this one.
 */
async function connectMariaDb(port: number, datadir: string): Promise<string | undefined> {
  try {
    const connection = await createConnection({
      host: '127.0.0.1',
      port,
      user: 'root',
      connectTimeout: 2000,
    });
    try {
      const [rows] = await connection.query('SELECT @@datadir AS datadir');
      const served = String((rows as Array<{ datadir: unknown }>)[0]?.datadir).replace(/\/$/, '');
      if (served !== datadir) return `the server on port ${port} serves ${served}, not ${datadir}`;
      await connection.query('CREATE DATABASE IF NOT EXISTS test');
    } finally {
      connection.destroy();
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

// ---------------------------------------------------------------------------------------------
// MariaDB's pristine data directory, once per test process

let template: Promise<string> | undefined;

function mariaDbTemplate(): Promise<string> {
  template ??= initialiseTemplate().catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  return template;
}

async function initialiseTemplate(): Promise<string> {
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db'], 'mariadb-server');
  const dir = await makeDir('private-mariadb-template-');
  const datadir = join(dir, 'data');
  try {
    await promisify(execFile)(
      installDb,
      [
        '--no-defaults',
        '--auth-root-authentication-method=normal',
        `--datadir=${datadir}`,
        `--user=${userInfo().username}`,
        '--skip-test-db',
        ...MARIADB_TUNING,
      ],
      { timeout: START_TIMEOUT_MS },
    );
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    await removeDir(dir);
    const tail = `${stdout}${stderr}`.trimEnd().split('\n').slice(-20).join('\n  | ');
    const why = String((error as Error).message).split('\n')[0];
    throw new Error(`${installDb} failed: ${why}\n  | ${tail}`, { cause: error });
  }
  return datadir;
}
