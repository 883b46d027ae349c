import type { Principal } from './auth.ts';

/** Tokens remembered at most; past it the oldest is forgotten (it is verified again if it comes back). */
export const VERIFIED_TOKENS_CAPACITY = 100_000;

/**
 * Tokens whose signature and claims were verified, with whom they speak for, until their `exp`.
 * Keyed by the whole token text: only the very bytes that were verified are recognized, so a
 * changed claim or signature is a different key and is verified in full. Expiry is the only claim
 * that changes with time (no clock tolerance; a not-yet-valid `nbf` failed and was never
 * remembered), and a remembered token is forgotten the moment it expires, so it is then refused by
 * the full check with TOKEN_EXPIRED as before.
 */
export class VerifiedTokens {
  private readonly entries = new Map<
    string,
    { readonly principal: Principal; readonly validUntilMs: number }
  >();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly capacity: number = VERIFIED_TOKENS_CAPACITY,
  ) {}

  /** The token's principal when it was verified and has not expired since; otherwise undefined. */
  get(token: string): Principal | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.validUntilMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  remember(token: string, principal: Principal, validUntilMs: number): void {
    if (this.entries.size >= this.capacity && !this.entries.has(token)) {
      // Maps iterate in insertion order: the first key is the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { principal, validUntilMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
