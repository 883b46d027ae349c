import { Cluster, type ChainableCommander } from 'ioredis';
import type { RedisClient } from './connection.ts';

/**
 * A batch of commands sent together, with `[error, reply]` results in call order, like a pipeline
 * (docs/redis-cluster.md, step 2). On one Redis it is a pipeline. On a Cluster a pipeline must stay
 * on one master (ioredis refuses it client-side otherwise), while a batch of the matcher spans users
 * on every master: there the batch records the calls and, on `exec()`, issues them in one
 * synchronous loop, so a client with auto-pipelining sends one write per master. Order is kept per
 * master, hence per slot: enough for everything keyed per user or per symbol. Nothing is sent before
 * `exec()`, and a command's error is its result, not a rejection of the batch.
 *
 * Any command of the client may be queued, the scripts it defines included (`balanceSettle`...).
 */
export function createBatch(client: RedisClient): ChainableCommander {
  if (!(client instanceof Cluster)) return client.pipeline();
  return recordingBatch(client);
}

type Call = readonly [name: string, args: readonly unknown[]];
type Invoke = (...args: unknown[]) => Promise<unknown>;

function recordingBatch(cluster: Cluster): ChainableCommander {
  const calls: Call[] = [];
  const exec = async (): Promise<Array<[Error | null, unknown]>> => {
    const queued = calls.splice(0);
    // One synchronous loop: every command is issued before any reply is awaited.
    const replies = queued.map(([name, args]) => {
      const method = (cluster as unknown as Record<string, unknown>)[name];
      if (typeof method !== 'function') {
        return Promise.resolve([new Error(`no command ${name} on this client`), null] as [Error, null]);
      }
      return (method as Invoke).apply(cluster, [...args]).then(
        (reply): [null, unknown] => [null, reply],
        (error: unknown): [Error, null] => [error instanceof Error ? error : new Error(String(error)), null],
      );
    });
    return Promise.all(replies);
  };
  const batch: object = new Proxy(
    {},
    {
      get(_target, property) {
        if (property === 'exec') return exec;
        if (property === 'length') return calls.length;
        if (property === 'then') return undefined; // not a thenable: `await batch` must not exec it
        if (typeof property !== 'string') return undefined;
        return (...args: unknown[]) => {
          calls.push([property, args]);
          return batch;
        };
      },
    },
  );
  return batch as ChainableCommander;
}
