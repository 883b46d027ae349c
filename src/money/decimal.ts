/**
 * The one codec between decimal strings (the HTTP API, config/) and integer units (the engine,
 * balances). A value is `units × 10^-scale`: "123.45" at scale 2 is 12345 units.
 *
 * It works on the digits of the string alone and never goes through a double, so a value is either
 * represented exactly or refused with a stable code (DESIGN.md invariant 7).
 *
 * Accepted form: `0` or a digit 1-9 followed by digits, then optionally `.` and one or more digits.
 * Everything else is refused, on purpose, as INVALID_DECIMAL:
 * - a sign (`+1`, `-1`): amounts are never negative at the edge, and one spelling per value keeps
 *   idempotency keys and logs unambiguous;
 * - leading zeros (`007`, `00.5`): in some languages they mean octal, and they are never what a
 *   client meant to send;
 * - `.5`, `5.`, exponents, hex, `Infinity`, `NaN`, spaces, `_` separators, non-strings (a JSON number
 *   has already been through a double when it reaches us).
 * Fractional digits beyond the scale are accepted when they are zeros ("1.50" at scale 1); a non-zero
 * digit there is TOO_PRECISE, never rounded.
 */

export type DecimalErrorCode = 'INVALID_DECIMAL' | 'TOO_PRECISE' | 'OUT_OF_RANGE' | 'ZERO_NOT_ALLOWED';

export class DecimalError extends Error {
  override readonly name = 'DecimalError';

  constructor(
    readonly code: DecimalErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Longest string we look at: far beyond any real amount, short enough to bound the work per value. */
export const MAX_DECIMAL_LENGTH = 64;

/** Largest scale the codec takes; precisions and tick scales are far below it. */
export const MAX_SCALE = 36;

export const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

export interface ParseOptions {
  /** Accept a value of zero. Default false: most amounts (prices, quantities, deposits) must be positive. */
  readonly allowZero?: boolean;
  /** Largest accepted value, in units (inclusive). Default Number.MAX_SAFE_INTEGER. */
  readonly max?: bigint;
}

/** Shows a value in an error message without echoing a huge or multi-line input back. */
function show(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  const text = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(text);
}

function checkScale(scale: number): void {
  // A bad scale is a programming error, not bad input: a RangeError, not a DecimalError.
  if (!Number.isSafeInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new RangeError(`scale must be an integer in 0..${MAX_SCALE}, got ${String(scale)}`);
  }
}

/** Splits a plain decimal into its integer digits and its fractional digits without trailing zeros. */
function split(text: unknown, scale: number | undefined): { int: string; frac: string } {
  const where = scale === undefined ? '' : ` (scale ${scale})`;
  if (typeof text !== 'string') {
    throw new DecimalError('INVALID_DECIMAL', `expected a decimal string${where}, got ${show(text)}`);
  }
  const match = text.length <= MAX_DECIMAL_LENGTH ? DECIMAL.exec(text) : null;
  if (match === null) {
    const why =
      text.length > MAX_DECIMAL_LENGTH
        ? `longer than ${MAX_DECIMAL_LENGTH} characters`
        : 'not a plain decimal like "12.34" (no sign, exponent, leading zeros or spaces)';
    throw new DecimalError('INVALID_DECIMAL', `${show(text)} is ${why}${where}`);
  }
  return { int: match[1]!, frac: (match[2] ?? '').replace(/0+$/, '') };
}

/**
 * Parses a decimal string into integer units of 10^-scale. Throws DecimalError:
 * INVALID_DECIMAL (not the accepted form), TOO_PRECISE (a non-zero digit beyond the scale),
 * ZERO_NOT_ALLOWED (zero without allowZero), OUT_OF_RANGE (more than `max` units).
 */
export function parseUnits(text: unknown, scale: number, opts: ParseOptions = {}): bigint {
  checkScale(scale);
  const max = opts.max ?? MAX_SAFE_BIGINT;
  const { int, frac } = split(text, scale);
  if (frac.length > scale) {
    throw new DecimalError(
      'TOO_PRECISE',
      `${show(text)} has ${frac.length} decimals, more than the ${scale} allowed here`,
    );
  }
  const units = BigInt(int + frac.padEnd(scale, '0'));
  if (units === 0n && opts.allowZero !== true) {
    throw new DecimalError('ZERO_NOT_ALLOWED', `${show(text)} must be greater than zero (scale ${scale})`);
  }
  if (units > max) {
    throw new DecimalError(
      'OUT_OF_RANGE',
      `${show(text)} is more than the largest accepted value ${formatUnits(max, scale)} (scale ${scale})`,
    );
  }
  return units;
}

/**
 * parseUnits for amounts the engine and balances hold as numbers: the result is at most
 * Number.MAX_SAFE_INTEGER (whatever `max` says), so converting it to a number is exact.
 */
export function parseSafeUnits(text: unknown, scale: number, opts: ParseOptions = {}): number {
  const max = opts.max === undefined || opts.max > MAX_SAFE_BIGINT ? MAX_SAFE_BIGINT : opts.max;
  return Number(parseUnits(text, scale, { ...opts, max }));
}

/**
 * Formats integer units of 10^-scale exactly, always with `scale` fractional digits:
 * (12345n, 2) → "123.45", (100n, 2) → "1.00", (5n, 0) → "5", (-5n, 3) → "-0.005".
 * A fixed number of digits per market and asset keeps API responses aligned and predictable;
 * use normalizeDecimal for the shortest form. Negative values (balance deltas) get a leading "-".
 */
export function formatUnits(units: bigint | number, scale: number): string {
  checkScale(scale);
  if (typeof units === 'number' && !Number.isSafeInteger(units)) {
    // A number past 2^53 may already be rounded: printing it would print a value nobody holds.
    throw new RangeError(`units must be a safe integer or a bigint, got ${String(units)}`);
  }
  const value = BigInt(units);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const cut = digits.length - scale;
  const body = scale === 0 ? digits : `${digits.slice(0, cut)}.${digits.slice(cut)}`;
  return negative ? `-${body}` : body;
}

/** Number of fractional digits of a decimal string once trailing zeros are dropped: "0.010" → 2, "5.0" → 0. */
export function scaleOf(text: unknown): number {
  return split(text, undefined).frac.length;
}

/** The shortest exact spelling of a decimal string: "0.0100" → "0.01", "5.000" → "5". */
export function normalizeDecimal(text: unknown): string {
  const { int, frac } = split(text, undefined);
  return frac === '' ? int : `${int}.${frac}`;
}

/**
 * Canonical decimal integers (no leading zero, no "+", no "-0": ids, seqs, amounts as MySQL and Redis
 * give them) compared exactly, without parsing: by sign, then by length, then digit by digit.
 */
export function compareIntegerStrings(a: string, b: string): number {
  const negativeA = a.charCodeAt(0) === 45; // '-'
  const negativeB = b.charCodeAt(0) === 45;
  if (negativeA !== negativeB) return negativeA ? -1 : 1;
  const magnitude = a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  return negativeA ? -magnitude : magnitude;
}
