/**
 * Puts a built app on the network (build and listen are apart so that tests never need a port).
 * Closing is the caller's: on SIGTERM it calls `app.close()`, which stops accepting, answers 503 to
 * requests that arrive meanwhile and waits for the ones in flight.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';

/** Listens on the configured host and port (0 for any free port) and returns the address. */
export async function listen(app: FastifyInstance, config: Pick<Config, 'http'>): Promise<string> {
  return app.listen({ host: config.http.host, port: config.http.port });
}
