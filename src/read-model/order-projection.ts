/**
 * Engine events into the read model (docs/pipeline.md, "Read model of orders and fills"): the
 * orders a batch changed, the users' fills, the public trades and the outcome of every command.
 * Pure: no I/O except the `load` callback the owner gives it, called at most once per batch.
 *
 * The matcher feeds a batch command by command, in stream order, then calls `finish()`:
 *
 *   const projection = new OrderProjection(market, (ids) => queries.getOrders(ids));
 *   for (const entry of entries) {
 *     if (holdRefused) { projection.rejectForFunds({ ...entry.command, clientOrderId }, 'INSUFFICIENT_FUNDS'); continue; }
 *     const events: EngineEvent[] = [];
 *     book.apply(engineCommand, events);
 *     projection.applied({ ...entry.command, clientOrderId: entry.clientOrderId }, events);
 *   }
 *   const batch = await projection.finish(); // outcomes[i] answers the i-th call above
 *
 * `finish()` loads, in one call of `load`, the previous record of every order the batch's events
 * touch without having accepted it (resting orders from earlier batches: makers, canceled and amended
 * orders), then replays the steps in order. The owner must have written the previous batch before it
 * finishes the next one (one connection, one pipeline per batch, awaited, is enough).
 *
 * Trade ids are `${symbol}:${seq}`: the trade event's seq is the trade id within the symbol
 * (docs/engine.md), the prefix makes it unique across symbols (`tradeIdOf`, `parseTradeId`).
 *
 * Idempotency: a trade whose id a loaded record already lists (a replay after a failover re-applies
 * a batch the previous owner had written) adds no fill, no user trade and no public trade. A replay
 * also re-accepts orders, which are not loaded by default; `finish({ replay: true })` loads them too,
 * so that their already written trades are recognized as well. (Without it, a trade is still
 * recognized through its maker whenever the maker rested before the batch.)
 */
import type {
  CommandOutcome,
  FillRecord,
  OrderRecord,
  OrderStatus,
  PublicTradeRecord,
  UserTradeRecord,
} from '../api/ports.ts';
import type {
  AcceptedEvent,
  Command,
  EngineEvent,
  OrderType,
  PlaceCommand,
  SelfTradePrevention,
  Side,
  TimeInForce,
  TradeEvent,
} from '../engine/types.ts';
import type { MarketDefinition } from '../markets/market-rules.ts';

/** A place command as the stream carried it (before any budget the matcher gave it), with its idempotency key. */
export interface PlaceInfo extends PlaceCommand {
  readonly clientOrderId: string | null;
}

/** The previous records of orders, aligned with `orderIds` (undefined: no record). One MGET. */
export type LoadOrders = (orderIds: readonly string[]) => Promise<ReadonlyArray<OrderRecord | undefined>>;

/** What the projection needs of the market: a CompiledMarket fits. */
export interface ProjectionMarket {
  readonly definition: Pick<MarketDefinition, 'symbol' | 'base' | 'quote'>;
}

/** One order the batch changed, as it stands after the batch. */
export interface ProjectedOrder {
  readonly record: OrderRecord;
  /** No record of the order existed before the batch: it joins the user's order set. */
  readonly created: boolean;
  /** The order was open before the batch or rested during it: a final one leaves the user's open set. */
  readonly wasOpen: boolean;
}

export interface ProjectedUserTrade {
  readonly userId: number;
  readonly trade: UserTradeRecord;
}

/** The pub/sub message of docs/pipeline.md, "Outcomes". */
export interface OutcomeMessage {
  readonly orderId: string;
  readonly outcome: CommandOutcome;
}

