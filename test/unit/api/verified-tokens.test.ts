import { expect } from 'chai';
import { VerifiedTokens } from '../../../src/api/verified-tokens.ts';

describe('api/verified-tokens', () => {
  const alice = { userId: 1, role: 'user' } as const;
  const bob = { userId: 2, role: 'admin' } as const;

  it('answers a remembered token until its validity ends, then forgets it', () => {
    let clock = 1_000;
    const tokens = new VerifiedTokens(() => clock);
    expect(tokens.get('a')).to.equal(undefined);
    tokens.remember('a', alice, 2_000);
    expect(tokens.get('a')).to.deep.equal(alice);
    clock = 1_999;
    expect(tokens.get('a')).to.deep.equal(alice);
    clock = 2_000;
    expect(tokens.get('a')).to.equal(undefined);
    expect(tokens.size).to.equal(0);
  });

  it('holds at most its capacity, forgetting the oldest first', () => {
    const tokens = new VerifiedTokens(() => 0, 2);
    tokens.remember('a', alice, 10);
    tokens.remember('b', bob, 10);
    tokens.remember('c', alice, 10);
    expect(tokens.size).to.equal(2);
    expect(tokens.get('a')).to.equal(undefined);
    expect(tokens.get('b')).to.deep.equal(bob);
    expect(tokens.get('c')).to.deep.equal(alice);
    // Remembering a known token again evicts nothing.
    tokens.remember('c', alice, 20);
    expect(tokens.get('b')).to.deep.equal(bob);
  });
});
