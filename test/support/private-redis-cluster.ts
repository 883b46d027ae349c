/**
 * A private Redis Cluster for tests (DESIGN.md §7: "a test runs against a real local Redis
 * Cluster"): N masters, no replicas, each a redis-server of its own on free ports with its data in a
 * fresh temp directory, processes handled like test/support/private-services.ts's (log file, exit
 * hook, parent-death signal). The shared server on 6379 is never touched.
 *
 *   const cluster = await startPrivateRedisCluster(); // 3 masters, all 16384 slots served
 *   const client = new Cluster(cluster.nodes);
 *   after(() => cluster.destroy());
 *
 * Each node's cluster bus listens on a free port of its own (`--cluster-port`), not the default
 * port + 10000: free ports come from the ephemeral range (up to 60999 on Linux), and port + 10000
 * would pass 65535, which Redis refuses. A node stopped or killed through `servers[i]` starts again
 * on the same ports with its nodes.conf, so it rejoins the cluster with its slots.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import {
  findBinary,
  freePort,
  makeDir,
  START_TIMEOUT_MS,
  startOnFreePort,
  type PrivateServer,
} from './private-server-process.ts';

export type { PrivateServer } from './private-server-process.ts';

export interface PrivateRedisClusterOptions {
  /** How many masters share the slots; redis-cli refuses fewer than 3. Default: 3. */
  readonly masters?: number;
  /** Append-only file on (with appendfsync always), so that a restarted node replays it. Default: false. */
  readonly appendonly?: boolean;
}

export interface PrivateRedisCluster {
  /** Every master, in start order: what ioredis's `new Cluster(nodes)` takes. */
  readonly nodes: Array<{ host: string; port: number }>;
  /** redis://127.0.0.1:<port> of the first node. */
  readonly url: string;
  /** One per node, in the order of `nodes`: to kill, stop, pause or restart a node. */
  readonly servers: PrivateServer[];
  /** Kills every node and removes their directories. Idempotent; call it in after(). */
  destroy(): Promise<void>;
}

const SLOTS = 16384;
const NODE_TIMEOUT_MS = 2000;
/** startOnFreePort tries up to 3 ports; each try needs a bus port of its own. */
const BUS_PORTS_PER_NODE = 3;

export async function startPrivateRedisCluster(
  options: PrivateRedisClusterOptions = {},
): Promise<PrivateRedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(
      `startPrivateRedisCluster: masters must be an integer ≥ 3 (Redis Cluster's minimum), got ${masters}`,
    );
  }
  const serverCommand = findBinary(['redis-server'], 'redis-server');
  const cliCommand = findBinary(['redis-cli'], 'redis-tools');
  const settled = await Promise.allSettled(
    Array.from({ length: masters }, () => startNode(serverCommand, options.appendonly ?? false)),
  );
  const servers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const destroy = async () => {
    await Promise.all(servers.map((server) => server.destroy()));
  };
  try {
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await createCluster(cliCommand, servers);
    await waitUntilNodesOk(servers);
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })),
    url: servers[0]!.url,
    servers,
    destroy,
  };
}

async function startNode(command: string, appendonly: boolean): Promise<PrivateServer> {
  const dir = await makeDir('private-redis-cluster-');
  const busPorts: number[] = [];
  while (busPorts.length < BUS_PORTS_PER_NODE) {
    const port = await freePort();
    if (!busPorts.includes(port)) busPorts.push(port);
  }
  let attempt = 0;
  return startOnFreePort(dir, (port) => {
    // A bus port equal to the data port fails with EADDRINUSE too, and the next try has another.
    const busPort = busPorts[attempt++ % BUS_PORTS_PER_NODE]!;
    return {
      name: `private redis-server (cluster) :${port}`,
      command,
      args: [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'],
        ...['--protected-mode', 'no', '--save', '', '--logfile', ''],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')],
        ...['--cluster-port', String(busPort), '--cluster-node-timeout', String(NODE_TIMEOUT_MS)],
        ...(appendonly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      ],
      logFile: join(dir, 'redis.log'),
      probe: () => probeNode(port, dir),
      url: `redis://127.0.0.1:${port}`,
    };
  });
}

/** PING, then CONFIG GET dir: a server that took the port meanwhile is not mistaken for this node. */
async function probeNode(port: number, dir: string): Promise<string | undefined> {
  return withNode(port, async (client) => {
    const pong = await client.ping();
    if (pong !== 'PONG') return `PING answered ${pong}`;
    const [, served] = (await client.config('GET', 'dir')) as string[];
    return served === dir ? undefined : `the server on port ${port} serves ${served}, not ${dir}`;
  });
}

/** redis-cli assigns the slots evenly, makes the nodes meet and waits until they agree. */
async function createCluster(cli: string, servers: readonly PrivateServer[]): Promise<void> {
  const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
  try {
    await promisify(execFile)(
      cli,
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: START_TIMEOUT_MS },
    );
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const tail = `${stdout}${stderr}`.trimEnd().split('\n').slice(-20).join('\n  | ');
    const why = String((error as Error).message).split('\n')[0];
    throw new Error(`redis-cli --cluster create ${addresses.join(' ')} failed: ${why}\n  | ${tail}`, {
      cause: error,
    });
  }
}

/**
 * Waits until every node says cluster_state:ok and sees all 16384 slots served and every node: after
 * a start (redis-cli returns once the configurations agree, but a node may not yet have marked the
 * cluster ok, and a client would meet CLUSTERDOWN), or after a node was killed and started again.
 */
export async function waitUntilClusterOk(cluster: PrivateRedisCluster): Promise<void> {
  await waitUntilNodesOk(cluster.servers);
}

async function waitUntilNodesOk(servers: readonly PrivateServer[]): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const notYet = (await Promise.all(servers.map((s) => clusterNotOk(s.port, servers.length)))).filter(
      (why) => why !== undefined,
    );
    if (notYet.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `private Redis Cluster not ok within ${START_TIMEOUT_MS / 1000} s: ${notYet.join('; ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function clusterNotOk(port: number, nodes: number): Promise<string | undefined> {
  return withNode(port, async (client) => {
    const text = String(await client.cluster('INFO'));
    const info = new Map(text.split('\r\n').map((line) => line.split(':', 2) as [string, string]));
    const expected: Array<[string, string]> = [
      ['cluster_state', 'ok'],
      ['cluster_slots_assigned', String(SLOTS)],
      ['cluster_slots_ok', String(SLOTS)],
      ['cluster_known_nodes', String(nodes)],
    ];
    const off = expected.filter(([field, value]) => info.get(field) !== value);
    if (off.length === 0) return undefined;
    return `:${port} has ${off.map(([field]) => `${field}:${info.get(field) ?? '?'}`).join(' ')}`;
  });
}

/** One short-lived connection that never retries; a failure is the reason, not an exception. */
async function withNode(
  port: number,
  use: (client: Redis) => Promise<string | undefined>,
): Promise<string | undefined> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client.disconnect();
  }
}
