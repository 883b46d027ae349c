/**
 * The command line of `npm run bench:e2e`, validated once into a frozen object (a usage error names
 * the option to fix). Defaults are the target run: 10,000 orders/s for 60 s after 5 s of
 * warm-up against a system the benchmark starts itself.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_MIX, type OrderMix } from './order-flow.ts';
import type { ClientKind } from './senders.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface BenchOptions {
  /** Requests (places and cancels) offered per second; in step mode, the rates of the steps. */
  readonly rates: readonly number[];
  readonly stepMode: boolean;
  readonly durationSec: number;
  readonly warmupSec: number;
  readonly symbols: number;
  readonly users: number;
  readonly firstUser: number;
  readonly apiProcesses: number;
  readonly matcherProcesses: number;
  readonly matcherThreads: number;
  readonly connections: number;
  readonly client: ClientKind;
  readonly env: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly mix: OrderMix;
  readonly clientOrderIdShare: number;
  readonly timeoutMs: number;
  readonly drainTimeoutSec: number;
  readonly outDir: string;
  /** API base URLs of a running system; empty: start one. */
  readonly target: readonly string[];
  /** /metrics URLs of the running system's matcher processes (target mode). */
  readonly matcherMetrics: readonly string[];
  /** The running system's processes whose CPU to track (target mode), e.g. api-1 → 1234. */
  readonly pids: ReadonlyArray<{ readonly name: string; readonly pid: number }>;
  readonly logLevel: string;
  /** Leave the started system's database and keys in place (for a look after the run). */
  readonly keep: boolean;
  /** Seconds of slowlog sample in the middle of each window, for Redis's time by script; 0: none. */
  readonly redisSampleSec: number;
}

export const USAGE = `npm run bench:e2e -- [options]
  --rate N               requests (places + cancels) offered per second (10000)
  --duration S           measured seconds per run or step (60)
  --warmup S             seconds at the same rate before measuring (5)
  --step R1,R2,...       step mode: these rates, in order, until an objective breaks
  --step-from A --step-to B --step-by C   the same as a range
  --symbols N            markets BENCH1-USDT... (8)      --users N   traders (200)
  --first-user ID        first trader's user id (100001)
  --api-processes N      (1)   --matcher-processes N (1)   --matcher-threads N (WORKER_THREADS, 1)
  --env KEY=VALUE        extra setting for the processes started (repeatable), e.g. BATCH_SIZE=512
  --connections N        keep-alive connections per API process (256)
  --client raw|undici    the generator's HTTP client (raw: the cheapest; undici: the reference)
  --seed N (42)          --mix passive=50,cancel=25,cross=20,market=5
  --client-order-ids F   share of places with a clientOrderId, 0..1 (0.5)
  --timeout MS           per-request timeout (10000)     --drain-timeout S  wait for quiescence (120)
  --out DIR              results directory (bench-results)
  --target URL[,URL]     drive a running system (KEY_PREFIX, REDIS_URL, MYSQL_URL, JWT_SECRET from the
                         environment, as for npm run audit) instead of starting one
  --matcher-metrics URL[,URL]  its matcher processes' /metrics (target mode)
  --pid NAME=PID         a process of the running system to measure the CPU of (repeatable), e.g. api-1=4242
  --log-level L          LOG_LEVEL of the processes started (warn)
  --keep                 keep the started system's database and keys after the run
  --redis-sample S       split Redis's time by script from a slowlog sample of S seconds in the middle
                         of each window (0: no sample; it slows Redis a little while it records)`;

const OPTIONS = {
  rate: { type: 'string', default: '10000' },
  duration: { type: 'string', default: '60' },
  warmup: { type: 'string', default: '5' },
  step: { type: 'string' },
  'step-from': { type: 'string' },
  'step-to': { type: 'string' },
  'step-by': { type: 'string' },
  symbols: { type: 'string', default: '8' },
  users: { type: 'string', default: '200' },
  'first-user': { type: 'string', default: '100001' },
  'api-processes': { type: 'string', default: '1' },
  'matcher-processes': { type: 'string', default: '1' },
  'matcher-threads': { type: 'string', default: '1' },
  connections: { type: 'string', default: '256' },
  client: { type: 'string', default: 'raw' },
  env: { type: 'string', multiple: true },
  seed: { type: 'string', default: '42' },
  mix: { type: 'string' },
  'client-order-ids': { type: 'string', default: '0.5' },
  timeout: { type: 'string', default: '10000' },
  'drain-timeout': { type: 'string', default: '120' },
  out: { type: 'string', default: 'bench-results' },
  target: { type: 'string' },
  'matcher-metrics': { type: 'string' },
  pid: { type: 'string', multiple: true },
  'log-level': { type: 'string', default: 'warn' },
  keep: { type: 'boolean', default: false },
  'redis-sample': { type: 'string', default: '0' },
  help: { type: 'boolean', default: false },
} as const;

