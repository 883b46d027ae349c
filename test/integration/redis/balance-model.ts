/**
 * A random but valid list of balance effects, as a matcher would produce them, with the outcome
 * the contract (docs/balances.md) predicts for each one's first application, computed by a plain
 * in-memory model of the same rules. The conservation test replays the list against Redis.
 */
import { positionOf, type Release, type Settlement } from '../../../src/redis/balance-store.ts';

export type Effect =
  | { kind: 'deposit'; userId: number; asset: string; amount: bigint; id: string }
  | { kind: 'withdraw'; userId: number; asset: string; amount: bigint; id: string }
  | { kind: 'hold'; userId: number; orderId: string; asset: string; amount: bigint | 'all' }
  | { kind: 'holdMore'; userId: number; orderId: string; entryId: string; amount: bigint }
  | { kind: 'settle'; settlement: Settlement }
  | { kind: 'release'; release: Release };

export interface Account {
  available: bigint;
  locked: bigint;
  fees: bigint;
}

interface Order {
  userId: number;
  orderId: string;
  symbol: string;
  asset: string;
  held: bigint;
  active: boolean;
}

export const MARKETS = [
  { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT' },
  { symbol: 'ETH-USDT', base: 'ETH', quote: 'USDT' },
  { symbol: 'ETH-BTC', base: 'ETH', quote: 'BTC' },
] as const;
export const ASSETS = ['BTC', 'ETH', 'USDT'] as const;

/** mulberry32: small, seeded, good enough to pick test cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class EffectGenerator {
  readonly effects: Effect[] = [];
  /** What the first application of effects[i] answers, as `outcomeOf` writes it. */
  readonly expected: string[] = [];
  readonly accounts = new Map<string, Account>();
  readonly deposited = new Map<string, bigint>();
  readonly withdrawn = new Map<string, bigint>();
  private readonly orders: Order[] = [];
  private readonly seqs = new Map<string, number>();
  private nextId = 0;

  constructor(
    private readonly random: () => number,
    readonly users: readonly number[],
  ) {}

  account(userId: number, asset: string): Account {
    const key = `${userId} ${asset}`;
    let account = this.accounts.get(key);
    if (!account) this.accounts.set(key, (account = { available: 0n, locked: 0n, fees: 0n }));
    return account;
  }

  /** Appends effects until there are at least `count` (a trade adds both its sides at once). */
  generate(count: number): void {
    while (this.effects.length < count) {
      const roll = this.random();
      if (roll < 0.15) this.deposit();
      else if (roll < 0.22) this.withdraw();
      else if (roll < 0.42) this.hold();
      else if (roll < 0.48) this.holdMore();
      else if (roll < 0.78) this.trade();
      else if (roll < 0.86) this.releasePart();
      else this.releaseAll();
    }
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.random() * items.length)];
  }

  /** Uniform enough in 1..max (max >= 1). */
  private upTo(max: bigint): bigint {
    const r =
      BigInt(Math.floor(this.random() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(this.random() * 2 ** 32));
    return (r % max) + 1n;
  }

  /**
   * Amounts of every magnitude up to 10^16, a tenth of them just around 2^53 where doubles stop
   * being exact; small enough that no sum of a few hundred passes 2^63.
   */
  private amount(): bigint {
    if (this.random() < 0.1) return 2n ** 53n - 1_000n + this.upTo(2_000n);
    return this.upTo(10n ** BigInt(1 + Math.floor(this.random() * 16)));
  }

  private push(effect: Effect, outcome: string): void {
    this.effects.push(effect);
    this.expected.push(outcome);
  }

  private add(map: Map<string, bigint>, asset: string, amount: bigint): void {
    map.set(asset, (map.get(asset) ?? 0n) + amount);
  }

  private deposit(): void {
    const userId = this.pick(this.users)!;
    const asset = this.pick(ASSETS)!;
    const amount = this.amount();
    this.account(userId, asset).available += amount;
    this.add(this.deposited, asset, amount);
    this.push({ kind: 'deposit', userId, asset, amount, id: `d${this.nextId++}` }, `OK ${amount}`);
  }

  private withdraw(): void {
    const userId = this.pick(this.users)!;
    const asset = this.pick(ASSETS)!;
    const account = this.account(userId, asset);
    const amount = this.random() < 0.3 ? this.amount() : this.upTo(account.available + 1n);
    const ok = account.available >= amount;
    if (ok) {
      account.available -= amount;
      this.add(this.withdrawn, asset, amount);
    }
    this.push(
      { kind: 'withdraw', userId, asset, amount, id: `w${this.nextId++}` },
      ok ? 'OK' : 'INSUFFICIENT_FUNDS',
    );
  }

  private hold(): void {
    const userId = this.pick(this.users)!;
    const market = this.pick(MARKETS)!;
    const asset = this.random() < 0.5 ? market.base : market.quote;
    const account = this.account(userId, asset);
    const amount = this.random() < 0.1 ? 'all' : this.upTo(account.available + account.available / 5n + 1n);
    const held = amount === 'all' ? account.available : amount;
    const orderId = `o${this.nextId++}`;
    const ok = held > 0n && account.available >= held;
    if (ok) {
      account.available -= held;
      account.locked += held;
      this.orders.push({ userId, orderId, symbol: market.symbol, asset, held, active: true });
    }
    this.push({ kind: 'hold', userId, orderId, asset, amount }, ok ? `OK ${held}` : 'INSUFFICIENT_FUNDS');
  }

  private holdMore(): void {
    const order = this.pick(this.orders.filter((o) => o.active));
    if (!order) return;
    const account = this.account(order.userId, order.asset);
    const amount = this.upTo(account.available + 10n);
    const ok = account.available >= amount;
    if (ok) {
      account.available -= amount;
      account.locked += amount;
      order.held += amount;
    }
    const effect: Effect = {
      kind: 'holdMore',
      userId: order.userId,
      orderId: order.orderId,
      entryId: `e${this.nextId++}`,
      amount,
    };
    this.push(effect, ok ? `OK ${amount}` : 'INSUFFICIENT_FUNDS');
  }

  private nextSeq(symbol: string): number {
    const seq = (this.seqs.get(symbol) ?? -1) + 1 + Math.floor(this.random() * 3);
    this.seqs.set(symbol, seq);
    return seq;
  }

  /** A trade between an active buy (spends quote) and an active sell (spends base), maybe one user's. */
  private trade(): void {
    const market = this.pick(MARKETS)!;
    const live = this.orders.filter((o) => o.active && o.symbol === market.symbol);
    const buy = this.pick(live.filter((o) => o.asset === market.quote && o.held > 0n));
    const sell = this.pick(live.filter((o) => o.asset === market.base && o.held > 0n));
    if (!buy || !sell) return;
    const base = this.upTo(sell.held);
    const quote = this.upTo(buy.held);
    const seq = this.nextSeq(market.symbol);
    const buyerFee = this.random() < 0.2 ? 0n : base / 1000n;
    const sellerFee = this.random() < 0.2 ? 0n : quote / 500n;
    const sides = [
      { order: buy, spent: quote, receivedAsset: market.base, received: base, fee: buyerFee },
      { order: sell, spent: base, receivedAsset: market.quote, received: quote, fee: sellerFee },
    ];
    if (this.random() < 0.5) sides.reverse();
    sides.forEach((side, role) => {
      const { order } = side;
      order.held -= side.spent;
      this.account(order.userId, order.asset).locked -= side.spent;
      const receiving = this.account(order.userId, side.receivedAsset);
      receiving.available += side.received - side.fee;
      receiving.fees += side.fee;
      const settlement: Settlement = {
        userId: order.userId,
        symbol: market.symbol,
        position: positionOf(seq, role === 0 ? 'maker' : 'taker'),
        orderId: order.orderId,
        spentAsset: order.asset,
        spent: side.spent,
        receivedAsset: side.receivedAsset,
        received: side.received,
        fee: side.fee,
      };
      this.push({ kind: 'settle', settlement }, `OK held=${order.held}`);
    });
  }

  private release(order: Order, amount: bigint | 'all'): void {
    const released = amount === 'all' || amount > order.held ? order.held : amount;
    order.held -= released;
    const account = this.account(order.userId, order.asset);
    account.locked -= released;
    account.available += released;
    if (amount === 'all') order.active = false;
    const position = positionOf(this.nextSeq(order.symbol), 'release');
    const release: Release = {
      userId: order.userId,
      symbol: order.symbol,
      position,
      orderId: order.orderId,
      amount,
    };
    this.push({ kind: 'release', release }, `OK released=${released} held=${order.held}`);
  }

  private releasePart(): void {
    const order = this.pick(this.orders.filter((o) => o.active));
    if (order) this.release(order, this.upTo(order.held + order.held / 4n + 1n) - 1n);
  }

  private releaseAll(): void {
    const order = this.pick(this.orders.filter((o) => o.active));
    if (order) this.release(order, 'all');
  }
}
