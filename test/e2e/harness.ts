/**
 * What the end-to-end test files share on top of test/support/system.ts: funded traders with fresh
 * user ids, a ledger of every deposit and withdrawal (for conservation), polling helpers for the
 * eventually consistent reads (order read model, depth), and a way to leave the books empty
 * between tests so that one test's resting orders never trade with the next one's.
 */
import { expect } from 'chai';
import { fund, Ledger } from '../support/conservation.ts';
import {
  FINAL_STATUSES,
  type ApiClient,
  type Depth,
  type Order,
  type OrderStatus,
} from '../support/http-client.ts';
import { pollUntil, startSystem, type SystemOptions, type TestSystem } from '../support/system.ts';

export interface Trader {
  readonly id: number;
  readonly client: ApiClient;
}

export class Harness {
  readonly ledger = new Ledger();
  private nextUserId = 1;
  /** Traders created since the last `clearBooks`, whose orders it cancels. */
  private recent: Trader[] = [];

  private constructor(
    readonly system: TestSystem,
    readonly admin: ApiClient,
  ) {}

  static async start(options?: SystemOptions): Promise<Harness> {
    const system = await startSystem(options);
    return new Harness(system, await system.asAdmin());
  }

  /** A new user, funded through the admin route with `funds` (asset → decimal amount). */
  async trader(funds: Readonly<Record<string, string>> = {}): Promise<Trader> {
    const id = this.nextUserId++;
    for (const [asset, amount] of Object.entries(funds))
      await fund(this.admin, this.ledger, id, asset, amount);
    const trader = { id, client: await this.system.asUser(id) };
    this.recent.push(trader);
    return trader;
  }

  /** Cancels every open order of the traders made since the last call, and waits until none is open. */
  async clearBooks(only?: readonly string[]): Promise<void> {
    const symbols = only ?? (await this.system.http.markets()).body.map((m) => m.symbol);
    const traders = this.recent;
    this.recent = [];
    for (const { client } of traders) {
      for (const symbol of symbols) {
        const res = await client.cancelAll(symbol);
        expect(res.status, res.text).to.equal(202);
      }
    }
    for (const { client } of traders) {
      for (const symbol of symbols) {
        await pollUntil(`no open orders on ${symbol}`, async () => {
          const res = await client.orders(symbol, '&status=open');
          return res.status === 200 && res.body.length === 0 ? true : undefined;
        });
      }
    }
  }

  async stop(): Promise<void> {
    await this.system.stop();
  }
}

/** Polls GET /v1/orders/:id until the order is in one of `statuses` (any final status by default). */
export async function waitForOrder(
  client: ApiClient,
  orderId: string,
  statuses: readonly OrderStatus[] = FINAL_STATUSES,
): Promise<Order> {
  return pollUntil(`order ${orderId} to be ${statuses.join('|')}`, async () => {
    const res = await client.order(orderId);
    return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
  });
}

/** Polls the public depth until its levels are exactly `bids` and `asks`. */
export async function waitForDepth(
  client: ApiClient,
  symbol: string,
  expected: Pick<Depth, 'bids' | 'asks'>,
): Promise<Depth> {
  let last: Depth | undefined;
  try {
    return await pollUntil(`depth of ${symbol}`, async () => {
      const res = await client.depth(symbol);
      last = res.body;
      const same =
        JSON.stringify([res.body.bids, res.body.asks]) === JSON.stringify([expected.bids, expected.asks]);
      return res.status === 200 && same ? res.body : undefined;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; last depth ${JSON.stringify(last)}`, { cause: error });
  }
}

/** A place that must be answered with the engine's outcome (200), returning the order. */
export async function placed(client: ApiClient, order: Parameters<ApiClient['place']>[0]): Promise<Order> {
  const res = await client.place(order);
  expect(res.status, res.text).to.equal(200);
  return res.body as Order;
}
