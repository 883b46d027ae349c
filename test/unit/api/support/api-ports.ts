/**
 * In-memory implementations of the API's ports (src/api/ports.ts), small enough to be obviously
 * right, recording every call so that tests can assert what reached the intake, and what did not.
 * They test the HTTP layer only; the real adapters get their own tests against Redis and MySQL.
 */
import type { CompiledMarket } from '../../../../src/markets/market-rules.ts';
import type {
  ApiPorts,
  AppendOptions,
  BalanceRecord,
  BalanceService,
  CommandIntake,
  CommandOutcome,
  DepthRecord,
  Health,
  IdGenerator,
  MarketData,
  MarketDirectory,
  Metrics,
  OrderCommandIntent,
  OrderListQuery,
  OrderQueries,
  OrderRecord,
  OutcomeWaiter,
  OutcomeWatch,
  PlaceIntent,
  PlaceResult,
  PublicTradeRecord,
  UserTradeRecord,
} from '../../../../src/api/ports.ts';

export class MemoryMarkets implements MarketDirectory {
  readonly markets = new Map<string, CompiledMarket>();

  constructor(seed: Iterable<CompiledMarket>) {
    for (const market of seed) this.markets.set(market.definition.symbol, market);
  }

  async list(): Promise<readonly CompiledMarket[]> {
    return [...this.markets.values()];
  }

  async get(symbol: string): Promise<CompiledMarket | undefined> {
    return this.markets.get(symbol);
  }

  async upsert(market: CompiledMarket): Promise<{ created: boolean }> {
    const created = !this.markets.has(market.definition.symbol);
    this.markets.set(market.definition.symbol, market);
    return { created };
  }
}

export type IntakeCall =
  | { readonly method: 'place'; readonly symbol: string; readonly command: PlaceIntent }
  | { readonly method: 'submit'; readonly symbol: string; readonly command: OrderCommandIntent };

export class MemoryIntake implements CommandIntake {
  readonly calls: IntakeCall[] = [];
  /** Whether each call (same index as `calls`) asked for its outcome (AppendOptions.awaitOutcome). */
  readonly awaitedOutcomes: boolean[] = [];
  /** userId:clientOrderId → first orderId. */
  readonly clientOrderIds = new Map<string, string>();
  /** Set to simulate a failing or overloaded stream. */
  failWith: Error | undefined;
  /** Called after each append: the tests' stand-in for the matcher. */
  onAppend: ((call: IntakeCall) => void) | undefined;

  async place(symbol: string, command: PlaceIntent, options: AppendOptions = {}): Promise<PlaceResult> {
    if (this.failWith !== undefined) throw this.failWith;
    if (command.clientOrderId !== null) {
      const key = `${command.userId}:${command.clientOrderId}`;
      const first = this.clientOrderIds.get(key);
      if (first !== undefined) return { orderId: first, duplicate: true };
      this.clientOrderIds.set(key, command.orderId);
    }
    this.record({ method: 'place', symbol, command }, options);
    return { orderId: command.orderId, duplicate: false };
  }

  async submit(symbol: string, command: OrderCommandIntent, options: AppendOptions = {}): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.record({ method: 'submit', symbol, command }, options);
  }

  private record(call: IntakeCall, options: AppendOptions): void {
    this.calls.push(call);
    this.awaitedOutcomes.push(options.awaitOutcome ?? true);
    this.onAppend?.(call);
  }
}

export class MemoryOutcomes implements OutcomeWaiter {
  private readonly waiting = new Map<string, Set<(outcome: CommandOutcome | null) => void>>();
  readonly watched: Array<{ orderId: string; timeoutMs: number }> = [];

  watch(orderId: string, timeoutMs: number): OutcomeWatch {
    this.watched.push({ orderId, timeoutMs });
    let settle!: (outcome: CommandOutcome | null) => void;
    const outcome = new Promise<CommandOutcome | null>((resolve) => {
      const timer = setTimeout(() => settle(null), timeoutMs);
      settle = (value) => {
        clearTimeout(timer);
        this.waiting.get(orderId)?.delete(settle);
        resolve(value);
      };
    });
    const listeners = this.waiting.get(orderId) ?? new Set();
    listeners.add(settle);
    this.waiting.set(orderId, listeners);
    return { outcome, stop: () => settle(null) };
  }

  publish(orderId: string, outcome: CommandOutcome): void {
    for (const settle of [...(this.waiting.get(orderId) ?? [])]) settle(outcome);
  }

  /** Watches still open: a test's last check that nothing leaks. */
  get pending(): number {
    let count = 0;
    for (const listeners of this.waiting.values()) count += listeners.size;
    return count;
  }
}

export class MemoryOrders implements OrderQueries {
  readonly orders = new Map<string, OrderRecord>();
  readonly trades: Array<UserTradeRecord & { readonly userId: number }> = [];

  add(order: OrderRecord): void {
    this.orders.set(order.orderId, order);
  }

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    return this.orders.get(orderId);
  }

  async listOrders(query: OrderListQuery): Promise<readonly OrderRecord[]> {
    return [...this.orders.values()]
      .filter((o) => o.userId === query.userId && o.symbol === query.symbol)
      .filter((o) => query.statuses === undefined || query.statuses.includes(o.status))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, query.limit);
  }

  async listTrades(query: {
    userId: number;
    symbol: string;
    limit: number;
  }): Promise<readonly UserTradeRecord[]> {
    return this.trades
      .filter((t) => t.userId === query.userId && t.symbol === query.symbol)
      .slice(0, query.limit);
  }
}

