import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

/**
 * The balance scripts' exact arithmetic (includes/amounts.lua), run by Redis's own Lua against
 * BigInt: Lua numbers are doubles, so any shortcut that lets a value pass 2^53 shows up here as a
 * wrong digit. Amounts go up to 2^63 - 1 (HINCRBY's limit), sums up to twice that.
 */
const AMOUNTS_LUA = readFileSync(
  new URL('../../../src/redis/lua/includes/amounts.lua', import.meta.url),
  'utf8',
);
const MAX = 2n ** 63n - 1n;

/** Evaluates each helper on the pair (a, b), a >= b, and returns the results as strings. */
const HARNESS = `${AMOUNTS_LUA}
local a, b = ARGV[1], ARGV[2]
return {
  add(a, b), subtract(a, b), tostring(compare(a, b)), tostring(compare(b, a)), tostring(compare(a, a)),
  min_amount(a, b), tostring(fits(a, b)), tostring(is_amount(a)), tostring(is_amount(ARGV[3]))
}`;

describe('redis/lua: exact amount arithmetic', () => {
  let t: TestRedis;
  before(async () => {
    t = await openTestRedis();
  });
  after(async () => {
    await t.close();
  });

  async function check(x: bigint, y: bigint): Promise<void> {
    const [a, b] = x >= y ? [x, y] : [y, x];
    const reply = (await t.redis.eval(HARNESS, 0, String(a), String(b), String(a + 1n))) as string[];
    const label = `a=${a} b=${b}`;
    expect(reply[0], `add ${label}`).to.equal(String(a + b));
    expect(reply[1], `subtract ${label}`).to.equal(String(a - b));
    expect(reply[2], `compare ${label}`).to.equal(a === b ? '0' : '1');
    expect(reply[3], `compare reversed ${label}`).to.equal(a === b ? '0' : '-1');
    expect(reply[4], `compare self ${label}`).to.equal('0');
    expect(reply[5], `min ${label}`).to.equal(String(b));
    expect(reply[6], `fits ${label}`).to.equal(String(a + b <= MAX));
    expect(reply[7], `is_amount ${label}`).to.equal('true');
    expect(reply[8], `is_amount of a + 1 ${label}`).to.equal(String(a + 1n <= MAX));
  }

  it('agrees with BigInt at the limb, 2^53 and 2^63 boundaries', async () => {
    const edges = [
      0n,
      1n,
      9n,
      10n,
      9_999_999_999n,
      10_000_000_000n,
      10_000_000_001n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 53n + 1n,
      10n ** 18n - 1n,
      10n ** 18n,
      MAX - 10_000_000_000n,
      MAX - 1n,
      MAX,
    ];
    for (const x of edges) for (const y of edges) await check(x, y);
  });

  it('agrees with BigInt on random amounts of every length', async () => {
    // Lengths drawn uniformly, so that short and long amounts, and borrows across the limb, all occur.
    const amount = fc
      .integer({ min: 1, max: 19 })
      .chain((digits) =>
        fc.bigInt({ min: digits === 1 ? 0n : 10n ** BigInt(digits - 1), max: 10n ** BigInt(digits) - 1n }),
      )
      .map((value) => (value > MAX ? MAX : value));
    await fc.assert(
      fc.asyncProperty(amount, amount, async (x, y) => {
        await check(x, y);
      }),
      { numRuns: 400 },
    );
  });
});
