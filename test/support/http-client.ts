/**
 * A tiny typed client of the HTTP API (DESIGN.md §4) over Node's global fetch, for end-to-end
 * tests: every call answers `{status, body, headers}` and never throws on an HTTP error, so a test
 * asserts the status and the error code itself. `withToken` gives a client that sends a bearer
 * token; `raw` sends a body exactly as given (bad JSON, oversized, another content type).
 */

export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export interface Market {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly basePrecision: number;
  readonly quotePrecision: number;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minNotional: string;
  readonly makerFee: string;
  readonly takerFee: string;
  readonly status: 'trading' | 'halted';
}

export interface Fill {
  readonly tradeId: string;
  readonly price: string;
  readonly quantity: string;
  readonly fee: string;
  readonly feeAsset: string;
  readonly liquidity: 'maker' | 'taker';
}

export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'canceled' | 'expired' | 'rejected';
export const FINAL_STATUSES: readonly OrderStatus[] = ['filled', 'canceled', 'expired', 'rejected'];

export interface Order {
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'limit' | 'market';
  readonly price: string | null;
  readonly quantity: string | null;
  readonly quoteQuantity: string | null;
  readonly timeInForce: 'GTC' | 'IOC' | 'FOK';
  readonly postOnly: boolean;
  readonly status: OrderStatus;
  readonly filledQuantity: string;
  readonly filledQuoteQuantity: string;
  readonly rejectReason: string | null;
  readonly fills: readonly Fill[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CommandAck {
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly status: 'accepted';
}

/** 200 with the order (after `?wait=true`) or 202 with the ack: the fields of both, `status` of either. */
export type CommandAnswer = Omit<Order, 'status'> & { readonly status: OrderStatus | 'accepted' };

export interface PlaceOrder {
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'limit' | 'market';
  readonly price?: string;
  readonly quantity?: string;
  readonly quoteQuantity?: string;
  readonly timeInForce?: 'GTC' | 'IOC' | 'FOK';
  readonly postOnly?: boolean;
  readonly selfTradePrevention?: 'expire_taker' | 'expire_maker' | 'expire_both' | 'none';
  readonly clientOrderId?: string;
}

export interface Balance {
  readonly asset: string;
  readonly available: string;
  readonly locked: string;
}

export interface Depth {
  readonly symbol: string;
  readonly sequence: number;
  readonly bids: ReadonlyArray<readonly [string, string]>;
  readonly asks: ReadonlyArray<readonly [string, string]>;
}

export interface PublicTrade {
  readonly tradeId: string;
  readonly price: string;
  readonly quantity: string;
  readonly takerSide: 'buy' | 'sell';
  readonly time: string;
}

export interface UserTrade extends Fill {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly quoteQuantity: string;
  readonly time: string;
}

export interface BalanceOperation {
  readonly userId: number;
  readonly asset: string;
  readonly amount: string;
  readonly duplicate: boolean;
  readonly depositId?: string;
  readonly withdrawalId?: string;
}

export interface HttpResponse<T> {
  readonly status: number;
  /** The parsed JSON body (or the text when it is not JSON). */
  readonly body: T;
  readonly headers: Headers;
  readonly text: string;
}

export interface RequestOptions {
  /** A JSON body, serialized. */
  readonly body?: unknown;
  /** A body sent as is (with Content-Type application/json unless `headers` says otherwise). */
  readonly raw?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | null = null,
  ) {}

  /** The same server with a bearer token (or none). */
  withToken(token: string | null): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, options.headers);
    const response = await fetch(this.baseUrl + path, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (metrics): the text is the body.
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  }

  get<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, body });
  }
  put<T = unknown>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, { ...options, body });
  }
  patch<T = unknown>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  delete<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  // The routes of DESIGN.md §4, typed.

  markets() {
    return this.get<Market[]>('/v1/markets');
  }
  putMarket(symbol: string, market: Omit<Market, 'symbol'> & { symbol?: string }) {
    return this.put<Market>(`/v1/admin/markets/${symbol}`, market);
  }
  deposit(body: { userId: number; asset: string; amount: string; depositId?: string }) {
    return this.post<BalanceOperation>('/v1/admin/deposits', body);
  }
  withdraw(body: { userId: number; asset: string; amount: string; withdrawalId?: string }) {
    return this.post<BalanceOperation>('/v1/admin/withdrawals', body);
  }
  balances() {
    return this.get<Balance[]>('/v1/balances');
  }
  place(order: PlaceOrder, { wait = true }: { wait?: boolean } = {}) {
    return this.post<CommandAnswer>(`/v1/orders${wait ? '?wait=true' : ''}`, order);
  }
  cancel(orderId: string, symbol: string, { wait = true }: { wait?: boolean } = {}) {
    return this.delete<CommandAnswer>(`/v1/orders/${orderId}?symbol=${symbol}${wait ? '&wait=true' : ''}`);
  }
  cancelAll(symbol: string) {
    return this.delete<{ symbol: string; status: 'accepted' }>(`/v1/orders?symbol=${symbol}`);
  }
  amend(
    orderId: string,
    symbol: string,
    body: { price?: string; quantity?: string },
    { wait = true }: { wait?: boolean } = {},
  ) {
    return this.patch<CommandAnswer>(
      `/v1/orders/${orderId}?symbol=${symbol}${wait ? '&wait=true' : ''}`,
      body,
    );
  }
  order(orderId: string) {
    return this.get<Order>(`/v1/orders/${orderId}`);
  }
  orders(symbol: string, query = '') {
    return this.get<Order[]>(`/v1/orders?symbol=${symbol}${query}`);
  }
  trades(symbol: string, query = '') {
    return this.get<UserTrade[]>(`/v1/trades?symbol=${symbol}${query}`);
  }
  depth(symbol: string, query = '') {
    return this.get<Depth>(`/v1/markets/${symbol}/depth${query}`);
  }
  publicTrades(symbol: string, query = '') {
    return this.get<PublicTrade[]>(`/v1/markets/${symbol}/trades${query}`);
  }
}

/** The error code of an error answer (undefined for a success). */
export function codeOf(response: HttpResponse<unknown>): string | undefined {
  const body = response.body as Partial<ApiErrorBody> | undefined;
  return body?.error?.code;
}

/** Balances as `{ASSET: [available, locked]}` for compact exact assertions. */
export function balanceMap(balances: readonly Balance[]): Record<string, [string, string]> {
  return Object.fromEntries(balances.map((b) => [b.asset, [b.available, b.locked]]));
}
