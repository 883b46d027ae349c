import { Cluster, type ChainableCommander } from 'ioredis';
import type { RedisClient } from './connection.ts';

/**
 * A batch of commands sent together, with `[error, reply]` results in call order, like a pipeline
 * (docs/redis-cluster.md, step 2). On a Cluster a pipeline must stay on one master (ioredis refuses it
 * client-side otherwise), while a batch of the matcher spans users on every master: there, and on one
 * Redis whose client auto-pipelines (the matcher's), the batch records the calls and, on `exec()`,
 * issues them in one synchronous loop. The client then sends everything issued in the same tick as one
 * write per master: the batches that the matcher's symbols exec concurrently share it, instead of a
 * write and a reply read each (a pipeline per batch cost the thread ~7 % in socket writes alone, and
 * accept->matched at 3,000 orders/s went from 145 to 65-90 ms without it, bench:e2e). Order is kept per
 * connection, hence per master and slot: enough for everything keyed per user or per symbol. Any other
 * client gets a plain pipeline. Nothing is sent before `exec()`, and a command's error is its result,
 * not a rejection of the batch.
 *
 * Any command of the client may be queued, the scripts it defines included (`balanceSettle`...).
 */
export function createBatch(client: RedisClient): ChainableCommander {
  if (!(client instanceof Cluster) && client.options.enableAutoPipelining !== true) return client.pipeline();
  return recordingBatch(client);
}

type Call = readonly [name: string, args: readonly unknown[]];
type Invoke = (...args: unknown[]) => Promise<unknown>;

function recordingBatch(client: RedisClient): ChainableCommander {
  const calls: Call[] = [];
  const exec = async (): Promise<Array<[Error | null, unknown]>> => {
    const queued = calls.splice(0);
    // One synchronous loop: every command is issued before any reply is awaited.
    const replies = queued.map(([name, args]) => {
      const method = (client as unknown as Record<string, unknown>)[name];
      if (typeof method !== 'function') {
        return Promise.resolve([new Error(`no command ${name} on this client`), null] as [Error, null]);
      }
      return (method as Invoke).apply(client, [...args]).then(
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
