/**
 * Every Redis key name comes from here. Keys are designed for Redis Cluster (DESIGN.md §7): all
 * keys of a symbol share the hash tag `{SYMBOL}` and all keys of a user share `{u:ID}`, so every
 * Lua script and multi-key command touches one slot and nothing needs a cross-slot operation.
 * A shard lease is alone in its slot. The prefix (`KEY_PREFIX`, default `ex`) lets tests and
 * several deployments share one Redis.
 */

export interface Keys {
  readonly prefix: string;
  /** Matches every key of this prefix (SCAN MATCH), for cleanup and inspection. */
  readonly pattern: string;

  // Per symbol, hash tag {SYMBOL}.
  /** Stream: the symbol's commands (place, cancel, amend, fee changes) in matching order. */
  orderStream(symbol: string): string;
  /** String: the latest depth snapshot of the symbol, JSON, written by its matcher (throttled). */
  depth(symbol: string): string;
  /** List: the symbol's most recent public trades, newest first, capped. */
  recentTrades(symbol: string): string;
  /** String: the order id a user's clientOrderId on this symbol already created (docs/pipeline.md). */
  clientOrderId(symbol: string, userId: number, clientOrderId: string): string;

  // Per order, alone in its slot.
  /** String: JSON OrderRecord of the read model (docs/pipeline.md). */
  order(orderId: string): string;

  // Per user and symbol, hash tag {u:ID}.
  /** Sorted set: every order id of the user on the symbol, by creation time. */
  userOrders(userId: number, symbol: string): string;
  /** Sorted set: the user's open orders on the symbol, by creation time. */
  userOpenOrders(userId: number, symbol: string): string;
  /** List: the user's fills on the symbol, newest first, capped. */
  userFills(userId: number, symbol: string): string;

  // Global, each alone in its slot.
  /** Hash: SYMBOL → JSON MarketDefinition. */
  markets: string;
  /** String counter: bumped on every market change. */
  marketsVersion: string;
  /** Pub/sub channel: a market changed (message: the symbol). */
  marketsChanged: string;
  /** String counter: API instance numbers for order-id snowflakes. */
  instances: string;
  /** Sorted set: live matcher threads, score = heartbeat deadline (ms). */
  members: string;
  /** Pub/sub channel of one API instance: outcomes of the commands it appended. */
  outcomes(instanceId: string): string;

  // Per shard.
  /** String: the shard's lease, `SET NX PX` with its owner's random token (DESIGN.md §2). */
  shardLease(shard: number): string;

  // Per user, hash tag {u:ID}; contents in docs/balances.md.
  /** Hash: `a:<ASSET>` available, `l:<ASSET>` locked, `f:<ASSET>` fees paid. */
  balances(userId: number): string;
  /** Hash: hold records per order id, and amend holds per `<orderId>#<entryId>`. */
  holds(userId: number): string;
  /** Hash: `<SYMBOL>` → position of the last settlement or release applied. */
  cursor(userId: number): string;
  /** Hash: `<depositId>` → `<asset> <amount>`. */
  deposits(userId: number): string;
  /** Hash: `<withdrawalId>` → `<asset> <amount>`, or `R <asset> <amount>` when refused. */
  withdrawals(userId: number): string;
}

const PREFIX = /^[a-z0-9_-]{1,32}$/;
/** `BASE-QUOTE` with assets as src/markets/market-rules.ts defines them. */
const SYMBOL = /^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$/;

export class KeyError extends Error {
  override readonly name = 'KeyError';
}

function symbolTag(symbol: string): string {
  if (!SYMBOL.test(symbol))
    throw new KeyError(`symbol must look like BTC-USDT, got ${JSON.stringify(symbol)}`);
  return `{${symbol}}`;
}

function userTag(userId: number): string {
  if (!Number.isSafeInteger(userId) || userId <= 0) {
    throw new KeyError(`userId must be a positive safe integer, got ${String(userId)}`);
  }
  return `{u:${userId}}`;
}

const PLAIN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** An id inside a key name: no braces (they would change the hash tag), no separators. */
function plainId(id: string): string {
  if (!PLAIN_ID.test(id))
    throw new KeyError(`id must be 1-64 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(id)}`);
  return id;
}

/** A symbol outside the hash tag (the key is tagged by something else). */
function plainSymbol(symbol: string): string {
  return symbolTag(symbol).slice(1, -1);
}

export function createKeys(prefix: string): Keys {
  if (!PREFIX.test(prefix)) {
    throw new KeyError(
      `key prefix must be 1-32 characters of a-z, 0-9, _ or -, got ${JSON.stringify(prefix)}`,
    );
  }
  const p = prefix;
  return Object.freeze({
    prefix,
    pattern: `${p}:*`,
    orderStream: (symbol: string) => `${p}:orders:${symbolTag(symbol)}`,
    depth: (symbol: string) => `${p}:depth:${symbolTag(symbol)}`,
    recentTrades: (symbol: string) => `${p}:trades:${symbolTag(symbol)}`,
    clientOrderId: (symbol: string, userId: number, clientOrderId: string) =>
      `${p}:coid:${symbolTag(symbol)}:${userTag(userId).slice(1, -1)}:${plainId(clientOrderId)}`,
    order: (orderId: string) => `${p}:order:${plainId(orderId)}`,
    userOrders: (userId: number, symbol: string) =>
      `${p}:user-orders:${userTag(userId)}:${plainSymbol(symbol)}`,
    userOpenOrders: (userId: number, symbol: string) =>
      `${p}:user-open:${userTag(userId)}:${plainSymbol(symbol)}`,
    userFills: (userId: number, symbol: string) =>
      `${p}:user-fills:${userTag(userId)}:${plainSymbol(symbol)}`,
    // One hash tag for both, so that an upsert's MULTI and the seed script touch one Cluster slot.
    markets: `${p}:{markets}`,
    marketsVersion: `${p}:{markets}:version`,
    marketsChanged: `${p}:markets:changed`,
    instances: `${p}:instances`,
    members: `${p}:members`,
    outcomes: (instanceId: string) => `${p}:outcomes:${plainId(instanceId)}`,
    shardLease: (shard: number) => {
      if (!Number.isSafeInteger(shard) || shard < 0) throw new KeyError(`shard must be >= 0, got ${shard}`);
      return `${p}:lease:{shard:${shard}}`;
    },
    balances: (userId: number) => `${p}:bal:${userTag(userId)}`,
    holds: (userId: number) => `${p}:holds:${userTag(userId)}`,
    cursor: (userId: number) => `${p}:cursor:${userTag(userId)}`,
    deposits: (userId: number) => `${p}:deposits:${userTag(userId)}`,
    withdrawals: (userId: number) => `${p}:withdrawals:${userTag(userId)}`,
  });
}
