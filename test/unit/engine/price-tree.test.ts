import { expect } from 'chai';
import fc from 'fast-check';
import { PriceLevel } from '../../../src/engine/price-level.ts';
import { PriceTree } from '../../../src/engine/price-tree.ts';

/** Walks the tree from its cached minimum through `next`, as the matching loop and depth do. */
function keysInOrder(tree: PriceTree): number[] {
  const keys: number[] = [];
  for (let level = tree.first; level !== null; level = tree.next(level)) keys.push(level.key);
  return keys;
}

describe('PriceTree (red-black tree of price levels)', () => {
  it('keeps keys sorted, the minimum cached and the red-black properties after every insert and remove', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -200, max: 200 })), {
          minLength: 50,
          maxLength: 400,
          size: 'max',
        }),
        (operations) => {
          const tree = new PriceTree();
          const present = new Map<number, PriceLevel>();
          for (const [insert, key] of operations) {
            if (insert && !present.has(key)) {
              const level = new PriceLevel(Math.abs(key), key, null);
              tree.insert(level);
              present.set(key, level);
            } else if (!insert && present.has(key)) {
              tree.remove(present.get(key)!);
              present.delete(key);
            }
            tree.verify();
            const expected = [...present.keys()].sort((a, b) => a - b);
            expect(keysInOrder(tree)).to.deep.equal(expected);
            expect(tree.first?.key ?? null).to.equal(expected[0] ?? null);
            expect(tree.size).to.equal(expected.length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stays balanced under sequential inserts (height within 2·log2(n+1))', () => {
    const tree = new PriceTree();
    const n = 4095;
    for (let key = 1; key <= n; key++) tree.insert(new PriceLevel(key, key, null));
    const blackHeight = tree.verify();
    // Red-black bound: height ≤ 2·log2(n+1); black height is at least half the height.
    expect(blackHeight).to.be.at.most(2 * Math.log2(n + 1));
    expect(blackHeight).to.be.at.least(Math.log2(n + 1) / 2);
    expect(keysInOrder(tree)).to.have.length(n);
  });
});
