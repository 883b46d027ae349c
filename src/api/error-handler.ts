/**
 * The one mapper from anything thrown during a request to `{"error": {"code", "message"}}`:
 * ApiError as it is; fastify's own errors (schema validation, body too large, bad JSON, wrong
 * content type, unknown route) to their codes; anything else to INTERNAL, with its details logged
 * and never shown.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBody, isStoreUnreachable, type ErrorCode } from './errors.ts';

/** Fastify's error codes that have a code of ours. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_ERROR',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
};

/** Other client errors of fastify or its plugins, by status. */
const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'OVERLOADED',
  503: 'OVERLOADED',
};

interface ValidationIssue {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
}

/** Fastify's message names the field ("body/price must be string"); an unknown field needs its name added. */
function validationMessage(error: FastifyError): string {
  const issue = error.validation?.[0] as ValidationIssue | undefined;
  if (issue?.keyword === 'additionalProperties') {
    const where = `${error.validationContext ?? 'request'}${issue.instancePath}`;
    return `${where} has an unknown field ${JSON.stringify(issue.params.additionalProperty)}`;
  }
  return error.message;
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as Partial<FastifyError> | null;
  if (fastifyError?.validation !== undefined) {
    return new ApiError('VALIDATION_ERROR', validationMessage(fastifyError as FastifyError), {
      cause: error,
    });
  }
  const byCode = typeof fastifyError?.code === 'string' ? FASTIFY_CODES[fastifyError.code] : undefined;
  const status = fastifyError?.statusCode;
  const byStatus = typeof status === 'number' && status < 500 ? STATUS_CODES[status] : undefined;
  const code = byCode ?? byStatus;
  if (code === 'UNSUPPORTED_MEDIA_TYPE') {
    return new ApiError(code, 'the body must be JSON with Content-Type: application/json', { cause: error });
  }
  if (code !== undefined) return new ApiError(code, fastifyError?.message ?? code, { cause: error });
  if (isStoreUnreachable(error)) {
    return new ApiError('UNAVAILABLE', 'a data store is unreachable; retry shortly', {
      cause: error,
      retryAfterSeconds: 1,
    });
  }
  return new ApiError('INTERNAL', 'internal error', { cause: error });
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  // OVERLOADED always tells the client when to come back (1 s unless the thrower knows better).
  const retryAfter =
    error.retryAfterSeconds ?? (error.code === 'OVERLOADED' || error.code === 'UNAVAILABLE' ? 1 : undefined);
  if (retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
  return reply.code(error.httpStatus).type('application/json; charset=utf-8').send(errorBody(error));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error);
    if (apiError.code === 'SYMBOL_BACKLOGGED') {
      // An expected refusal, maybe thousands a second while it lasts: one line each, no stack.
      request.log.warn({ code: apiError.code, reason: apiError.message }, 'request refused');
    } else if (apiError.httpStatus >= 500) {
      request.log.error({ err: error, code: apiError.code }, 'request failed');
    } else {
      request.log.debug({ code: apiError.code, reason: apiError.message }, 'request refused');
    }
    return sendError(reply, apiError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`),
    ),
  );
}
