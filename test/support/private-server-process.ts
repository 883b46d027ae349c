/**
 * The process side of test/support/private-services.ts: one server process that can be killed,
 * stopped, paused and started again on the same port, with its output in a log file, and the
 * guarantees that no server outlives the test process (exit hook; parent-death signal via setpriv).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PrivateServer {
  readonly port: number;
  readonly url: string;
  /** The server's directory (its log file, and for Redis its data). */
  readonly dir: string;
  /** The current (or, once it has exited, the last) server process. */
  readonly pid: number;
  /** Sends the signal (a crash by default) and waits for the exit; throws if it outlives 10 s. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Clean shutdown: SIGTERM, waits for the exit; past 30 s SIGKILLs it and throws. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; waits until it answers. */
  start(): Promise<void>;
  /** SIGSTOP: the port stays open but nothing answers (a hung server). resume() or kill() ends it. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  isRunning(): boolean;
  /** Kills it if running and removes its directory. Idempotent; call it in after(). */
  destroy(): Promise<void>;
}

export const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const KILL_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;
/** Debian puts the servers in /usr/sbin, which a non-root PATH often lacks. */
const SEARCH_DIRS = [
  ...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''),
  ...['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'],
];

export interface ServerSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** Resolves undefined once the server answers, or why it does not yet. */
  readonly probe: () => Promise<string | undefined>;
  readonly url: string;
}

const liveChildren = new Set<ChildProcess>();
const dirsToRemove = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of dirsToRemove) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // The process is ending; a leftover temp directory is all that is lost.
      }
    }
  });
}

/** setpriv execs the server with PR_SET_PDEATHSIG, so even a SIGKILLed test process leaves no server. */
const SETPRIV = findOptional('setpriv');

class ServerProcess implements PrivateServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private running = false;
  private paused = false;
  private destroyed = false;
  private lastPid = 0;
  /** Where the log stood when the last start began. */
  private logOffset = 0;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly spec: ServerSpec,
  ) {}

  get url(): string {
    return this.spec.url;
  }

  get pid(): number {
    return this.lastPid;
  }

  isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`${this.spec.name}: destroyed, cannot start`);
    if (this.running) throw new Error(`${this.spec.name}: already running (pid ${this.lastPid})`);
    this.logOffset = fileSize(this.spec.logFile);
    this.spawn();
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const notYet = await this.spec.probe();
      if (notYet === undefined && this.running) return;
      if (!this.running) {
        throw this.failure(`exited during start-up (last probe: ${notYet ?? 'answered, another process?'})`);
      }
      if (Date.now() > deadline) {
        await this.kill('SIGKILL');
        throw this.failure(`did not answer within ${START_TIMEOUT_MS / 1000} s (last probe: ${notYet})`);
      }
      await sleep(50);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    if (this.paused && signal !== 'SIGKILL') this.resume();
    if (!(await this.waitForExit(KILL_TIMEOUT_MS))) {
      throw new Error(`${this.spec.name} still runs ${KILL_TIMEOUT_MS / 1000} s after ${signal}`);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    if (this.paused) this.resume();
    if (await this.waitForExit(STOP_TIMEOUT_MS)) return;
    await this.kill('SIGKILL');
    throw this.failure(`did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; SIGKILLed`);
  }

  pause(): void {
    if (!this.running) throw new Error(`${this.spec.name}: not running, cannot pause`);
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (this.running) this.child!.kill('SIGCONT');
    this.paused = false;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.kill('SIGKILL');
    await removeDir(this.dir);
  }

  /** What the server logged since the last start began. */
  logSinceStart(): string {
    try {
      return readFileSync(this.spec.logFile).subarray(this.logOffset).toString('utf8');
    } catch {
      return '';
    }
  }

  /** The error for a failed start or stop, with the log's last lines. */
  failure(what: string): Error {
    return new Error(`${this.spec.name} ${what}\n${logTail(this.spec.logFile)}`);
  }

  private spawn(): void {
    installExitHook();
    const [command, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', this.spec.command, ...this.spec.args]]
      : [this.spec.command, [...this.spec.args]];
    // The log file, not a pipe: no buffer to drain, and the server never dies of a closed pipe.
    const log = openSync(this.spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    // Unreferenced: a server the test forgot to destroy must not keep mocha from ending (and the
    // exit hook then kills it).
    child.unref();
    this.child = child;
    this.lastPid = child.pid ?? 0;
    this.running = true;
    this.paused = false;
    liveChildren.add(child);
    this.exited = new Promise((resolve) => {
      const done = () => {
        liveChildren.delete(child);
        if (this.child === child) this.running = false;
        resolve();
      };
      child.once('exit', done);
      // A spawn that fails emits 'error' and maybe no 'exit'.
      child.once('error', done);
    });
  }

  private async waitForExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const exited = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return exited;
  }
}

/** A free port can be taken between the check and the bind; then another port is tried. */
export async function startOnFreePort(
  dir: string,
  specFor: (port: number) => ServerSpec,
): Promise<PrivateServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = new ServerProcess(port, dir, specFor(port));
    try {
      await server.start();
      return server;
    } catch (error) {
      await server.kill('SIGKILL');
      const portTaken = /address already in use|errno: 98|error: 98/i.test(server.logSinceStart());
      if (attempt < PORT_ATTEMPTS && portTaken) continue;
      await server.destroy();
      throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Files, binaries, ports

function findOptional(name: string): string | undefined {
  for (const dir of SEARCH_DIRS) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

export function findBinary(names: readonly string[], debianPackage: string): string {
  for (const name of names) {
    const path = findOptional(name);
    if (path !== undefined) return path;
  }
  throw new Error(
    `${names.join(' / ')} not found on PATH nor in /usr/sbin, /usr/bin: install the Debian package ` +
      `${debianPackage} (apt-get install ${debianPackage}, or run scripts/ensure-services.sh as root)`,
  );
}

/** The temp directories of this module: `private-<kind>-<pid of the test process>-<random>`. */
const OUR_DIR = /^private-[a-z-]+?-(\d+)-[A-Za-z0-9]{6}$/;
let swept = false;

/** A temp directory named after this process (`prefix` ends with '-'), removed at exit at the latest. */
export async function makeDir(prefix: string): Promise<string> {
  if (!swept) {
    swept = true;
    await sweepDeadProcessesDirs();
  }
  // Real path: Redis reports its dir that way, and the probes compare it.
  const dir = await realpath(await mkdtemp(join(tmpdir(), `${prefix}${process.pid}-`)));
  dirsToRemove.add(dir);
  return dir;
}

/**
 * A test process killed by a signal runs no exit hook: its servers die (parent-death signal) but
 * its directories stay. The next test process removes those whose process is gone.
 */
async function sweepDeadProcessesDirs(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    const pid = Number(OUR_DIR.exec(name)?.[1] ?? 0);
    if (pid > 0 && pid !== process.pid && !processExists(pid)) {
      await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function logTail(path: string, lines = 20): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return `  (no log at ${path})`;
  }
  const tail = text.trimEnd().split('\n').slice(-lines);
  return `  last lines of ${path}:\n${tail.map((l) => `  | ${l}`).join('\n')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Removes a directory made by makeDir() now, rather than at exit. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  dirsToRemove.delete(dir);
}
