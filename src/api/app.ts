/**
 * Builds the HTTP API from its configuration and its ports; listening is server.ts's job, so tests
 * drive the app in-process with `app.inject()`. Nothing here holds order-book state: every route
 * reads or appends through a port (ports.ts).
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import { createAuthenticator } from './auth.ts';
import { installErrorHandling } from './error-handler.ts';
import { installIntakeRejectCounting } from './intake-rejects.ts';
import type { ApiPorts } from './ports.ts';
import { accountRoutes } from './routes/account.ts';
import { adminRoutes } from './routes/admin.ts';
import type { RouteContext } from './routes/context.ts';
import { infraRoutes } from './routes/infra.ts';
import { marketRoutes } from './routes/markets.ts';
import { orderCommandRoutes } from './routes/order-commands.ts';
import { API_ERROR_SCHEMA } from './schemas/common.ts';
import { MARKET_SCHEMA } from './schemas/markets.ts';
import { ORDER_SCHEMA } from './schemas/orders.ts';

export interface AppDeps {
  readonly config: Config;
  readonly ports: ApiPorts;
  /** A pino logger; none means no request logging (tests). */
  readonly logger?: FastifyBaseLogger;
}

export const API_VERSION = '1.0.0';

/** Accepts only JSON bodies (anything else is 415), and treats an empty one as no body at all. */
function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Clients send `Content-Type: application/json` on bodiless DELETEs; routes with a body schema
    // still refuse the missing body with VALIDATION_ERROR.
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, ports } = deps;
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    bodyLimit: config.http.bodyLimitBytes,
    return503OnClosing: true,
    ajv: {
      // Bodies are validated as sent: no coercion (a number is not a decimal string), unknown fields
      // refused rather than silently dropped, no defaults injected (order-request.ts applies them,
      // since they depend on the order type).
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
    },
  });

  installErrorHandling(app);
  installJsonParser(app);
  app.decorateRequest('principal', null);
  installIntakeRejectCounting(app, ports);
  app.addHook('onResponse', async (request, reply) => {
    ports.metrics.observeRequest({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });

  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Spot exchange API',
        version: API_VERSION,
        description:
          'Decimal values are strings. Errors: {"error": {"code", "message"}}, see docs/api-errors.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  for (const schema of [API_ERROR_SCHEMA, ORDER_SCHEMA, MARKET_SCHEMA]) app.addSchema(schema);

  const ctx: RouteContext = { config, ports, auth: createAuthenticator(config.auth.jwtSecret) };
  app.register(async (scope) => {
    for (const routes of [marketRoutes, adminRoutes, accountRoutes, orderCommandRoutes, infraRoutes]) {
      routes(scope, ctx);
    }
  });
  return app;
}
