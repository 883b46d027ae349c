/**
 * The benchmark's workload: a seeded, steady-state stream for one symbol that keeps the book near a
 * target number of resting orders. It is generated in advance (untimed) as compact typed arrays, so
 * that every engine runs exactly the same operations, and each engine adapter turns it into its own
 * command objects outside the timed loops.
 *
 * Prices follow a zero-intelligence order-flow model (Smith, Farmer et al.): a passive order is placed
 * 1..N ticks behind the best opposite price, so it never crosses; aggressive orders take from the best
 * opposite price. The mid is not an input: it random-walks as aggressive buys and sells move the
 * best prices, and the book follows it. (A mid walked independently of the book opens gaps between
 * the book and the new orders, and the aggressive flow then eats into a stale book.)
 */
import { BUY, ModelBook, SELL } from './model-book.ts';
import { Prng } from './prng.ts';

export const OpKind = { Passive: 0, Cross: 1, Market: 2, Cancel: 3 } as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];
export const OP_KIND_NAMES = ['passive', 'cross', 'market', 'cancel'] as const;

export interface WorkloadOptions {
  readonly seed: number;
  /** Resting orders the book is filled to and held near. */
  readonly target: number;
  /** Operations after the prefill (the timed part). */
  readonly ops: number;
  /**
   * Mixed operations run on the model only, after filling the book and before the timed ops, so that
   * these start from a steady-state book rather than a freshly filled one. Default 4 × target.
   */
  readonly settleOps?: number;
  /** First price, in ticks. Default 1 000 000 (10 000.00 at a 0.01 tick). */
  readonly startPrice?: number;
  /**
   * A passive order rests k ticks behind the best opposite price, k uniform in 1..topTicks for a
   * share topShare of them (quotes near the top, default 0.5 and 10) and in 1..depthTicks for the
   * others (default target / 20, about 10 orders per level).
   */
  readonly depthTicks?: number;
  readonly topShare?: number;
  readonly topTicks?: number;
  /** Lots of a passive order, uniform in [min, max]. Default [1, 20]. */
  readonly passiveQty?: readonly [number, number];
  /**
   * Lots of an aggressive order, uniform in [min, max]. Default [1, 100]: with the defaults above a
   * taker fills about 3 makers and the book holds its size at the nominal 60/25/15 mix by itself.
   */
  readonly aggressiveQty?: readonly [number, number];
  /** A crossing limit is priced 0..crossTicks beyond the best opposite price. Default 5. */
  readonly crossTicks?: number;
}

/** Operations as parallel arrays; `order` is the order the op creates (place) or names (cancel). */
export interface OpList {
  readonly length: number;
  readonly kind: Uint8Array;
  readonly side: Uint8Array;
  /** Ticks; 0 for market orders and cancels. */
  readonly price: Int32Array;
  readonly qty: Int32Array;
  readonly order: Int32Array;
}

export interface WorkloadStats {
  /** Operations of each kind, indexed by OpKind. */
  readonly kinds: readonly number[];
  readonly trades: number;
  readonly makersFilled: number;
  readonly restingMin: number;
  readonly restingMax: number;
  readonly restingMean: number;
  readonly levelsAtEnd: number;
  readonly midStart: number;
  readonly midEnd: number;
  readonly midMin: number;
  readonly midMax: number;
}

export interface Workload {
  readonly options: Required<WorkloadOptions>;
  /**
   * The settled book as passive limit orders in time priority, which rebuild it exactly when placed
   * in this order (applied untimed before each run).
   */
  readonly prefill: OpList;
  readonly ops: OpList;
  /** Order numbers used, settling included: every `order` is below it. */
  readonly orderCount: number;
  /** Resting orders after the prefill and each op: restingAfter[i] is the count after ops[i]. */
  readonly restingAfterPrefill: number;
  readonly restingAfter: Int32Array;
  readonly stats: WorkloadStats;
}

/** How strongly the mix leans against a deviation from the target (per unit of relative deviation). */
const MIX_GAIN = 20;
const MIX_MAX_SHIFT = 0.5;
const P_PASSIVE = 0.6;
const P_CANCEL = 0.25;
/** Of the aggressive orders, this share are crossing limits and the rest market orders. */
const P_CROSS = 2 / 3;

export function withDefaults(options: WorkloadOptions): Required<WorkloadOptions> {
  return {
    startPrice: 1_000_000,
    settleOps: 4 * options.target,
    depthTicks: Math.max(20, Math.round(options.target / 20)),
    passiveQty: [1, 20],
    aggressiveQty: [1, 100],
    crossTicks: 5,
    topShare: 0.5,
    topTicks: 10,
    ...options,
  };
}

function write(
  list: OpList,
  i: number,
  kind: OpKind,
  side: number,
  price: number,
  qty: number,
  order: number,
): void {
  list.kind[i] = kind;
  list.side[i] = side;
  list.price[i] = price;
  list.qty[i] = qty;
  list.order[i] = order;
}

function opList(length: number): OpList {
  return {
    length,
    kind: new Uint8Array(length),
    side: new Uint8Array(length),
    price: new Int32Array(length),
    qty: new Int32Array(length),
    order: new Int32Array(length),
  };
}

