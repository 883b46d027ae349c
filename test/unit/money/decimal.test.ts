import { expect } from 'chai';
import fc from 'fast-check';
import {
  compareIntegerStrings,
  DecimalError,
  type DecimalErrorCode,
  formatUnits,
  MAX_DECIMAL_LENGTH,
  MAX_SAFE_BIGINT,
  normalizeDecimal,
  parseSafeUnits,
  parseUnits,
  type ParseOptions,
  scaleOf,
} from '../../../src/money/decimal.ts';

function errorOf(fn: () => unknown): DecimalError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DecimalError) return error;
    throw error;
  }
  throw new Error('expected a DecimalError, got a value');
}

const codeOf = (fn: () => unknown): DecimalErrorCode => errorOf(fn).code;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

describe('money/decimal', () => {
  describe('parseUnits accepts plain decimals exactly', () => {
    const cases: Array<[string, number, bigint, ParseOptions?]> = [
      ['0', 0, 0n, { allowZero: true }],
      ['0.000', 2, 0n, { allowZero: true }],
      ['1', 0, 1n],
      ['123.45', 2, 12345n],
      ['0.005', 3, 5n],
      ['10', 2, 1000n],
      ['1.50', 1, 15n],
      ['1.5000000', 1, 15n],
      ['0.000000000000000001', 18, 1n],
      ['9007199254740991', 0, MAX_SAFE_BIGINT],
      ['90071992547.40991', 5, MAX_SAFE_BIGINT],
      ['90071992547.409910000', 5, MAX_SAFE_BIGINT],
      [`1.${'0'.repeat(MAX_DECIMAL_LENGTH - 2)}`, 0, 1n],
      ['1000000000000000000000', 0, 10n ** 21n, { max: 10n ** 30n }],
      ['1.000001', 6, 1_000_001n, { max: 1_000_001n }],
    ];
    for (const [text, scale, units, opts] of cases) {
      it(`${JSON.stringify(text)} at scale ${scale} → ${units}`, () => {
        expect(parseUnits(text, scale, opts)).to.equal(units);
      });
    }
  });

  describe('parseUnits refuses with a stable code', () => {
    const invalid: unknown[] = [
      '',
      ' 1',
      '1 ',
      '\t1',
      '1\n',
      '+1',
      '-1',
      '-0',
      '1e5',
      '1E5',
      '0x10',
      '0b1',
      '.5',
      '5.',
      '.',
      'Infinity',
      'NaN',
      '007',
      '00',
      '00.5',
      '01.5',
      '1,5',
      '1_000',
      '1.2.3',
      '١',
      '１',
      '1'.repeat(MAX_DECIMAL_LENGTH + 1),
      `0.${'0'.repeat(MAX_DECIMAL_LENGTH)}1`,
      '9'.repeat(1_000_000),
      1,
      1.5,
      10n,
      null,
      undefined,
      {},
      ['1'],
    ];
    for (const value of invalid) {
      const label = typeof value === 'string' ? JSON.stringify(value.slice(0, 30)) : String(value);
      it(`INVALID_DECIMAL: ${label}`, () => {
        expect(codeOf(() => parseUnits(value, 2, { allowZero: true }))).to.equal('INVALID_DECIMAL');
      });
    }

    const others: Array<[string, number, DecimalErrorCode, ParseOptions?]> = [
      ['1.05', 1, 'TOO_PRECISE'],
      ['1.5', 0, 'TOO_PRECISE'],
      ['0.001', 2, 'TOO_PRECISE'],
      ['0.0000000000000000001', 18, 'TOO_PRECISE'],
      ['0', 0, 'ZERO_NOT_ALLOWED'],
      ['0.00', 2, 'ZERO_NOT_ALLOWED'],
      ['9007199254740992', 0, 'OUT_OF_RANGE'],
      ['90071992547.40992', 5, 'OUT_OF_RANGE'],
      ['1.000001', 6, 'OUT_OF_RANGE', { max: 1_000_000n }],
      ['2', 0, 'OUT_OF_RANGE', { max: 1n }],
    ];
    for (const [text, scale, code, opts] of others) {
      it(`${code}: ${JSON.stringify(text)} at scale ${scale}`, () => {
        expect(codeOf(() => parseUnits(text, scale, opts))).to.equal(code);
      });
    }

    it('names the value and the scale in the message, truncating long input', () => {
      expect(errorOf(() => parseUnits('1.05', 1)).message)
        .to.contain('"1.05"')
        .and.contain('1 allowed');
      const long = errorOf(() => parseUnits(`x${'9'.repeat(10_000)}`, 2)).message;
      expect(long.length).to.be.below(200);
      expect(long).to.contain('scale 2');
    });

    it('treats a bad scale as a programming error (RangeError)', () => {
      for (const scale of [-1, 1.5, 37, Number.NaN]) {
        expect(() => parseUnits('1', scale)).to.throw(RangeError);
        expect(() => formatUnits(1n, scale)).to.throw(RangeError);
      }
    });
  });

  describe('parseSafeUnits', () => {
    it('returns a number at MAX_SAFE and refuses one unit more, whatever max says', () => {
      expect(parseSafeUnits('9007199254740991', 0)).to.equal(MAX_SAFE);
      expect(codeOf(() => parseSafeUnits('9007199254740992', 0, { max: 10n ** 30n }))).to.equal(
        'OUT_OF_RANGE',
      );
      expect(parseSafeUnits('0.5', 6, { allowZero: true, max: 1_000_000n })).to.equal(500_000);
      expect(codeOf(() => parseSafeUnits('1.5', 6, { max: 1_000_000n }))).to.equal('OUT_OF_RANGE');
    });
  });

  describe('formatUnits', () => {
    const cases: Array<[bigint | number, number, string]> = [
      [12345n, 2, '123.45'],
      [5n, 3, '0.005'],
      [100n, 2, '1.00'],
      [0n, 2, '0.00'],
      [0, 0, '0'],
      [-0, 2, '0.00'],
      [5n, 0, '5'],
      [-5n, 3, '-0.005'],
      [-12345, 2, '-123.45'],
      [MAX_SAFE, 5, '90071992547.40991'],
      [10n ** 40n, 18, `10000000000000000000000.${'0'.repeat(18)}`],
      [1n, 18, '0.000000000000000001'],
    ];
    for (const [units, scale, text] of cases) {
      it(`(${units}, ${scale}) → ${text}`, () => {
        expect(formatUnits(units, scale)).to.equal(text);
      });
    }

    it('refuses numbers that are not safe integers (they may already be rounded)', () => {
      for (const units of [1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => formatUnits(units, 2)).to.throw(RangeError);
      }
    });
  });

  describe('scaleOf and normalizeDecimal', () => {
    const cases: Array<[string, number, string]> = [
      ['0.010', 2, '0.01'],
      ['5.0', 0, '5'],
      ['5', 0, '5'],
      ['100', 0, '100'],
      ['0.00001', 5, '0.00001'],
      ['0.0', 0, '0'],
      ['12.3400', 2, '12.34'],
    ];
    for (const [text, scale, normal] of cases) {
      it(`${text}: scale ${scale}, shortest ${normal}`, () => {
        expect(scaleOf(text)).to.equal(scale);
        expect(normalizeDecimal(text)).to.equal(normal);
      });
    }

    it('refuses what parseUnits refuses', () => {
      expect(codeOf(() => scaleOf('1e-5'))).to.equal('INVALID_DECIMAL');
      expect(codeOf(() => normalizeDecimal('.5'))).to.equal('INVALID_DECIMAL');
    });
  });

  describe('properties', () => {
    const scale = fc.integer({ min: 0, max: 18 });
    const digits = (min: number, max: number) =>
      fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const intPart = fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.constantFrom(...'123456789'), digits(0, 20)).map(([a, b]) => a + b),
    );

    it('parse(format(n, s), s) === n for any non-negative bigint', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), scale, (n, s) => {
          expect(parseUnits(formatUnits(n, s), s, { allowZero: true, max: 10n ** 40n })).to.equal(n);
        }),
      );
    });

    it('format(parse(x, s), s) is x with exactly s decimals', () => {
      const input = scale.chain((s) =>
        fc.record({
          s: fc.constant(s),
          int: intPart,
          frac: digits(0, s),
          zeros: fc.integer({ min: 0, max: 4 }),
          dot: fc.boolean(),
        }),
      );
      fc.assert(
        fc.property(input, ({ s, int, frac, zeros, dot }) => {
          const tail = frac + '0'.repeat(zeros);
          const text = tail === '' && !dot ? int : `${int}.${tail === '' ? '0' : tail}`;
          const expected = s === 0 ? int : `${int}.${frac.padEnd(s, '0')}`;
          const units = parseUnits(text, s, { allowZero: true, max: 10n ** 40n });
          expect(formatUnits(units, s)).to.equal(expected);
          expect(normalizeDecimal(formatUnits(units, s))).to.equal(normalizeDecimal(text));
        }),
      );
    });

    it('a non-zero digit beyond the scale is TOO_PRECISE, never rounded', () => {
      const input = fc.record({
        s: scale,
        int: intPart,
        extra: fc.tuple(digits(0, 3), fc.constantFrom(...'123456789')),
      });
      fc.assert(
        fc.property(input, ({ s, int, extra: [mid, last] }) => {
          const text = `${int}.${'5'.repeat(s)}${mid}${last}`;
          expect(codeOf(() => parseUnits(text, s, { max: 10n ** 40n }))).to.equal('TOO_PRECISE');
        }),
      );
    });

    it('negative units format as "-" followed by the positive form', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), scale, (n, s) => {
          expect(formatUnits(-n, s)).to.equal(`-${formatUnits(n, s)}`);
        }),
      );
    });

    it('any string either parses to a value that round-trips, or throws a DecimalError', () => {
      const text = fc.oneof(fc.string(), fc.stringMatching(/^[-+0-9.eE x]{0,12}$/));
      fc.assert(
        fc.property(text, scale, (t, s) => {
          let units: bigint;
          try {
            units = parseUnits(t, s, { allowZero: true });
          } catch (error) {
            expect(error).to.be.instanceOf(DecimalError);
            return;
          }
          expect(t).to.match(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/);
          expect(units <= MAX_SAFE_BIGINT).to.equal(true);
          expect(parseUnits(formatUnits(units, s), s, { allowZero: true })).to.equal(units);
          expect(parseSafeUnits(t, s, { allowZero: true })).to.equal(Number(units));
        }),
      );
    });
  });

  describe('compareIntegerStrings', () => {
    it('orders canonical integer strings as the integers they are, signs and 2^64 and beyond included', () => {
      const big = fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n });
      fc.assert(
        fc.property(big, big, (a, b) => {
          expect(Math.sign(compareIntegerStrings(String(a), String(b)))).to.equal(a < b ? -1 : a > b ? 1 : 0);
        }),
      );
    });
  });
});
