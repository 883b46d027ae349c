/**
 * Bearer tokens: HS256 JWTs signed with the configured secret (DESIGN.md §4).
 *
 * Claims: `sub` is the user id, a positive integer written as a decimal string; `exp` is required
 * (a token that never expires cannot be taken back); `role: "admin"` marks an operator, any other
 * role is an ordinary user. Only HS256 is accepted, so `alg: none` and asymmetric algorithms (and
 * the key-confusion attacks they allow) are refused before any signature check.
 *
 * Authentication runs in the onRequest hook, before the body is read or validated: a caller without
 * a valid token learns nothing about the body it sent and costs no parsing.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ApiError } from './errors.ts';
import { VerifiedTokens } from './verified-tokens.ts';

export type Role = 'user' | 'admin';

export interface Principal {
  readonly userId: number;
  readonly role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook of routes that need a user; null on public routes. */
    principal: Principal | null;
  }
}

/** Longest Authorization header looked at; real tokens are a few hundred characters. */
const MAX_HEADER_LENGTH = 4096;
const USER_ID = /^[1-9][0-9]{0,15}$/;

function unauthorized(message: string, cause?: unknown): ApiError {
  return new ApiError('UNAUTHORIZED', message, { cause });
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 7235). */
function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') throw unauthorized('missing Authorization header');
  if (header.length > MAX_HEADER_LENGTH) throw unauthorized('Authorization header too long');
  const match = /^Bearer +([^ ]+) *$/i.exec(header);
  if (match === null) throw unauthorized('Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/** Verifies a token and returns who it speaks for. Throws ApiError UNAUTHORIZED or TOKEN_EXPIRED. */
export async function verifyToken(key: Uint8Array | KeyObject, token: string): Promise<Principal> {
  return (await verifyTokenUntil(key, token)).principal;
}

/** verifyToken, and until when the token stays valid (its `exp`, in milliseconds). */
async function verifyTokenUntil(
  key: Uint8Array | KeyObject,
  token: string,
): Promise<{ principal: Principal; validUntilMs: number }> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new ApiError('TOKEN_EXPIRED', 'token expired');
    if (error instanceof joseErrors.JOSEAlgNotAllowed) throw unauthorized('token must be signed with HS256');
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw unauthorized('token signature is invalid');
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      throw unauthorized(`token claim ${error.claim} is invalid: ${error.reason}`, error);
    }
    throw unauthorized('token is malformed', error);
  }
  const { sub, role } = payload;
  const userId = typeof sub === 'string' && USER_ID.test(sub) ? Number(sub) : NaN;
  if (!Number.isSafeInteger(userId)) throw unauthorized('token sub must be a positive integer user id');
  // jose accepted it, so exp is a number and the token is valid while floor(now / 1000) < exp.
  return {
    principal: { userId, role: role === 'admin' ? 'admin' : 'user' },
    validUntilMs: payload.exp! * 1000,
  };
}

/**
 * The onRequest hooks of protected routes. `user` admits any valid token (an operator acts as its
 * own user id); `admin` answers 403 FORBIDDEN to a valid token without the admin role.
 */
export function createAuthenticator(secret: string, options: { now?: () => number } = {}) {
  // A KeyObject made once: jose would import a Uint8Array key again on every verification.
  const key = createSecretKey(keyOf(secret));
  const now = options.now ?? Date.now;
  // A trader sends many requests with one token: its signature is checked once, not per request
  // (HMAC through WebCrypto was about a quarter of the API's CPU under load, npm run bench:e2e).
  const verified = new VerifiedTokens(now);
  const principalOf = async (token: string): Promise<Principal> => {
    const known = verified.get(token);
    if (known !== undefined) return known;
    const { principal, validUntilMs } = await verifyTokenUntil(key, token);
    verified.remember(token, principal, validUntilMs);
    return principal;
  };
  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<Principal> => {
    try {
      const principal = await principalOf(bearerToken(request.headers.authorization));
      request.principal = principal;
      return principal;
    } catch (error) {
      // RFC 6750 §3: a 401 to a bearer-token request names the scheme.
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw error;
    }
  };
  return {
    user: async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      await authenticate(request, reply);
    },
    admin: async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const principal = await authenticate(request, reply);
      if (principal.role !== 'admin') throw new ApiError('FORBIDDEN', 'this route needs the admin role');
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/** The principal of a route behind an authentication hook; a route without one is a programming error. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Error(`route ${request.url} has no authentication hook`);
  return request.principal;
}

export interface MintOptions {
  readonly userId: number;
  readonly role?: Role;
  /** Lifetime: a jose time span ("15m", "2h") or seconds from now (negative for an expired token). */
  readonly expiresIn: string | number;
}

/** Signs a token for the quick start and the tests. Production tokens come from the identity provider. */
export async function mintToken(secret: string, options: MintOptions): Promise<string> {
  if (!Number.isSafeInteger(options.userId) || options.userId < 1) {
    throw new RangeError(`userId must be a positive safe integer, got ${options.userId}`);
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = typeof options.expiresIn === 'number' ? now + options.expiresIn : options.expiresIn;
  const claims = options.role === 'admin' ? { role: 'admin' } : {};
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(options.userId))
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(keyOf(secret));
}
