import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { compileMarkets, type CompiledMarket, type MarketDefinition } from '../markets/market-rules.ts';

/**
 * The one place that reads the environment and config/. Everything else receives a `Config`
 * (entry points call `loadConfig()` once; tests build one with `loadConfig({ ...overrides })`).
 * Invalid settings fail at boot with every problem listed, never later.
 */

/** Documented development default; production refuses to start with it (DESIGN.md §4). */
export const DEV_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** One `host:port` of REDIS_CLUSTER_NODES. */
const NODE = /^[A-Za-z0-9.-]+:\d{1,5}$/;

function clusterNodesOf(value: string): Array<{ host: string; port: number }> {
  if (value.trim() === '') return [];
  return value.split(',').map((node) => {
    const [host, port] = node.trim().split(':') as [string, string];
    return { host, port: Number(port) };
  });
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** HTTP port of the API. */
  PORT: integer(0, 65535, 8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** HS256 secret for bearer tokens; at least 32 characters. */
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  /** Largest accepted request body in bytes. */
  BODY_LIMIT_BYTES: integer(256, 1_048_576, 16_384),
  /** How long `?wait=true` waits for the engine's outcome before answering with the 202 ack. */
  WAIT_TIMEOUT_MS: integer(1, 60_000, 2_000),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster seed nodes, `host:port` comma-separated; empty (default): one Redis at REDIS_URL.
   * REDIS_URL's user, password and scheme (rediss: TLS) apply to every node. docs/redis-cluster.md:
   * the processes do not run on a Cluster yet; this opens the connection.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .default('')
    .refine(
      (value) => value.trim() === '' || value.split(',').every((node) => NODE.test(node.trim())),
      'REDIS_CLUSTER_NODES: comma-separated host:port, e.g. redis-0:6379,redis-1:6379',
    ),
  /** Prefix of every Redis key: lets tests and several deployments share one Redis. */
  KEY_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/, 'KEY_PREFIX: 1-32 characters of a-z, 0-9, _ or -')
    .default('ex'),
  MYSQL_URL: z.string().url().default('mysql://root@127.0.0.1:3306/test'),
  /** Symbols map to this many shards by a stable hash; fixed for the life of a deployment. */
  SHARD_COUNT: integer(1, 4096, 64),
  /** Matching threads per worker process. */
  WORKER_THREADS: integer(1, 64, 1),
  /**
   * Young generation of each matcher thread's heap (V8 `maxYoungGenerationSizeMb`). A batch's
   * records, rows and replies live until its MySQL flush: with V8's default (48 MB) they outlive
   * the scavenges and GC took a quarter of the thread at 4,000 orders/s (bench:e2e); 128 MB: 15 %.
   */
  MATCHER_YOUNG_GENERATION_MB: integer(16, 4096, 128),
  /** A shard lease expires this long after its last renewal. */
  LEASE_TTL_MS: integer(500, 120_000, 5_000),
  /** Port of a matcher process's /metrics and /healthz server; 0 = any free port (logged). */
  METRICS_PORT: integer(0, 65535, 9464),
  /** Most stream entries read and matched in one batch. */
  BATCH_SIZE: integer(1, 10_000, 256),
  /** Writer flush thresholds (DESIGN.md §5). */
  FLUSH_ROWS: integer(1, 100_000, 100),
  FLUSH_INTERVAL_MS: integer(1, 60_000, 500),
  /**
   * `batched` (default): the WriteBuffer flushes by its thresholds. `sync`: every batch is flushed
   * before the next one is read (createWriteBuffer's synchronous variant), for tests and debugging.
   */
  WRITER_KIND: z.enum(['batched', 'sync']).default('batched'),
  /** Rows owed to MySQL at which a matcher thread stops reading new entries until its writer catches up. */
  WRITER_BACKPRESSURE_ROWS: integer(1, 10_000_000, 20_000),
  /**
   * Entries a symbol's stream may hold beyond its durable checkpoint before the API refuses new
   * orders on it with 503 SYMBOL_BACKLOGGED and a Retry-After (cancels are still taken).
   */
  MAX_SYMBOL_BACKLOG: integer(1, 100_000_000, 200_000),
  /**
   * Trim each stream by MINID at its durable checkpoint (default). `false` keeps every entry, e.g.
   * to replay a symbol's whole history for an audit; the streams then grow without bound.
   */
  TRIM_STREAMS: z.enum(['true', 'false']).default('true'),
  MARKETS_FILE: z.string().default('config/markets.json'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly waitTimeoutMs: number;
  };
  readonly auth: { readonly jwtSecret: string };
  readonly redis: {
    readonly url: string;
    readonly keyPrefix: string;
    /** Seed nodes of a Redis Cluster; empty or absent for one Redis. */
    readonly clusterNodes?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  };
  readonly mysql: { readonly url: string };
  readonly matcher: {
    readonly shardCount: number;
    readonly workerThreads: number;
    /** Young generation of each matcher thread's heap, in MB. */
    readonly youngGenerationMb: number;
    readonly leaseTtlMs: number;
    readonly batchSize: number;
    /** The matcher process's /metrics and /healthz port (the API serves them on its own port). */
    readonly metricsPort: number;
  };
  readonly writer: {
    readonly kind: 'batched' | 'sync';
    readonly flushRows: number;
    readonly flushIntervalMs: number;
    readonly backpressureRows: number;
  };
  readonly streams: { readonly maxSymbolBacklog: number; readonly trim: boolean };
  /** The default markets seeded at first start, compiled and checked. */
  readonly seedMarkets: ReadonlyMap<string, CompiledMarket>;
  readonly logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && (e.JWT_SECRET === undefined || e.JWT_SECRET === DEV_JWT_SECRET)) {
    throw new ConfigError(
      'JWT_SECRET must be set (32+ characters, not the development default) when NODE_ENV=production',
    );
  }
  const config: Config = {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      waitTimeoutMs: e.WAIT_TIMEOUT_MS,
    },
    auth: { jwtSecret: e.JWT_SECRET ?? DEV_JWT_SECRET },
    redis: { url: e.REDIS_URL, keyPrefix: e.KEY_PREFIX, clusterNodes: clusterNodesOf(e.REDIS_CLUSTER_NODES) },
    mysql: { url: e.MYSQL_URL },
    matcher: {
      shardCount: e.SHARD_COUNT,
      workerThreads: e.WORKER_THREADS,
      youngGenerationMb: e.MATCHER_YOUNG_GENERATION_MB,
      leaseTtlMs: e.LEASE_TTL_MS,
      batchSize: e.BATCH_SIZE,
      metricsPort: e.METRICS_PORT,
    },
    writer: {
      kind: e.WRITER_KIND,
      flushRows: e.FLUSH_ROWS,
      flushIntervalMs: e.FLUSH_INTERVAL_MS,
      backpressureRows: e.WRITER_BACKPRESSURE_ROWS,
    },
    streams: { maxSymbolBacklog: e.MAX_SYMBOL_BACKLOG, trim: e.TRIM_STREAMS === 'true' },
    seedMarkets: loadMarkets(e.MARKETS_FILE),
    logLevel: e.LOG_LEVEL,
  };
  return deepFreeze(config);
}

function loadMarkets(file: string): ReadonlyMap<string, CompiledMarket> {
  const path = file.startsWith('/') ? file : PROJECT_ROOT + file;
  let definitions: MarketDefinition[];
  try {
    definitions = JSON.parse(readFileSync(path, 'utf8')) as MarketDefinition[];
  } catch (error) {
    throw new ConfigError(`MARKETS_FILE ${path}: ${(error as Error).message}`);
  }
  try {
    return compileMarkets(definitions);
  } catch (error) {
    throw new ConfigError(`MARKETS_FILE ${path}: ${(error as Error).message}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Map) && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