export interface ProjectedBatch {
  readonly symbol: string;
  /** Every order the batch changed, in the order it was first touched. */
  readonly orders: readonly ProjectedOrder[];
  /** Each side of each new trade, oldest first (taker then maker). */
  readonly userTrades: readonly ProjectedUserTrade[];
  /** New public trades, oldest first. */
  readonly publicTrades: readonly PublicTradeRecord[];
  /**
   * One entry per call of `applied`, `rejectForFunds` and `refuse`, in call order: the message for
   * the API instance that took the command, or null (cancelAll, setFees: no order to answer with).
   */
  readonly outcomes: ReadonlyArray<OutcomeMessage | null>;
  /** The book changed (trade, rest, cancel, amend, maker removed): the depth snapshot is stale. */
  readonly depthChanged: boolean;
  /** Orders the events touched that had no previous record: rebuilt from the events alone (logged by the owner). */
  readonly missing: readonly string[];
}

/** How one command's step is answered. */
export interface StepOptions {
  /**
   * Someone waits for the command's outcome (its stream entry named a replyTo). Default true. A step
   * nobody waits for still projects its orders and trades but builds no outcome: its entry in
   * `outcomes` is null, and the copy of the order's record an outcome carries is never made.
   */
  readonly answer?: boolean;
}

export interface FinishOptions {
  /** Also load the orders the batch accepts, to recognize trades a previous owner already wrote. */
  readonly replay?: boolean;
}

/** The id of the trade with engine sequence `seq` on `symbol`. */
export function tradeIdOf(symbol: string, seq: number): string {
  return `${symbol}:${seq}`;
}

/** The inverse of tradeIdOf, or undefined for anything else. */
export function parseTradeId(tradeId: string): { symbol: string; seq: number } | undefined {
  const colon = tradeId.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const seq = Number(tradeId.slice(colon + 1));
  if (!Number.isSafeInteger(seq) || seq <= 0 || String(seq) !== tradeId.slice(colon + 1)) return undefined;
  return { symbol: tradeId.slice(0, colon), seq };
}

export function isOpenStatus(status: OrderStatus): boolean {
  return status === 'new' || status === 'partially_filled';
}

/** Engine rejections that must not touch the named order's record: it is someone else's, or another order. */
const FOREIGN_ORDER_REJECTIONS: ReadonlySet<string> = new Set(['DUPLICATE_ORDER_ID']);

type Step =
  | {
      readonly kind: 'applied';
      readonly command: Command;
      readonly place: PlaceInfo | undefined;
      readonly events: readonly EngineEvent[];
      readonly answer: boolean;
    }
  | {
      readonly kind: 'fundsRejected';
      readonly place: PlaceInfo;
      readonly reason: string;
      readonly answer: boolean;
    }
  | { readonly kind: 'refused'; readonly orderId: string; readonly reason: string; readonly answer: boolean };

/** A record being built: OrderRecord's fields, mutable, plus what the writer and the projection need. */
interface Draft {
  orderId: string;
  clientOrderId: string | null;
  userId: number;
  symbol: string;
  side: Side;
  type: OrderType;
  price: number | null;
  quantity: number | null;
  quoteQuantity: number | null;
  timeInForce: TimeInForce;
  postOnly: boolean;
  selfTradePrevention: SelfTradePrevention;
  status: OrderStatus;
  filledQuantity: number;
  filledQuote: number;
  rejectReason: string | null;
  fills: FillRecord[];
  createdAt: number;
  updatedAt: number;
  // Not part of the record:
  created: boolean;
  wasOpen: boolean;
  /** Continues the previous record: its fills are in `fills` already. */
  fromPrevious: boolean;
  /** Rebuilt from events alone: some fields are guesses until an event states them. */
  recovered: boolean;
  /** Remaining lots as the last canceled/expired event stated them (a recovered order's quantity). */
  remaining: number | undefined;
  /** Trade ids of the fills the record had when loaded, built on first use. */
  knownTrades: Set<string> | undefined;
  loadedFills: readonly FillRecord[] | undefined;
}

