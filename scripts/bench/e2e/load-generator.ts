/**
 * The load generator: a process of its own, so that its CPU is measured apart from the
 * orchestrator's and the event loop that keeps the timetable does nothing else. The parent forks
 * this file (runGenerator) and talks to it over IPC (generator-messages.ts): job → ready (every
 * connection open) → go → started, one `second` per second, done.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  FromGenerator,
  GeneratorJob,
  GeneratorResult,
  SecondStats,
  ToGenerator,
} from './generator-messages.ts';
import { LoadRun } from './load-run.ts';

export interface GeneratorHandle {
  readonly pid: number;
  /** Resolves when every connection is open (the run starts with `go`). */
  readonly ready: Promise<void>;
  /** Starts the timetable; resolves with the result once the run and its drain are over. */
  go(): Promise<GeneratorResult>;
  /** Lets the process go (it exits once disconnected); SIGKILL if it still runs 2 s later. */
  kill(): void;
}

export interface GeneratorCallbacks {
  onStarted?(startEpochMs: number): void;
  onSecond?(stats: SecondStats): void;
}

/** Forks the generator process with the job. */
export function startGenerator(job: GeneratorJob, callbacks: GeneratorCallbacks = {}): GeneratorHandle {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let settle: { resolve(result: GeneratorResult): void; reject(error: Error): void } | undefined;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    rejectReady(error);
    settle?.reject(error);
  };
  child.on('message', (message: FromGenerator) => {
    if (message.type === 'ready') resolveReady();
    else if (message.type === 'started') callbacks.onStarted?.(message.startEpochMs);
    else if (message.type === 'second') callbacks.onSecond?.(message.stats);
    else if (message.type === 'done') settle?.resolve(message.result);
    else fail(new Error(`load generator: ${message.message}`));
  });
  child.on('error', fail);
  child.on('exit', (code, signal) => fail(new Error(`load generator exited (${signal ?? code})`)));
  child.send({ type: 'job', job } satisfies ToGenerator);
  ready.catch(() => undefined);
  return {
    pid: child.pid ?? -1,
    ready,
    go: () =>
      new Promise<GeneratorResult>((resolve, reject) => {
        if (failure) return reject(failure);
        settle = { resolve, reject };
        child.send({ type: 'go' } satisfies ToGenerator);
      }),
    kill: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const stubborn = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
      setTimeout(stubborn, 2_000).unref();
    },
  };
}

function childMain(): void {
  const send = (message: FromGenerator) => process.send!(message);
  let run: LoadRun | undefined;
  const failed = (error: unknown) => {
    send({
      type: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    setTimeout(() => process.exit(1), 100);
  };
  process.on('message', (message: ToGenerator) => {
    if (message.type === 'job') {
      run = new LoadRun(message.job, (stats) => send({ type: 'second', stats }));
      run.connect().then(() => send({ type: 'ready' }), failed);
    } else if (message.type === 'go' && run !== undefined) {
      run
        .run((startEpochMs) => send({ type: 'started', startEpochMs }))
        // The process stays until the parent lets go (disconnect): its CPU is read at the window's end.
        .then((result) => send({ type: 'done', result }), failed);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send !== undefined) childMain();
