/**
 * Matcher *processes* for end-to-end tests: `node --import tsx src/processes/matcher-process.ts` as a
 * child, configured through its environment, with its JSON log lines (pino, stdout) captured and
 * parsed so that a test can wait for and inspect what the process reports ('matcher thread ready'
 * with its memberId, 'symbol taken over' with symbol, shard, member, from and replayed, ...).
 *
 * `stop()` is a clean stop (SIGTERM: finish the batch, flush it to MySQL, release the leases, leave) awaited
 * with a bound; `kill()` is a crash (SIGKILL). A child still alive when the test process exits is
 * SIGKILLed, so a failed test leaves no matcher running against Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../src/processes/matcher-process.ts', import.meta.url));

export interface MatcherProcessOptions {
  /** KEY_PREFIX of the test: the process works only under it. */
  readonly keyPrefix: string;
  /** MYSQL_URL of the test's own database (test/support/mysql.ts): checkpoints, rows and fences. */
  readonly mysqlUrl: string;
  /** SHARD_COUNT; default 16. */
  readonly shardCount?: number;
  /** WORKER_THREADS; default 1 (one member per process). */
  readonly workerThreads?: number;
  /** LEASE_TTL_MS; default 1500 (a rebalance every TTL/3). */
  readonly leaseTtlMs?: number;
  /** LOG_LEVEL; default info ('symbol taken over' is logged at info). */
  readonly logLevel?: string;
  /** Any other variable (BATCH_SIZE, REDIS_URL, ...); wins over the above. */
  readonly env?: Readonly<Record<string, string>>;
  /** A name for messages; default "matcher pid N". */
  readonly label?: string;
}