function toRecord(d: Draft, copyFills: boolean): OrderRecord {
  return {
    orderId: d.orderId,
    clientOrderId: d.clientOrderId,
    userId: d.userId,
    symbol: d.symbol,
    side: d.side,
    type: d.type,
    price: d.price,
    quantity: d.quantity,
    quoteQuantity: d.quoteQuantity,
    timeInForce: d.timeInForce,
    postOnly: d.postOnly,
    selfTradePrevention: d.selfTradePrevention,
    status: d.status,
    filledQuantity: d.filledQuantity,
    filledQuote: d.filledQuote,
    rejectReason: d.rejectReason,
    fills: copyFills ? d.fills.slice() : d.fills,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function hasKnownTrade(d: Draft | undefined, tradeId: string): boolean {
  if (d?.loadedFills === undefined || d.loadedFills.length === 0) return false;
  d.knownTrades ??= new Set(d.loadedFills.map((fill) => fill.tradeId));
  return d.knownTrades.has(tradeId);
}

/** The id of the order a command is about, the one its outcome describes. */
function subjectOf(command: Command): string | undefined {
  switch (command.type) {
    case 'place':
    case 'cancel':
    case 'amend':
      return command.orderId;
    default:
      return undefined;
  }
}

export class OrderProjection {
  private steps: Step[] = [];
  private readonly symbol: string;
  private readonly base: string;
  private readonly quote: string;

  constructor(
    market: ProjectionMarket,
    private readonly load: LoadOrders,
  ) {
    this.symbol = market.definition.symbol;
    this.base = market.definition.base;
    this.quote = market.definition.quote;
  }

  /** Steps recorded since the last finish(). */
  get pending(): number {
    return this.steps.length;
  }

  /**
   * One command the engine applied, with exactly the events it emitted. A place should be a
   * PlaceInfo (the stream's command plus clientOrderId); a plain PlaceCommand gets clientOrderId null.
   * Returns the index of its outcome in the batch.
   */
  applied(command: Command | PlaceInfo, events: readonly EngineEvent[], options: StepOptions = {}): number {
    const place =
      command.type === 'place'
        ? 'clientOrderId' in command
          ? command
          : { ...command, clientOrderId: null }
        : undefined;
    this.steps.push({ kind: 'applied', command, place, events, answer: options.answer ?? true });
    return this.steps.length - 1;
  }

  /** A place whose funds could not be held: it never reached the engine; the order is `rejected`. */
  rejectForFunds(place: PlaceInfo, reason = 'INSUFFICIENT_FUNDS', options: StepOptions = {}): number {
    this.steps.push({ kind: 'fundsRejected', place, reason, answer: options.answer ?? true });
    return this.steps.length - 1;
  }

  /** A cancel or amend the owner refused before the engine (an amend's extra hold failed): nothing changes. */
  refuse(orderId: string, reason: string, options: StepOptions = {}): number {
    this.steps.push({ kind: 'refused', orderId, reason, answer: options.answer ?? true });
    return this.steps.length - 1;
  }

  /** Projects the recorded steps and starts a new batch. */
  async finish(options: FinishOptions = {}): Promise<ProjectedBatch> {
    const steps = this.steps;
    this.steps = [];
    const needed = this.ordersToLoad(steps, options.replay === true);
    const previous = new Map<string, OrderRecord>();
    if (needed.length > 0) {
      const records = await this.load(needed);
      needed.forEach((orderId, i) => {
        const record = records[i];
        if (record !== undefined && record !== null) previous.set(orderId, record);
      });
    }
    return new BatchRun(this.symbol, this.base, this.quote, previous).run(steps);
  }

  /** Orders whose first mention in the batch is not their `accepted` event (or every order, for a replay). */
  private ordersToLoad(steps: readonly Step[], replay: boolean): string[] {
    const seen = new Set<string>();
    const needed: string[] = [];
    const see = (orderId: string, accepted: boolean) => {
      if (seen.has(orderId)) return;
      seen.add(orderId);
      if (!accepted || replay) needed.push(orderId);
    };
    for (const step of steps) {
      if (step.kind !== 'applied') {
        if (step.kind === 'fundsRejected' && replay) see(step.place.orderId, true);
        continue;
      }
      for (const event of step.events) {
        switch (event.type) {
          case 'accepted':
            see(event.orderId, true);
            break;
          case 'trade':
            see(event.takerOrderId, false);
            see(event.makerOrderId, false);
            break;
          case 'rested':
          case 'amended':
          case 'canceled':
          case 'expired':
          case 'done':
            see(event.orderId, false);
            break;
          case 'rejected':
            if (replay && event.command === 'place' && step.place !== undefined) see(event.orderId, true);
            break;
          case 'feesChanged':
            break;
        }
      }
    }
    return needed;
  }
}

/** One batch's replay of its steps over the drafts. */
class BatchRun {
  private readonly drafts = new Map<string, Draft>();
  private readonly userTrades: ProjectedUserTrade[] = [];
  private readonly publicTrades: PublicTradeRecord[] = [];
  private readonly outcomes: Array<OutcomeMessage | null> = [];
  private readonly missing: string[] = [];
  private depthChanged = false;

  constructor(
    private readonly symbol: string,
    private readonly base: string,
    private readonly quote: string,
    private readonly previous: ReadonlyMap<string, OrderRecord>,
  ) {}

  run(steps: readonly Step[]): ProjectedBatch {
    for (const step of steps) this.outcomes.push(this.step(step));
    const orders: ProjectedOrder[] = [];
    for (const d of this.drafts.values()) {
      orders.push({ record: toRecord(d, false), created: d.created, wasOpen: d.wasOpen });
    }
    return {
      symbol: this.symbol,
      orders,
      userTrades: this.userTrades,
      publicTrades: this.publicTrades,
      outcomes: this.outcomes,
      depthChanged: this.depthChanged,
      missing: this.missing,
    };
  }

  private step(step: Step): OutcomeMessage | null {
    switch (step.kind) {
      case 'refused':
        if (!step.answer) return null;
        return { orderId: step.orderId, outcome: { kind: 'rejected', reason: step.reason } };
      case 'fundsRejected': {
        const d = this.rejectedDraft(step.place, step.reason, step.place.timestamp);
        return step.answer ? this.orderOutcome(d) : null;
      }
      case 'applied':
        return this.appliedStep(step.command, step.place, step.events, step.answer);
    }
  }

  private appliedStep(
    command: Command,
    place: PlaceInfo | undefined,
    events: readonly EngineEvent[],
    answer: boolean,
  ): OutcomeMessage | null {
    const subject = subjectOf(command);
    let refusal: string | undefined;
    let subjectDraft: Draft | undefined;
    for (const event of events) {
      switch (event.type) {
        case 'accepted': {
          const d = this.acceptedDraft(event, place?.orderId === event.orderId ? place : undefined);
          if (event.orderId === subject) subjectDraft = d;
          break;
        }
        case 'trade':
          this.trade(event);
          this.depthChanged = true;
          break;
        case 'rested': {
          const d = this.draft(event.orderId, event.userId, event.timestamp, event.side);
          d.status = event.filledQuantity > 0 ? 'partially_filled' : 'new';
          d.filledQuantity = event.filledQuantity;
          d.price = event.price;
          d.quantity = event.remainingQuantity + event.filledQuantity;
          d.wasOpen = true;
          d.updatedAt = event.timestamp;
          this.depthChanged = true;
          break;
        }
        case 'amended': {
          const d = this.draft(event.orderId, event.userId, event.timestamp, event.side);
          d.price = event.price;
          d.quantity = event.quantity;
          d.updatedAt = event.timestamp;
          this.depthChanged = true;
          break;
        }
        case 'canceled': {
          const d = this.draft(event.orderId, event.userId, event.timestamp);
          d.remaining = event.remainingQuantity;
          d.updatedAt = event.timestamp;
          this.depthChanged = true;
          break;
        }
        case 'expired': {
          const d = this.draft(event.orderId, event.userId, event.timestamp);
          d.remaining = event.remainingQuantity;
          d.rejectReason = event.reason;
          d.updatedAt = event.timestamp;
          // A taker's own expiry leaves the book as it was; a maker's (or an amended order's) removes it.
          if (event.orderId !== subject || command.type === 'amend') this.depthChanged = true;
          break;
        }
        case 'done': {
          const d = this.draft(event.orderId, event.userId, event.timestamp, event.side);
          d.status = event.status;
          d.filledQuantity = event.filledQuantity;
          d.filledQuote = event.filledQuote;
          if (d.recovered && d.quantity === null && d.type === 'limit') {
            d.quantity = event.filledQuantity + (d.remaining ?? 0);
          }
          d.updatedAt = event.timestamp;
          break;
        }
        case 'rejected':
          if (
            event.command === 'place' &&
            place !== undefined &&
            !FOREIGN_ORDER_REJECTIONS.has(event.reason)
          ) {
            subjectDraft = this.rejectedDraft(place, event.reason, event.timestamp);
          } else {
            refusal = event.reason;
          }
          break;
        case 'feesChanged':
          break;
      }
    }
    if (subject === undefined || !answer) return null;
    if (refusal !== undefined) return { orderId: subject, outcome: { kind: 'rejected', reason: refusal } };
    subjectDraft ??= this.drafts.get(subject);
    // Every applied place, cancel or amend emits events about its order or a rejection; an empty
    // event list (a caller's mistake) has nothing to answer with.
    return subjectDraft === undefined ? null : this.orderOutcome(subjectDraft);
  }

  private orderOutcome(d: Draft): OutcomeMessage {
    return { orderId: d.orderId, outcome: { kind: 'order', order: toRecord(d, true) } };
  }

  private trade(event: TradeEvent): void {
    const tradeId = tradeIdOf(this.symbol, event.seq);
    const makerSide: Side = event.takerSide === 'buy' ? 'sell' : 'buy';
    const taker = this.draft(event.takerOrderId, event.takerUserId, event.timestamp, event.takerSide);
    const maker = this.draft(event.makerOrderId, event.makerUserId, event.timestamp, makerSide, event.price);
    const known = hasKnownTrade(taker, tradeId) || hasKnownTrade(maker, tradeId);
    const sides = [
      { d: taker, side: event.takerSide, fee: event.takerFee, liquidity: 'taker' as const },
      { d: maker, side: makerSide, fee: event.makerFee, liquidity: 'maker' as const },
    ];
    for (const { d, side, fee, liquidity } of sides) {
      d.updatedAt = event.timestamp;
      // A continued record that lists the trade counts it already (a replay); a rebuilt one does not.
      if (d.fromPrevious && hasKnownTrade(d, tradeId)) continue;
      const fill: FillRecord = {
        tradeId,
        price: event.price,
        quantity: event.quantity,
        fee,
        feeAsset: side === 'buy' ? this.base : this.quote,
        liquidity,
      };
      d.fills.push(fill);
      d.filledQuantity += event.quantity;
      d.filledQuote += event.quoteQuantity;
      d.status = 'partially_filled';
      if (!known) {
        this.userTrades.push({
          userId: d.userId,
          trade: {
            ...fill,
            orderId: d.orderId,
            symbol: this.symbol,
            side,
            quoteQuantity: event.quoteQuantity,
            time: event.timestamp,
          },
        });
      }
    }
    if (!known) {
      this.publicTrades.push({
        tradeId,
        price: event.price,
        quantity: event.quantity,
        takerSide: event.takerSide,
        time: event.timestamp,
      });
    }
  }

  /** A new order: its fields from the place command, falling back to the accepted event. */
  private acceptedDraft(event: AcceptedEvent, place: PlaceInfo | undefined): Draft {
    const quantity = place?.quantity ?? event.quantity;
    const quoteLimit = place?.quoteLimit ?? event.quoteLimit;
    const marketBuyByQuote = event.orderType === 'market' && event.side === 'buy' && quantity === 0;
    const d = this.fresh(event.orderId, event.userId, event.timestamp, {
      clientOrderId: place?.clientOrderId ?? null,
      side: event.side,
      type: event.orderType,
      price: event.orderType === 'limit' ? event.price : null,
      quantity: quantity > 0 ? quantity : null,
      quoteQuantity: marketBuyByQuote ? quoteLimit : null,
      timeInForce: event.timeInForce,
      postOnly: place?.postOnly ?? false,
      selfTradePrevention: place?.selfTradePrevention ?? 'expire_taker',
      status: 'new',
    });
    return d;
  }

  /** A place that never entered the book. */
  private rejectedDraft(place: PlaceInfo, reason: string, timestamp: number): Draft {
    const marketBuyByQuote = place.orderType === 'market' && place.side === 'buy' && place.quantity === 0;
    const d = this.fresh(place.orderId, place.userId, timestamp, {
      clientOrderId: place.clientOrderId,
      side: place.side,
      type: place.orderType,
      price: place.orderType === 'limit' ? place.price : null,
      quantity: place.quantity > 0 ? place.quantity : null,
      quoteQuantity: marketBuyByQuote ? place.quoteLimit : null,
      timeInForce: place.timeInForce,
      postOnly: place.postOnly,
      selfTradePrevention: place.selfTradePrevention,
      status: 'rejected',
    });
    d.rejectReason = reason;
    return d;
  }

  private fresh(
    orderId: string,
    userId: number,
    timestamp: number,
    fields: Pick<
      Draft,
      | 'clientOrderId'
      | 'side'
      | 'type'
      | 'price'
      | 'quantity'
      | 'quoteQuantity'
      | 'timeInForce'
      | 'postOnly'
      | 'selfTradePrevention'
      | 'status'
    >,
  ): Draft {
    const before = this.previous.get(orderId);
    const d: Draft = {
      orderId,
      userId,
      symbol: this.symbol,
      ...fields,
      filledQuantity: 0,
      filledQuote: 0,
      rejectReason: null,
      fills: [],
      createdAt: timestamp,
      updatedAt: timestamp,
      created: before === undefined,
      wasOpen: before !== undefined && isOpenStatus(before.status),
      fromPrevious: false,
      recovered: false,
      remaining: undefined,
      knownTrades: undefined,
      // A replay rebuilds the order from its place, and recognizes the trades its old record lists.
      loadedFills: before?.fills,
    };
    this.drafts.set(orderId, d);
    return d;
  }

  /**
   * The draft of an order an event names: this batch's, else the previous record, else one rebuilt
   * from what the events say (only a resting order can be touched without its `accepted` event, so it
   * is a GTC limit order; the rest is unknown and left at defaults).
   */
  private draft(orderId: string, userId: number, timestamp: number, side?: Side, makerPrice?: number): Draft {
    const current = this.drafts.get(orderId);
    if (current !== undefined) return current;
    const before = this.previous.get(orderId);
    let d: Draft;
    if (before !== undefined) {
      d = {
        ...before,
        fills: before.fills.slice(),
        created: false,
        wasOpen: isOpenStatus(before.status),
        fromPrevious: true,
        recovered: false,
        remaining: undefined,
        knownTrades: undefined,
        loadedFills: before.fills,
      };
    } else {
      this.missing.push(orderId);
      d = {
        orderId,
        clientOrderId: null,
        userId,
        symbol: this.symbol,
        side: side ?? 'buy',
        type: 'limit',
        price: makerPrice ?? null,
        quantity: null,
        quoteQuantity: null,
        timeInForce: 'GTC',
        postOnly: false,
        selfTradePrevention: 'expire_taker',
        status: 'new',
        filledQuantity: 0,
        filledQuote: 0,
        rejectReason: null,
        fills: [],
        createdAt: timestamp,
        updatedAt: timestamp,
        created: true,
        wasOpen: true,
        fromPrevious: false,
        recovered: true,
        remaining: undefined,
        knownTrades: undefined,
        loadedFills: undefined,
      };
    }
    this.drafts.set(orderId, d);
    return d;
  }
}
