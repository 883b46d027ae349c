/**
 * Building blocks of the request and response schemas. Ajv validates requests against them (with
 * type coercion off: a JSON number where a decimal string is required is a 400, and unknown fields
 * are refused, not stripped), fast-json-stringify serializes responses with them, and
 * @fastify/swagger turns them into /openapi.json. One source for all three.
 *
 * Query strings are strings: a numeric query value is declared as a string with a pattern, since
 * Ajv coerces either everywhere or nowhere and bodies must not be coerced.
 */
import { ERROR_CODES } from '../errors.ts';
import { MAX_DECIMAL_LENGTH } from '../../money/decimal.ts';

export const DECIMAL = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_DECIMAL_LENGTH,
  description:
    'A decimal string: digits, optionally a point and more digits; no sign, exponent or leading zeros.',
  examples: ['30000.01'],
} as const;

/** A decimal in a response: exact, with the digits of its tick, lot or asset precision. */
export const DECIMAL_OUT = { type: 'string', description: 'A decimal string.' } as const;

export const SYMBOL = {
  type: 'string',
  maxLength: 25,
  pattern: '^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$',
  examples: ['BTC-USDT'],
} as const;

export const ASSET = {
  type: 'string',
  maxLength: 12,
  pattern: '^[A-Z0-9]{2,12}$',
  examples: ['USDT'],
} as const;

/** Order ids come from the IdGenerator port; the pattern bounds what a path may carry. */
export const ORDER_ID = { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;

export const CLIENT_ORDER_ID = {
  type: 'string',
  maxLength: 36,
  pattern: '^[A-Za-z0-9_-]{1,36}$',
  description:
    'Your idempotency key, unique per user: a repeat answers with the first order and creates none.',
} as const;

/** Deposit and withdrawal ids: the idempotency keys of the balance scripts. */
export const OPERATION_ID = { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;

export const USER_ID = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
export const LIMIT = {
  type: 'string',
  maxLength: 4,
  pattern: '^(?:[1-9][0-9]{0,2}|1000)$',
  description: `How many items, an integer 1..${MAX_LIMIT}; default ${DEFAULT_LIMIT}.`,
} as const;

export const WAIT = {
  type: 'string',
  enum: ['true', 'false'],
  description: 'true: answer with the engine outcome when it arrives within the server wait timeout.',
} as const;

export const TIMESTAMP = {
  type: 'string',
  description: 'ISO 8601 UTC, millisecond precision.',
  examples: ['2025-01-31T12:00:00.000Z'],
} as const;

export const SIDE = { type: 'string', enum: ['buy', 'sell'] } as const;

export function nullable<S extends { readonly type: string }>(schema: S) {
  return { ...schema, type: [schema.type, 'null'] } as const;
}

export function strictObject<P extends Record<string, unknown>, R extends readonly (keyof P & string)[]>(
  properties: P,
  required: R,
  extra: Record<string, unknown> = {},
) {
  return { type: 'object', additionalProperties: false, properties, required, ...extra } as const;
}

/** The shared error response; a component of the OpenAPI document. */
export const API_ERROR_SCHEMA = {
  $id: 'ApiError',
  description: 'Every error: a stable code (docs/api-errors.md) and a human message.',
  ...strictObject(
    {
      error: strictObject(
        { code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: { type: 'string' } },
        ['code', 'message'],
      ),
    },
    ['error'],
  ),
} as const;

const ERROR_REF = { $ref: 'ApiError#' } as const;

/** Response entries for the error statuses a route may answer, all with the shared error body. */
export function errorResponses(...statuses: number[]): Record<number, typeof ERROR_REF> {
  return Object.fromEntries([...new Set([...statuses, 500])].map((s) => [s, ERROR_REF]));
}

export const AUTH_ERRORS = [401, 403] as const;

/** The bearer security requirement of protected routes in the OpenAPI document. */
export const BEARER = [{ bearer: [] }];
