/**
 * Exact integer arithmetic on JavaScript numbers that stay within Number.MAX_SAFE_INTEGER.
 *
 * A double holds every integer up to 2^53 exactly, and `*`, `-`, `%` and the division of an exact
 * multiple are exact there. These helpers only ever take that path, so no rounding happens; callers
 * check the bounds (`isSafeProduct`) before they multiply amounts.
 */

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export function isSafeNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isSafePositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * True when a × b (non-negative safe integers) is at most MAX_SAFE.
 * If the exact product fits, the double product is exact; if it does not, the rounded product is at
 * least 2^53 (rounding is monotonic), so one comparison decides both cases.
 */
export function isSafeProduct(a: number, b: number): boolean {
  return a * b <= MAX_SAFE;
}

/** True when a × b × c fits; same reasoning, applied twice (every factor is ≥ 1 or the product is 0). */
export function isSafeProduct3(a: number, b: number, c: number): boolean {
  const ab = a * b;
  return ab <= MAX_SAFE && ab * c <= MAX_SAFE;
}

/** floor(a / b) for a ≥ 0, b > 0: `a - a % b` is an exact multiple of b, so the division is exact. */
export function floorDiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}

const PPM = 1_000_000;

/**
 * floor(amount × ppm / 1 000 000) for 0 ≤ amount ≤ MAX_SAFE and 0 ≤ ppm ≤ 1 000 000, exactly.
 * amount = q·10^6 + r, so the result is q·ppm + floor(r·ppm / 10^6); q·ppm ≤ amount and r·ppm < 10^12,
 * both far inside the safe range.
 */
export function applyPpmFloor(amount: number, ppm: number): number {
  const r = amount % PPM;
  const q = (amount - r) / PPM;
  return q * ppm + floorDiv(r * ppm, PPM);
}