export function generateWorkload(input: WorkloadOptions): Workload {
  const options = withDefaults(input);
  const { target, ops: opCount, settleOps, startPrice, depthTicks, topShare, topTicks } = options;
  const { passiveQty, aggressiveQty, crossTicks } = options;
  const rng = new Prng(options.seed);
  const orderCount = target + settleOps + opCount;
  const model = new ModelBook(orderCount);
  let nextOrder = 0;

  const passivePrice = (side: number): number => {
    // Part of the flow quotes near the top (where the takers eat), the rest spreads over the depth.
    const span = rng.chance(topShare) ? topTicks : depthTicks;
    const k = rng.int(1, span);
    if (side === BUY) return (model.best(SELL) ?? (model.best(BUY) ?? startPrice) + 1) - k;
    return (model.best(BUY) ?? (model.best(SELL) ?? startPrice) - 1) + k;
  };

  /** Draws op i of the list, applies it to the model and writes it down. */
  const step = (list: OpList, i: number): OpKind => {
    // Lean the mix against the deviation from the target: more passive orders when the book is thin,
    // more cancels and takers when it is thick. Near the target this is the nominal 60/25/15.
    const deviation = (model.size - target) / target;
    const shift = Math.max(-MIX_MAX_SHIFT, Math.min(MIX_MAX_SHIFT, MIX_GAIN * deviation));
    const pPassive = P_PASSIVE * (1 - shift);
    const pCancel = P_CANCEL + (P_PASSIVE * shift * P_CANCEL) / (1 - P_PASSIVE);
    const r = rng.next();
    const side = rng.nextU32() & 1;
    let kind: OpKind;
    if (r < pPassive || model.size === 0) kind = OpKind.Passive;
    else if (r < pPassive + pCancel) kind = OpKind.Cancel;
    else kind = rng.chance(P_CROSS) ? OpKind.Cross : OpKind.Market;

    if (kind === OpKind.Cancel) {
      const order = model.restingAt(rng.int(0, model.size - 1));
      write(list, i, kind, 0, 0, 0, order);
      model.cancel(order);
      return kind;
    }
    const order = nextOrder++;
    let price = 0;
    let qty: number;
    if (kind === OpKind.Passive) {
      price = passivePrice(side);
      qty = rng.int(passiveQty[0], passiveQty[1]);
    } else {
      qty = rng.int(aggressiveQty[0], aggressiveQty[1]);
      if (kind === OpKind.Cross) {
        const opposite = model.best(1 - side);
        const j = rng.int(0, crossTicks);
        price = opposite === undefined ? passivePrice(side) : side === BUY ? opposite + j : opposite - j;
      }
    }
    write(list, i, kind, side, price, qty, order);
    model.place(order, side, price, qty);
    return kind;
  };

  // Fill the book with passive orders, then let the mixed flow reshape it (its top thinned by the
  // takers, partial fills, a spread of its own) so that the measured ops start in the steady state.
  for (let i = 0; i < target; i++) {
    const side = i & 1;
    model.place(nextOrder++, side, passivePrice(side), rng.int(passiveQty[0], passiveQty[1]));
  }
  const scratch = opList(1);
  for (let i = 0; i < settleOps; i++) step(scratch, 0);

  // The engines get that settled book as plain limit orders in time priority: none of them crosses,
  // so placing them rebuilds the same levels and queues without replaying the settling flow.
  const settled = model.restingInTimeOrder();
  const prefill = opList(settled.length);
  settled.forEach((o, i) => write(prefill, i, OpKind.Passive, o.side, o.price, o.remaining, o.order));
  const restingAfterPrefill = model.size;
  const tradesBefore = model.trades;
  const filledBefore = model.makersFilled;

  const ops = opList(opCount);
  const restingAfter = new Int32Array(opCount);
  const kinds = [0, 0, 0, 0];
  const mid = (): number => ((model.best(BUY) ?? startPrice) + (model.best(SELL) ?? startPrice)) / 2;
  const midStart = mid();
  let midMin = midStart;
  let midMax = midStart;
  let restingSum = 0;
  let restingMin = model.size;
  let restingMax = model.size;

  for (let i = 0; i < opCount; i++) {
    kinds[step(ops, i)]!++;
    const resting = model.size;
    restingAfter[i] = resting;
    restingSum += resting;
    if (resting < restingMin) restingMin = resting;
    if (resting > restingMax) restingMax = resting;
    const m = mid();
    if (m < midMin) midMin = m;
    if (m > midMax) midMax = m;
  }

  return {
    options,
    prefill,
    ops,
    orderCount,
    restingAfterPrefill,
    restingAfter,
    stats: {
      kinds,
      trades: model.trades - tradesBefore,
      makersFilled: model.makersFilled - filledBefore,
      restingMin,
      restingMax,
      restingMean: opCount > 0 ? restingSum / opCount : restingAfterPrefill,
      levelsAtEnd: model.levelCount(),
      midStart,
      midEnd: mid(),
      midMin,
      midMax,
    },
  };
}

/** The id of order number n. A fresh string on every call, as a consumer parsing a stream would have. */
export function orderIdOf(n: number): string {
  return `o${n}`;
}

/** The user of order number n: 1000 users, so cancels name the owner as the engine requires. */
export function userIdOf(n: number): number {
  return 1 + (n % 1000);
}

/** Runs a fresh model through the prefill and the first n ops: the depth every engine must end with. */
export function modelDepthAfter(w: Workload, n: number): ReturnType<ModelBook['depth']> {
  const model = new ModelBook(w.orderCount);
  const apply = (list: OpList, i: number): void => {
    if (list.kind[i] === OpKind.Cancel) model.cancel(list.order[i]!);
    else model.place(list.order[i]!, list.side[i]!, list.price[i]!, list.qty[i]!);
  };
  for (let i = 0; i < w.prefill.length; i++) apply(w.prefill, i);
  for (let i = 0; i < n; i++) apply(w.ops, i);
  return model.depth();
}
