/**
 * What the read-model tests share: a real OrderBook fed batch by batch, its events projected by an
 * OrderProjection whose previous records come from an in-memory read model (or from Redis in the
 * integration tests), and terse builders for the expected records.
 */
import { OrderBook } from '../../../src/engine/order-book.ts';
import type { Command, EngineEvent, MarketRules, PlaceCommand } from '../../../src/engine/types.ts';
import type { FillRecord, OrderRecord } from '../../../src/api/ports.ts';
import {
  OrderProjection,
  type FinishOptions,
  type LoadOrders,
  type PlaceInfo,
  type ProjectedBatch,
  type ProjectionMarket,
  type StepOptions,
} from '../../../src/read-model/order-projection.ts';
import { BTC_USDT } from '../../support/engine-fixtures.ts';

export const MARKET: ProjectionMarket = { definition: { symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT' } };
export const T0 = 1_700_000_000_000;

/** A place whose funds the matcher could not hold: it never reaches the book. */
export interface NoFunds {
  readonly noFunds: PlaceInfo;
}

/** A cancel or amend the matcher refused before the book. */
export interface Refused {
  readonly refuse: { readonly orderId: string; readonly reason: string };
}

export type BatchItem = Command | PlaceInfo | NoFunds | Refused;

export function withCoid(command: PlaceCommand, clientOrderId: string | null): PlaceInfo {
  return { ...command, clientOrderId };
}

export function noFunds(command: PlaceCommand, clientOrderId: string | null = null): NoFunds {
  return { noFunds: withCoid(command, clientOrderId) };
}

export class ProjectionHarness {
  book: OrderBook;
  /** The read model as the writer would leave it: every record of every batch so far. */
  readonly store = new Map<string, OrderRecord>();
  /** The ids of every load call, in order. */
  readonly loads: string[][] = [];
  /** Every event of every batch, in order. */
  readonly events: EngineEvent[] = [];
  readonly projection: OrderProjection;
  private clock = T0;

  constructor(rules: MarketRules = BTC_USDT, load?: LoadOrders, market: ProjectionMarket = MARKET) {
    this.book = new OrderBook(rules);
    this.projection = new OrderProjection(market, async (ids) => {
      this.loads.push([...ids]);
      return load !== undefined ? load(ids) : ids.map((id) => this.store.get(id));
    });
  }

  /** The timestamp the next command will get (one millisecond per command). */
  get now(): number {
    return this.clock;
  }

  set now(value: number) {
    this.clock = value;
  }

  /**
   * Applies the items as one batch, projects it, and keeps its records in `store`. `answer` applies
   * to every item (StepOptions).
   */
  async batch(
    items: readonly BatchItem[],
    { answer, ...options }: FinishOptions & StepOptions = {},
  ): Promise<ProjectedBatch> {
    const step: StepOptions = answer === undefined ? {} : { answer };
    for (const item of items) {
      const timestamp = this.clock++;
      if ('noFunds' in item) {
        this.projection.rejectForFunds({ ...item.noFunds, timestamp }, 'INSUFFICIENT_FUNDS', step);
      } else if ('refuse' in item) {
        this.projection.refuse(item.refuse.orderId, item.refuse.reason, step);
      } else {
        const stamped = { ...item, timestamp };
        const events: EngineEvent[] = [];
        const { clientOrderId: _ignored, ...command } = stamped as PlaceInfo;
        this.book.apply(command as Command, events);
        this.events.push(...events);
        this.projection.applied(stamped, events, step);
      }
    }
    const batch = await this.projection.finish(options);
    for (const { record } of batch.orders) this.store.set(record.orderId, record);
    return batch;
  }
}

/** A fill as the projection records it on BTC-USDT. */
export function fill(
  seq: number,
  price: number,
  quantity: number,
  fee: number,
  side: 'buy' | 'sell',
  liquidity: 'maker' | 'taker',
): FillRecord {
  return {
    tradeId: `BTC-USDT:${seq}`,
    price,
    quantity,
    fee,
    feeAsset: side === 'buy' ? 'BTC' : 'USDT',
    liquidity,
  };
}

/** A limit GTC order record with defaults; override what differs. */
export function limitRecord(
  orderId: string,
  userId: number,
  side: 'buy' | 'sell',
  price: number,
  quantity: number,
  extra: Partial<OrderRecord> = {},
): OrderRecord {
  return {
    orderId,
    clientOrderId: null,
    userId,
    symbol: 'BTC-USDT',
    side,
    type: 'limit',
    price,
    quantity,
    quoteQuantity: null,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
    status: 'new',
    filledQuantity: 0,
    filledQuote: 0,
    rejectReason: null,
    fills: [],
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}
