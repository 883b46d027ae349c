/**
 * One matcher batch on BTC-USDT that the Redis Cluster tests of the matcher share (docs/redis-cluster.md
 * steps 3 and 6): 16 users, whose `{u:ID}` keys land on every master of a 3-master cluster, place
 * orders that trade, rest, and are refused for funds. The expected balances and holds are worked
 * out by hand from the market's units below, not from the engine.
 *
 * Units: a lot is 0.00001 BTC = 1 000 satoshi, a tick-lot 0.01 × 0.00001 USDT = 10 units of 10^-8
 * USDT; the maker pays 0.1 % and the taker 0.2 % of what they receive.
 */
import { OrderBook } from '../../../src/engine/order-book.ts';
import { compileMarket, type CompiledMarket } from '../../../src/markets/market-rules.ts';
import type { RawEntry } from '../../../src/matcher/command-stream.ts';
import { SymbolProcessor, type BatchObserver } from '../../../src/matcher/symbol-processor.ts';
import type { BalanceStore } from '../../../src/redis/balance-store.ts';
import type { RedisClient } from '../../../src/redis/connection.ts';
import type { Keys } from '../../../src/redis/keys.ts';
import { encodeCommand } from '../../../src/streams/command-codec.ts';

export const SYMBOL = 'BTC-USDT';

export const MARKET: CompiledMarket = compileMarket({
  symbol: SYMBOL,
  base: 'BTC',
  quote: 'USDT',
  basePrecision: 8,
  quotePrecision: 8,
  tickSize: '0.01',
  lotSize: '0.00001',
  minNotional: '0',
  makerFee: '0.001',
  takerFee: '0.002',
  status: 'trading',
});

export const SELLERS = [1, 2, 3, 4, 5, 6];
export const BUYERS = [7, 8, 9, 10, 11, 12];
/**
 * Places a buy at ASKER's price without any deposit: INSUFFICIENT_FUNDS. Had it reached the engine,
 * it would have rested and taken ASKER's ask.
 */
export const BROKE = 13;
/** A bid that rests: 5 lots at 29 000.00. */
export const BIDDER = 14;
/** An ask that rests, then is partly filled: 20 lots at 31 000.00, 15 taken. */
export const ASKER = 15;
/** Takes 15 lots of ASKER's ask. */
export const TAKER = 16;
export const USERS = [...SELLERS, ...BUYERS, BROKE, BIDDER, ASKER, TAKER];

const PRICE = 3_000_000; // 30 000.00 USDT, in ticks
const BID_PRICE = 2_900_000;
const ASK_PRICE = 3_100_000;

/** What each user deposits, in smallest units. */
export const DEPOSITS: ReadonlyArray<{ userId: number; asset: 'BTC' | 'USDT'; amount: bigint }> = [
  ...SELLERS.map((userId) => ({ userId, asset: 'BTC' as const, amount: 1_000_000n })),
  ...BUYERS.map((userId) => ({ userId, asset: 'USDT' as const, amount: 1_000_000_000n })),
  { userId: BIDDER, asset: 'USDT', amount: 1_000_000_000n },
  { userId: ASKER, asset: 'BTC', amount: 1_000_000n },
  { userId: TAKER, asset: 'USDT', amount: 1_000_000_000n },
];

/** Decimal ids, as the API makes them (MySQL keeps them as BIGINT UNSIGNED). */
export const orderIdOf = (userId: number) => String(900_000 + userId);

/** The batch's places, in stream order: sellers rest first, so each buyer takes one seller's ask. */
const PLACES = [
  ...SELLERS.map((userId) => place(userId, 'sell', PRICE, 10)),
  ...BUYERS.map((userId) => place(userId, 'buy', PRICE, 10)),
  place(BROKE, 'buy', ASK_PRICE, 10),
  place(BIDDER, 'buy', BID_PRICE, 5),
  place(ASKER, 'sell', ASK_PRICE, 20),
  place(TAKER, 'buy', ASK_PRICE, 15),
];

