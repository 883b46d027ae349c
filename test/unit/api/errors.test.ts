import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { toApiError } from '../../../src/api/error-handler.ts';
import { ApiError, ERROR_CODES, errorBody, isErrorCode, type ErrorCode } from '../../../src/api/errors.ts';

const DOC = readFileSync(new URL('../../../docs/api-errors.md', import.meta.url), 'utf8');

/** The rows of the doc's code table: | `CODE` | status | meaning |. */
function documentedCodes(): Array<{ code: string; status: number }> {
  return [...DOC.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => ({
    code: m[1]!,
    status: Number(m[2]),
  }));
}

describe('api: error codes', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('are unique, SCREAMING_SNAKE_CASE, with a summary and a 4xx or 5xx status', () => {
    expect(new Set(codes).size).to.equal(codes.length);
    for (const code of codes) {
      expect(code).to.match(/^[A-Z][A-Z_]*[A-Z]$/);
      const { status, summary } = ERROR_CODES[code];
      expect(status, code).to.be.within(400, 599);
      expect(summary, code).to.be.a('string').and.not.equal('');
    }
  });

  it('are each documented once in docs/api-errors.md, with the same status', () => {
    const documented = documentedCodes();
    const names = documented.map((d) => d.code);
    expect(new Set(names).size, 'a code is documented twice').to.equal(names.length);
    expect([...names].sort()).to.deep.equal([...codes].sort());
    for (const { code, status } of documented) {
      expect(status, code).to.equal(ERROR_CODES[code as ErrorCode].status);
    }
  });

  it('ApiError takes its status from the table', () => {
    const error = new ApiError('MARKET_HALTED', 'market BTC-USDT is halted');
    expect(error).to.include({
      code: 'MARKET_HALTED',
      httpStatus: 409,
      message: 'market BTC-USDT is halted',
    });
    expect(errorBody(error)).to.deep.equal({
      error: { code: 'MARKET_HALTED', message: 'market BTC-USDT is halted' },
    });
    expect(isErrorCode('MARKET_HALTED')).to.equal(true);
    expect(isErrorCode('toString')).to.equal(false);
  });

  describe('toApiError', () => {
    const fastifyError = (code: string, statusCode: number, extra: object = {}) =>
      Object.assign(new Error(`fastify says ${code}`), { code, statusCode, ...extra });

    for (const [code, status, expected] of [
      ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'PAYLOAD_TOO_LARGE'],
      ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'INVALID_JSON'],
      ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'INVALID_JSON'],
      ['FST_ERR_SOMETHING_NEW', 400, 'VALIDATION_ERROR'],
      ['FST_ERR_SOMETHING_ELSE', 429, 'OVERLOADED'],
      ['FST_ERR_BROKEN', 500, 'INTERNAL'],
    ] as const) {
      it(`${code} (${status}) → ${expected}`, () => {
        expect(toApiError(fastifyError(code, status)).code).to.equal(expected);
      });
    }

    it('a schema validation error → VALIDATION_ERROR naming an unknown field', () => {
      const error = fastifyError('FST_ERR_VALIDATION', 400, {
        validation: [
          { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'x' } },
        ],
        validationContext: 'body',
      });
      expect(toApiError(error)).to.include({
        code: 'VALIDATION_ERROR',
        message: 'body has an unknown field "x"',
      });
    });

    it('a store that did not answer (ioredis gave up, a closed connection, mysql2 fatal) → 503 UNAVAILABLE, Retry-After 1', () => {
      for (const thrown of [
        Object.assign(new Error('Reached the max retries per request limit'), {
          name: 'MaxRetriesPerRequestError',
        }),
        new Error('Connection is closed.'),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }),
        Object.assign(new Error('Connection lost: The server closed the connection.'), {
          code: 'PROTOCOL_CONNECTION_LOST',
          fatal: true,
        }),
      ]) {
        const error = toApiError(thrown);
        expect(error, String(thrown)).to.include({
          code: 'UNAVAILABLE',
          httpStatus: 503,
          retryAfterSeconds: 1,
        });
      }
      expect(toApiError(Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' })).code).to.equal(
        'INTERNAL',
      );
    });

    it('anything else → INTERNAL with a message that tells nothing', () => {
      for (const thrown of [
        new Error('db password wrong'),
        'a string',
        null,
        undefined,
        { statusCode: 502 },
      ]) {
        const error = toApiError(thrown);
        expect(error).to.include({ code: 'INTERNAL', httpStatus: 500, message: 'internal error' });
      }
    });

    it('an ApiError as it is', () => {
      const error = new ApiError('FORBIDDEN', 'no');
      expect(toApiError(error)).to.equal(error);
    });
  });
});
