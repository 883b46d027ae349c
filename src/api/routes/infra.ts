/**
 * Routes for the platform, not for traders: liveness (this process answers; it checks nothing
 * remote, so a Redis outage does not get every pod restarted), readiness (the dependencies answer;
 * a pod that is not ready is taken out of the load balancer), Prometheus metrics, and the OpenAPI
 * description built from the routes' own schemas.
 */
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.ts';

const TAGS = ['infra'];

const READINESS = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: { type: 'object', additionalProperties: { type: 'boolean' } },
  },
} as const;

export function infraRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ports } = ctx;

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: TAGS,
        response: {
          200: {
            type: 'object',
            required: ['status'],
            properties: { status: { type: 'string', enum: ['ok'] } },
          },
        },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the dependencies answer',
        tags: TAGS,
        response: { 200: READINESS, 503: READINESS },
      },
    },
    async (_request, reply) => {
      const { ready, checks } = await ports.health.readiness();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: TAGS,
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text exposition format' } },
      },
    },
    async (_request, reply) => {
      const text = await ports.metrics.text();
      return reply.type(ports.metrics.contentType).send(text);
    },
  );

  app.get(
    '/openapi.json',
    { schema: { summary: 'This API, as an OpenAPI 3.1 document', tags: TAGS } },
    async () => app.swagger(),
  );
}