/** The batch as the stream holds it; `replyTo` names the API instance waiting for outcomes. */
export function batchEntries(replyTo: string | null): RawEntry[] {
  return PLACES.map((intent, i) => [`${1_700_000_000_000 + i}-0`, encodeCommand(intent, null, replyTo)]);
}

/** available / locked / fees paid per user and asset after the batch (absent: all 0). */
export function expectedBalance(
  userId: number,
  asset: string,
): [available: bigint, locked: bigint, fees: bigint] {
  const table: Record<number, Record<string, [bigint, bigint, bigint]>> = {};
  // Each seller's 10 lots (10 000 sat) sold at 30 000.00: 3e6 ticks × 10 lots × 10 = 3e8 units.
  for (const s of SELLERS) table[s] = { BTC: [990_000n, 0n, 0n], USDT: [299_700_000n, 0n, 300_000n] };
  for (const b of BUYERS) table[b] = { USDT: [700_000_000n, 0n, 0n], BTC: [9_980n, 0n, 20n] };
  // 2.9e6 × 5 × 10 = 145e6 held.
  table[BIDDER] = { USDT: [855_000_000n, 145_000_000n, 0n] };
  // 15 of 20 lots sold at 31 000.00: 3.1e6 × 15 × 10 = 465e6; 5 lots (5 000 sat) stay held.
  table[ASKER] = { BTC: [980_000n, 5_000n, 0n], USDT: [464_535_000n, 0n, 465_000n] };
  table[TAKER] = { USDT: [535_000_000n, 0n, 0n], BTC: [14_970n, 0n, 30n] };
  return table[userId]?.[asset] ?? [0n, 0n, 0n];
}

/** What each order's hold record says after the batch (BalanceStore.getHold). */
export function expectedHold(userId: number): object {
  if (SELLERS.includes(userId)) return { state: 'released', asset: 'BTC', amount: 10_000n };
  if (BUYERS.includes(userId)) return { state: 'released', asset: 'USDT', amount: 300_000_000n };
  if (userId === BROKE) return { state: 'refused' };
  if (userId === BIDDER) return { state: 'active', asset: 'USDT', held: 145_000_000n, amount: 145_000_000n };
  if (userId === ASKER) return { state: 'active', asset: 'BTC', held: 5_000n, amount: 20_000n };
  return { state: 'released', asset: 'USDT', amount: 465_000_000n };
}

export async function fund(balances: BalanceStore): Promise<void> {
  for (const { userId, asset, amount } of DEPOSITS) {
    await balances.deposit(userId, asset, amount, `d-${userId}-${asset}`);
  }
}

/** Warnings the processor logged: a clean batch logs none. */
export interface WarningLog {
  readonly warnings: Array<{ details: object; message: string }>;
  warn(details: object, message: string): void;
}

export function warningLog(): WarningLog {
  const warnings: Array<{ details: object; message: string }> = [];
  return { warnings, warn: (details, message) => warnings.push({ details, message }) };
}

/** A fresh owner of BTC-USDT from the start of its stream (a takeover from an empty checkpoint). */
export function newProcessor(
  redis: RedisClient,
  keys: Keys,
  balances: BalanceStore,
  observer: BatchObserver,
  log: WarningLog,
): SymbolProcessor {
  return new SymbolProcessor(SYMBOL, MARKET, new OrderBook(MARKET.rules), '0-0', {
    redis,
    stream: keys.orderStream(SYMBOL),
    balances,
    observer,
    log,
  });
}

/** A GTC limit place of `userId` (its order id: `orderIdOf(userId)`). */
export function place(userId: number, side: 'buy' | 'sell', price: number, quantity: number) {
  return {
    type: 'place' as const,
    orderId: orderIdOf(userId),
    userId,
    side,
    orderType: 'limit',
    price,
    quantity,
    quoteLimit: 0,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
  };
}