function number(
  name: string,
  text: string,
  { min, max, integer }: { min: number; max: number; integer: boolean },
) {
  const value = Number(text.replaceAll('_', ''));
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw new UsageError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${text}"`,
    );
  }
  return value;
}

const int = (name: string, text: string, min = 1, max = 1_000_000) =>
  number(name, text, { min, max, integer: true });

function urls(name: string, text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((raw) => {
    const url = raw.trim().replace(/\/+$/, '');
    if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(url))
      throw new UsageError(`--${name}: not an http(s) URL: "${raw}"`);
    return url;
  });
}

function parseMix(text: string | undefined): OrderMix {
  if (text === undefined) return DEFAULT_MIX;
  const mix: Record<string, number> = { passive: 0, cancel: 0, cross: 0, market: 0 };
  for (const part of text.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (key === undefined || !(key in mix) || value === undefined) {
      throw new UsageError(`--mix: expected passive=N,cancel=N,cross=N,market=N, got "${text}"`);
    }
    mix[key] = number('mix', value, { min: 0, max: 1_000_000, integer: false });
  }
  if (Object.values(mix).every((w) => w === 0)) throw new UsageError('--mix: every weight is 0');
  return mix as unknown as OrderMix;
}

function stepRates(values: {
  step?: string;
  'step-from'?: string;
  'step-to'?: string;
  'step-by'?: string;
}): number[] | null {
  const range = [values['step-from'], values['step-to'], values['step-by']];
  if (values.step !== undefined) {
    if (range.some((v) => v !== undefined))
      throw new UsageError('--step and --step-from/--step-to/--step-by exclude each other');
    return values.step.split(',').map((r) => int('step', r.trim()));
  }
  if (range.every((v) => v === undefined)) return null;
  if (range.some((v) => v === undefined))
    throw new UsageError('--step-from, --step-to and --step-by go together');
  const from = int('step-from', range[0]!);
  const to = int('step-to', range[1]!);
  const by = int('step-by', range[2]!);
  if (to < from) throw new UsageError('--step-to must be at least --step-from');
  const rates: number[] = [];
  for (let r = from; r <= to; r += by) rates.push(r);
  return rates;
}

function clientOf(text: string): ClientKind {
  if (text !== 'raw' && text !== 'undici') throw new UsageError(`--client is raw or undici, got "${text}"`);
  return text;
}

/** Parses argv (without node and the script); throws UsageError. `help` is returned as null. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | null {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return null;
  const steps = stepRates(values);
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (match === null) throw new UsageError(`--env must be KEY=VALUE, got "${pair}"`);
    env[match[1]!] = match[2]!;
  }
  const target = urls('target', values.target);
  const options: BenchOptions = {
    rates: steps ?? [int('rate', values.rate)],
    stepMode: steps !== null,
    durationSec: int('duration', values.duration, 1, 86_400),
    warmupSec: int('warmup', values.warmup, 0, 3_600),
    symbols: int('symbols', values.symbols, 1, 1_000),
    users: int('users', values.users, 1, 100_000),
    firstUser: int('first-user', values['first-user'], 1, 2 ** 52),
    apiProcesses: int('api-processes', values['api-processes'], 1, 64),
    matcherProcesses: int('matcher-processes', values['matcher-processes'], 1, 64),
    matcherThreads: int('matcher-threads', values['matcher-threads'], 1, 64),
    connections: int('connections', values.connections, 1, 10_000),
    client: clientOf(values.client),
    env,
    seed: int('seed', values.seed, 0, 2 ** 32 - 1),
    mix: parseMix(values.mix),
    clientOrderIdShare: number('client-order-ids', values['client-order-ids'], {
      min: 0,
      max: 1,
      integer: false,
    }),
    timeoutMs: int('timeout', values.timeout, 100, 600_000),
    drainTimeoutSec: int('drain-timeout', values['drain-timeout'], 1, 3_600),
    outDir: values.out,
    target,
    matcherMetrics: urls('matcher-metrics', values['matcher-metrics']),
    pids: (values.pid ?? []).map((pair) => {
      const match = /^([a-z][a-z0-9_-]*)=([1-9][0-9]*)$/.exec(pair);
      if (match === null) throw new UsageError(`--pid must be NAME=PID, e.g. api-1=4242, got "${pair}"`);
      return { name: match[1]!, pid: Number(match[2]) };
    }),
    logLevel: values['log-level'],
    keep: values.keep,
    redisSampleSec: int('redis-sample', values['redis-sample'], 0, 10),
  };
  if (options.redisSampleSec >= options.durationSec) {
    throw new UsageError('--redis-sample must be shorter than --duration: the sample sits inside the window');
  }
  if (target.length === 0 && (options.matcherMetrics.length > 0 || options.pids.length > 0)) {
    throw new UsageError('--matcher-metrics and --pid are for --target: a started system is measured anyway');
  }
  return Object.freeze(options);
}
