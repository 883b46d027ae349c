/**
 * Every error the HTTP API answers with: one stable code, one HTTP status, one line of meaning.
 * This table is the single source; docs/api-errors.md documents each code and a unit test keeps the
 * two in step. Responses are always `{"error": {"code": "...", "message": "..."}}` (error-handler.ts).
 *
 * A code has exactly one status, so a client can branch on either. Where the same mistake deserves
 * two statuses (an unknown symbol in a body is bad input, an unknown market in a path is a missing
 * resource), there are two codes.
 */

export const ERROR_CODES = {
  // 400: the request itself is wrong; retrying it unchanged fails the same way.
  VALIDATION_ERROR: { status: 400, summary: 'A body, query or path value breaks its schema or a rule.' },
  INVALID_JSON: { status: 400, summary: 'The body is not valid JSON.' },
  INVALID_PRICE: { status: 400, summary: 'The price is not a positive multiple of the tick size.' },
  INVALID_QUANTITY: {
    status: 400,
    summary: 'A quantity or amount is not a positive multiple of its step, or is too large.',
  },
  MIN_NOTIONAL: { status: 400, summary: "The order's value is below the market's minimum notional." },
  UNKNOWN_SYMBOL: { status: 400, summary: 'The symbol given in a body or query names no market.' },
  UNKNOWN_ASSET: { status: 400, summary: 'The asset of a deposit or withdrawal is traded on no market.' },
  // 401 / 403: who is asking.
  UNAUTHORIZED: {
    status: 401,
    summary: 'No bearer token, or one that is malformed, unsigned, wrongly signed or has bad claims.',
  },
  TOKEN_EXPIRED: { status: 401, summary: "The bearer token's exp has passed; get a new token." },
  FORBIDDEN: { status: 403, summary: 'The token is valid but its role may not use this route.' },
  // 404: nothing there (for orders: or not yours, indistinguishably).
  NOT_FOUND: { status: 404, summary: 'No such route.' },
  MARKET_NOT_FOUND: { status: 404, summary: 'The market named in the path does not exist.' },
  ORDER_NOT_FOUND: { status: 404, summary: 'No such order, or it belongs to another user.' },
  // 409: the request is well formed but conflicts with the current state.
  MARKET_HALTED: { status: 409, summary: 'The market is halted: no new or amended orders.' },
  ORDER_NOT_OPEN: {
    status: 409,
    summary: 'The order is already final (filled, canceled, expired or rejected).',
  },
  INSUFFICIENT_FUNDS: { status: 409, summary: 'Not enough available funds.' },
  POST_ONLY_WOULD_TAKE: { status: 409, summary: 'A post-only amend would have taken liquidity; unchanged.' },
  COMMAND_REJECTED: { status: 409, summary: 'The engine refused a cancel or amend; the message says why.' },
  MARKET_UPDATE_CONFLICT: {
    status: 409,
    summary: "A market update would change an asset, precision, tick or lot size, or an asset's precision.",
  },
  // Transport.
  PAYLOAD_TOO_LARGE: { status: 413, summary: 'The body is larger than the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The body is not application/json.' },
  OVERLOADED: { status: 503, summary: 'The service sheds load; retry after the Retry-After header.' },
  SYMBOL_BACKLOGGED: {
    status: 503,
    summary: "The symbol's backlog is over its bound: no places or amends; cancels are taken.",
  },
  UNAVAILABLE: {
    status: 503,
    summary:
      'Redis or MySQL is unreachable; retry after the Retry-After header (a place: same clientOrderId).',
  },
  INTERNAL: { status: 500, summary: 'An unexpected error; nothing about it is shown.' },
} as const satisfies Record<string, { readonly status: number; readonly summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ApiErrorOptions {
  readonly cause?: unknown;
  /** Seconds for the Retry-After header (OVERLOADED, SYMBOL_BACKLOGGED). */
  readonly retryAfterSeconds?: number;
}

/** The one error class of the API. Throw it anywhere in a request; the error handler answers with it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly httpStatus: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.httpStatus = ERROR_CODES[code].status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export function errorBody(error: ApiError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}

/** Network-level codes of Node, ioredis and mysql2 that mean "the store did not answer". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
]);

/**
 * Redis (ioredis gave up retrying, or the connection closed under the command) or MySQL (mysql2
 * marks errors that cost the connection `fatal`) did not answer: a 503 UNAVAILABLE the client should
 * retry, not a 500 bug.
 */
export function isStoreUnreachable(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown; code?: unknown; fatal?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.message === 'string' && /^Connection is closed\.?$/.test(e.message)) return true;
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  return e.fatal === true;
}
