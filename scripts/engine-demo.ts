/**
 * What `npm start` shows until the HTTP API and the workers exist: the matching engine at work on
 * BTC-USDT as config/markets.json defines it. Decimal strings become ticks and lots at the edge
 * (src/markets/market-rules.ts), the pure engine matches integers (src/engine, docs/engine.md), and its
 * events become decimal strings again for display. Timestamps are fixed, so every run prints the same.
 */
import { readFileSync } from 'node:fs';
import { OrderBook } from '../src/engine/order-book.ts';
import type { Command, EngineEvent, PlaceCommand, Side } from '../src/engine/types.ts';
import {
  baseUnitsToDecimal,
  compileMarkets,
  type CompiledMarket,
  lotsToQuantity,
  type MarketDefinition,
  priceToTicks,
  quantityToLots,
  quoteUnitsToDecimal,
  ticksToPrice,
} from '../src/markets/market-rules.ts';

const SYMBOL = 'BTC-USDT';
const ALICE = 1;
const BOB = 2;
const USERS = new Map([
  [ALICE, 'alice'],
  [BOB, 'bob'],
]);

function loadMarket(symbol: string): CompiledMarket {
  const url = new URL('../config/markets.json', import.meta.url);
  const definitions = JSON.parse(readFileSync(url, 'utf8')) as MarketDefinition[];
  const market = compileMarkets(definitions).get(symbol);
  if (market === undefined) throw new Error(`${symbol} is not in config/markets.json`);
  return market;
}

const market = loadMarket(SYMBOL);
const { base, quote } = market.definition;
const book = new OrderBook(market.rules);

/** A command before it enters the stream, which gives it its timestamp. */
type Unstamped<C> = C extends Command ? Omit<C, 'timestamp'> : never;

/** The engine's only clock is the command's timestamp (in production, the stream entry's id). */
let clock = Date.UTC(2025, 0, 1);
const stream: Command[] = [];
const liveEvents: EngineEvent[] = [];

function limit(
  orderId: string,
  userId: number,
  side: Side,
  price: string,
  quantity: string,
): Unstamped<PlaceCommand> {
  return {
    type: 'place',
    orderId,
    userId,
    side,
    orderType: 'limit',
    price: priceToTicks(market, price),
    quantity: quantityToLots(market, quantity),
    quoteLimit: 0,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
  };
}

function apply(unstamped: Unstamped<Command>): void {
  const command: Command = { ...unstamped, timestamp: clock++ };
  const events: EngineEvent[] = [];
  book.apply(command, events);
  stream.push(command);
  liveEvents.push(...events);
  for (const event of events) console.log(`  #${String(event.seq).padEnd(3)} ${describe(event)}`);
}

const who = (userId: number): string => USERS.get(userId) ?? `user ${userId}`;
const price = (ticks: number): string => ticksToPrice(market, ticks);
const qty = (lots: number): string => `${lotsToQuantity(market, lots)} ${base}`;
const quoteAmount = (units: number): string => `${quoteUnitsToDecimal(market, units)} ${quote}`;
const baseAmount = (units: number): string => `${baseUnitsToDecimal(market, units)} ${base}`;

function describe(e: EngineEvent): string {
  switch (e.type) {
    case 'accepted':
      return `accepted  ${e.orderId} ${who(e.userId)} ${e.side}s ${qty(e.quantity)} at ${price(e.price)} (${e.orderType} ${e.timeInForce})`;
    case 'trade': {
      // Each side pays its fee in the asset it receives: the buyer in base, the seller in quote.
      const makerFee = e.takerSide === 'buy' ? quoteAmount(e.makerFee) : baseAmount(e.makerFee);
      const takerFee = e.takerSide === 'buy' ? baseAmount(e.takerFee) : quoteAmount(e.takerFee);
      return (
        `trade     ${qty(e.quantity)} at ${price(e.price)} = ${quoteAmount(e.quoteQuantity)}; ` +
        `maker ${e.makerOrderId} (${who(e.makerUserId)}) fee ${makerFee}, ` +
        `taker ${e.takerOrderId} (${who(e.takerUserId)}) fee ${takerFee}`
      );
    }
    case 'rested':
      return `rested    ${e.orderId} ${qty(e.remainingQuantity)} left at ${price(e.price)}`;
    case 'canceled':
      return `canceled  ${e.orderId} ${qty(e.remainingQuantity)} not filled (${e.reason})`;
    case 'expired':
      return `expired   ${e.orderId} ${qty(e.remainingQuantity)} not filled (${e.reason})`;
    case 'done':
      return `done      ${e.orderId} ${e.status}: ${qty(e.filledQuantity)} for ${quoteAmount(e.filledQuote)}`;
    case 'rejected':
      return `rejected  ${e.command} ${e.orderId} (${e.reason})`;
    case 'amended':
      return `amended   ${e.orderId} to ${qty(e.quantity)} at ${price(e.price)}`;
    case 'feesChanged':
      return `fees      maker ${e.makerFeePpm} ppm, taker ${e.takerFeePpm} ppm`;
  }
}

function printDepth(): void {
  const depth = book.depth(10);
  console.log(`\n  depth of ${SYMBOL} at seq ${depth.sequence} (price ${quote}, quantity ${base}):`);
  for (const [ticks, lots] of [...depth.asks].reverse()) {
    console.log(`    ask  ${price(ticks).padStart(10)}  ${lotsToQuantity(market, lots)}`);
  }
  for (const [ticks, lots] of depth.bids) {
    console.log(`    bid  ${price(ticks).padStart(10)}  ${lotsToQuantity(market, lots)}`);
  }
  console.log();
}

const { makerFee, takerFee, tickSize, lotSize } = market.definition;
console.log(
  `${SYMBOL}: tick ${tickSize} ${quote}, lot ${lotSize} ${base}, fees maker ${makerFee} / taker ${takerFee}`,
);
console.log(
  `engine units: 1 lot = ${market.rules.baseUnitsPerLot} ${base} units, ` +
    `1 tick × 1 lot = ${market.rules.quoteUnitsPerTickLot} ${quote} units\n`,
);

console.log('1. alice offers BTC and bob bids for it: nothing crosses, every order rests');
apply(limit('a1', ALICE, 'sell', '30000.00', '0.5'));
apply(limit('a2', ALICE, 'sell', '30010.50', '0.25'));
apply(limit('b1', BOB, 'buy', '29990.00', '0.4'));
apply(limit('b2', BOB, 'buy', '29980.00', '0.1'));
printDepth();

console.log('2. bob buys 0.6 BTC up to 30010.50: the best ask first, then the next level');
apply(limit('b3', BOB, 'buy', '30010.50', '0.6'));
printDepth();

console.log('3. bob cancels b2, then b3, which has already filled');
apply({ type: 'cancel', orderId: 'b2', userId: BOB });
apply({ type: 'cancel', orderId: 'b3', userId: BOB });
printDepth();

// Determinism (DESIGN.md invariant 6): the same stream gives byte-identical events and the same state.
const replay = new OrderBook(market.rules);
const replayEvents: EngineEvent[] = [];
for (const command of stream) replay.apply(command, replayEvents);
const same =
  JSON.stringify(replayEvents) === JSON.stringify(liveEvents) && replay.stateHash() === book.stateHash();
console.log(
  `4. replaying the ${stream.length} commands into a new book gives ${same ? 'the same' : 'DIFFERENT'} ` +
    `${replayEvents.length} events and state hash ${replay.stateHash()}`,
);
if (!same) process.exitCode = 1;