/** One pino line of the process; its own fields (symbol, member, memberId, ...) are in the index. */
export interface MatcherLogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A 'symbol taken over' line. */
export interface Takeover {
  readonly symbol: string;
  readonly shard: number;
  readonly member: string;
  /** The MySQL fencing epoch the takeover claimed. */
  readonly epoch: number;
  /** Entry id of the durable checkpoint the takeover started from ('0-0': none). */
  readonly from: string;
  /** Entries replayed from the stream on top of the checkpoint. */
  readonly replayed: number;
  /** Epoch ms, the process's clock (the same machine's as the test's). */
  readonly time: number;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StopResult extends ProcessExit {
  /** From the SIGTERM to the exit. */
  readonly elapsedMs: number;
}

interface Waiter {
  readonly predicate: (line: MatcherLogLine) => boolean;
  readonly resolve: (line: MatcherLogLine) => void;
  readonly reject: (error: Error) => void;
  readonly what: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** The last resort: whatever happens to the test process, its matchers do not outlive it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export class MatcherProcess {
  readonly label: string;
  readonly workerThreads: number;
  /** Every JSON log line, in arrival order. */
  readonly logs: MatcherLogLine[] = [];
  /** Lines of stdout that were not JSON log lines, and all of stderr. */
  readonly output: string[] = [];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private waiters: Waiter[] = [];

  private constructor(
    private readonly child: ChildProcess,
    options: MatcherProcessOptions,
  ) {
    this.label = options.label ?? `matcher pid ${child.pid}`;
    this.workerThreads = options.workerThreads ?? 1;
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.output.push(line));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        const exit: ProcessExit = { code, signal };
        this.exit = exit;
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w.reject(this.exitedBefore(w.what));
        resolve(exit);
      });
    });
  }

  /** Starts `node --import tsx src/processes/matcher-process.ts` with the options as its environment. */
  static spawn(options: MatcherProcessOptions): MatcherProcess {
    installExitHook();
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        KEY_PREFIX: options.keyPrefix,
        MYSQL_URL: options.mysqlUrl,
        SHARD_COUNT: String(options.shardCount ?? 16),
        WORKER_THREADS: String(options.workerThreads ?? 1),
        LEASE_TTL_MS: String(options.leaseTtlMs ?? 1500),
        LOG_LEVEL: options.logLevel ?? 'info',
        // Any free port for /metrics unless the test names one: processes of parallel tests never collide.
        METRICS_PORT: '0',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    return new MatcherProcess(child, options);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** How it exited, or undefined while it runs. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** The member ids of its threads, from their 'matcher thread ready' lines. */
  members(): string[] {
    return this.logs.filter((l) => l.msg === 'matcher thread ready').map((l) => String(l.memberId));
  }

  /** Every 'symbol taken over' line so far, in order. */
  takeovers(): Takeover[] {
    return this.logs
      .filter((l) => l.msg === 'symbol taken over')
      .map((l) => ({
        symbol: String(l.symbol),
        shard: Number(l.shard),
        member: String(l.member),
        epoch: Number(l.epoch),
        from: String(l.from),
        replayed: Number(l.replayed),
        time: l.time,
      }));
  }

  /** The symbols it has taken over at least once. */
  takenOverSymbols(): Set<string> {
    return new Set(this.takeovers().map((t) => t.symbol));
  }

  /** Lines at warn level or above (pino: 40 warn, 50 error, 60 fatal). */
  problems(): MatcherLogLine[] {
    return this.logs.filter((l) => l.level >= 40);
  }

  /** The first line, already seen or to come, that matches; rejects on timeout or when the process exits. */
  waitFor(
    predicate: (line: MatcherLogLine) => boolean,
    options: { readonly timeoutMs: number; readonly what: string },
  ): Promise<MatcherLogLine> {
    const seen = this.logs.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.exit !== undefined) return Promise.reject(this.exitedBefore(options.what));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.label}: no ${options.what} within ${options.timeoutMs} ms\n${this.tail()}`));
      }, options.timeoutMs);
      const waiter: Waiter = {
        predicate,
        what: options.what,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits until every thread has said 'matcher thread ready'; returns their member ids. */
  async ready(timeoutMs = 20_000): Promise<string[]> {
    await this.waitFor(() => this.members().length >= this.workerThreads, {
      timeoutMs,
      what: `'matcher thread ready' of ${this.workerThreads} thread(s)`,
    });
    return this.members();
  }

  /**
   * Clean stop: SIGTERM, then waits for the exit. Past `timeoutMs` it SIGKILLs the process and
   * throws, so that a stop that hangs fails the test instead of passing as a crash.
   */
  async stop(timeoutMs = 10_000): Promise<StopResult> {
    if (this.exit !== undefined) return { ...this.exit, elapsedMs: 0 };
    const started = Date.now();
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      await this.kill();
      throw new Error(`${this.label} did not exit within ${timeoutMs} ms of SIGTERM\n${this.tail()}`);
    }
    return { ...result, elapsedMs: Date.now() - started };
  }

  /** Sends a signal without waiting (SIGSTOP and SIGCONT make a zombie). */
  signal(signal: NodeJS.Signals): void {
    if (this.exit === undefined) this.child.kill(signal);
  }

  /** Crash: SIGKILL, then waits for the exit. */
  async kill(): Promise<ProcessExit> {
    if (this.exit === undefined) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Its last lines, for failure messages. */
  tail(count = 15): string {
    const lines = [...this.logs.map((l) => JSON.stringify(l)), ...this.output];
    return lines
      .slice(-count)
      .map((l) => `  | ${l}`)
      .join('\n');
  }

  private exitedBefore(what: string): Error {
    const exit = this.exit!;
    const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
    return new Error(`${this.label} exited (${how}) before ${what}\n${this.tail()}`);
  }

  private onLine(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (
      parsed === null ||
      typeof parsed !== 'object' ||
      typeof (parsed as { msg?: unknown }).msg !== 'string'
    ) {
      this.output.push(text);
      return;
    }
    const line = parsed as MatcherLogLine;
    this.logs.push(line);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.predicate(line)) w.resolve(line);
      else this.waiters.push(w);
    }
  }
}

/** Stops every process still running (SIGTERM, SIGKILL past the bound); never throws. For after hooks. */
export async function stopAll(processes: Iterable<MatcherProcess>, timeoutMs = 10_000): Promise<void> {
  await Promise.all(
    [...processes].map(async (p) => {
      try {
        await p.stop(timeoutMs);
      } catch {
        await p.kill();
      }
    }),
  );
}