export class MemoryBalances implements BalanceService {
  readonly balances = new Map<string, { available: bigint; locked: bigint }>();
  /** What each id recorded: a repeat answers with it, as the Redis scripts do. */
  readonly deposits = new Map<string, { asset: string; amount: bigint }>();
  readonly withdrawals = new Map<
    string,
    { status: 'ok' | 'insufficient_funds'; asset: string; amount: bigint }
  >();
  readonly calls: string[] = [];

  private entry(userId: number, asset: string) {
    const key = `${userId}:${asset}`;
    let entry = this.balances.get(key);
    if (entry === undefined) this.balances.set(key, (entry = { available: 0n, locked: 0n }));
    return entry;
  }

  async deposit(r: { userId: number; asset: string; amount: bigint; depositId: string }) {
    this.calls.push(`deposit ${r.userId} ${r.asset} ${r.amount} ${r.depositId}`);
    const key = `${r.userId}:${r.depositId}`;
    const seen = this.deposits.get(key);
    if (seen !== undefined) return { duplicate: true, ...seen };
    this.deposits.set(key, { asset: r.asset, amount: r.amount });
    this.entry(r.userId, r.asset).available += r.amount;
    return { duplicate: false, asset: r.asset, amount: r.amount };
  }

  async withdraw(r: { userId: number; asset: string; amount: bigint; withdrawalId: string }) {
    this.calls.push(`withdraw ${r.userId} ${r.asset} ${r.amount} ${r.withdrawalId}`);
    const key = `${r.userId}:${r.withdrawalId}`;
    const seen = this.withdrawals.get(key);
    if (seen !== undefined) return { duplicate: true, ...seen };
    const entry = this.entry(r.userId, r.asset);
    const status: 'ok' | 'insufficient_funds' = entry.available >= r.amount ? 'ok' : 'insufficient_funds';
    if (status === 'ok') entry.available -= r.amount;
    this.withdrawals.set(key, { status, asset: r.asset, amount: r.amount });
    return { status, duplicate: false, asset: r.asset, amount: r.amount };
  }

  async list(userId: number): Promise<readonly BalanceRecord[]> {
    return [...this.balances.entries()]
      .filter(([key]) => key.startsWith(`${userId}:`))
      .map(([key, value]) => ({ asset: key.split(':')[1]!, ...value }))
      .sort((a, b) => (a.asset < b.asset ? -1 : 1));
  }
}

export class MemoryMarketData implements MarketData {
  readonly depths = new Map<string, DepthRecord>();
  readonly trades = new Map<string, PublicTradeRecord[]>();
  readonly calls: Array<{ symbol: string; limit: number }> = [];

  async depth(symbol: string, limit: number): Promise<DepthRecord> {
    this.calls.push({ symbol, limit });
    const depth = this.depths.get(symbol) ?? { sequence: 0, bids: [], asks: [] };
    return { sequence: depth.sequence, bids: depth.bids.slice(0, limit), asks: depth.asks.slice(0, limit) };
  }

  async recentTrades(symbol: string, limit: number): Promise<readonly PublicTradeRecord[]> {
    this.calls.push({ symbol, limit });
    return (this.trades.get(symbol) ?? []).slice(0, limit);
  }
}

export class SequentialIds implements IdGenerator {
  private n = 0;
  next(): string {
    this.n += 1;
    return `id-${this.n}`;
  }
  /** The id the next call will return. */
  peek(): string {
    return `id-${this.n + 1}`;
  }
}

export class StaticHealth implements Health {
  checks: Record<string, boolean> = { redis: true, mysql: true };
  async readiness() {
    return { ready: Object.values(this.checks).every(Boolean), checks: this.checks };
  }
}

export class RecordingMetrics implements Metrics {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  readonly samples: Array<{ method: string; route: string; statusCode: number; seconds: number }> = [];
  async text(): Promise<string> {
    return '# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total 1\n';
  }
  observeRequest(sample: { method: string; route: string; statusCode: number; seconds: number }): void {
    this.samples.push(sample);
  }
}

export interface MemoryPorts extends ApiPorts {
  readonly markets: MemoryMarkets;
  readonly intake: MemoryIntake;
  readonly outcomes: MemoryOutcomes;
  readonly balances: MemoryBalances;
  readonly orders: MemoryOrders;
  readonly marketData: MemoryMarketData;
  readonly ids: SequentialIds;
  readonly health: StaticHealth;
  readonly metrics: RecordingMetrics;
}

export function memoryPorts(markets: Iterable<CompiledMarket>): MemoryPorts {
  return {
    markets: new MemoryMarkets(markets),
    intake: new MemoryIntake(),
    outcomes: new MemoryOutcomes(),
    balances: new MemoryBalances(),
    orders: new MemoryOrders(),
    marketData: new MemoryMarketData(),
    ids: new SequentialIds(),
    health: new StaticHealth(),
    metrics: new RecordingMetrics(),
  };
}
