import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServerOptions {
  readonly host: string;
  /** 0: any free port (the bound one is in `port` once `listening` resolves). */
  readonly port: number;
  /** The Prometheus text of a scrape, and its content type. */
  readonly render: () => Promise<{ readonly contentType: string; readonly text: string }>;
  /** Told of a scrape that failed (answered 500). */
  readonly onError?: (error: unknown) => void;
}

export interface MetricsServer {
  /** Resolves with the bound port; rejects when the port cannot be bound. */
  readonly listening: Promise<number>;
  close(): Promise<void>;
}

/**
 * A process's small HTTP server for the platform (processes without the API's HTTP app): `GET
 * /metrics` (Prometheus) and `GET /healthz` (liveness: answered by this event loop, nothing remote is
 * checked, so a Redis or MySQL outage does not get the pod restarted). Anything else is 404.
 */
export function startMetricsServer(options: MetricsServerOptions): MetricsServer {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/metrics') {
      options.render().then(
        ({ contentType, text }) => response.writeHead(200, { 'content-type': contentType }).end(text),
        (error: unknown) => {
          options.onError?.(error);
          response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  // Scrapes are short; a client that holds a connection open must not keep the process from exiting.
  server.keepAliveTimeout = 5_000;
  const listening = new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  listening.catch(() => undefined);
  return {
    listening,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
