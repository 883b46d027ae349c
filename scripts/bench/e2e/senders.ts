/**
 * How the load generator's requests reach the API processes: round-robin over one connection pool
 * per API process, through either HTTP client (`--client`):
 *
 * - `raw` (default): raw-http.ts, a minimal keep-alive HTTP/1.1 client; the cheapest per request;
 * - `undici`: undici's Pool (pipelining 1) through its low-level dispatch (http-exchange.ts); the
 *   reference, for a check that the figures do not depend on the client.
 *
 * The Authorization header of every user is prepared once, in the form each client wants it.
 */
import { Pool } from 'undici';
import { exchange, type ExchangeDone } from './http-exchange.ts';
import { RawPool } from './raw-http.ts';

export type ClientKind = 'raw' | 'undici';

export interface Sender {
  /** Sends a request as `user` (an index into the tokens) over the pool of request `index`. */
  send(
    index: number,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    user: number,
    body: string | undefined,
    done: ExchangeDone,
  ): void;
  close(): Promise<void>;
}

export function createSender(
  kind: ClientKind,
  urls: readonly string[],
  connections: number,
  timeoutMs: number,
  tokens: readonly string[],
): Sender {
  if (kind === 'raw') {
    const pools = urls.map((url) => new RawPool(url, connections, timeoutMs));
    const json = tokens.map((t) => `content-type: application/json\r\nauthorization: Bearer ${t}\r\n`);
    const bare = tokens.map((t) => `authorization: Bearer ${t}\r\n`);
    return {
      send: (index, method, path, user, body, done) =>
        pools[index % pools.length]!.request(
          method,
          path,
          (body === undefined ? bare : json)[user] ?? '',
          body,
          done,
        ),
      close: async () => {
        for (const pool of pools) pool.close();
      },
    };
  }
  const pools = urls.map(
    (url) =>
      new Pool(url, {
        connections,
        pipelining: 1,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        keepAliveTimeout: 60_000,
        keepAliveMaxTimeout: 120_000,
      }),
  );
  const json = tokens.map((t) => ['content-type', 'application/json', 'authorization', `Bearer ${t}`]);
  const bare = tokens.map((t) => ['authorization', `Bearer ${t}`]);
  return {
    send: (index, method, path, user, body, done) =>
      exchange(
        pools[index % pools.length]!,
        { method, path, headers: (body === undefined ? bare : json)[user] ?? [], body },
        done,
      ),
    close: async () => {
      await Promise.all(pools.map((pool) => pool.destroy()));
    },
  };
}
