/**
 * Invariants every book must keep, checked through the public interface only, so the same checks run
 * against the reference book and the fast book.
 *
 * - `assertBookInvariants(book)`: the state at rest (ordering, never crossed, depth, size, getOrder).
 * - `assertEventInvariants(before, command, events, after)`: what one command may do, given the snapshot
 *   before and after it (sequence, fees, limits, budgets, price-time priority of the makers, and that the
 *   book changed exactly as the events say).
 *
 * Amounts are re-derived with BigInt here, independently of src/engine/integer-math.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import type {
  BookSnapshot,
  Command,
  EngineEvent,
  MatchingBook,
  OrderView,
  SelfTradePrevention,
  Side,
  TradeEvent,
} from '../../src/engine/types.ts';

// ---- the book at rest ----

export function assertBookInvariants(book: MatchingBook): void {
  const snap = book.snapshot();
  check(snap.version, 'snapshot version').to.equal(1);
  check(snap.sequence, 'snapshot sequence = book.sequence').to.equal(book.sequence);
  check(snap.rules, 'snapshot rules = book.rules').to.deep.equal({ ...book.rules });

  assertSide(snap.bids, 'buy', snap.sequence);
  assertSide(snap.asks, 'sell', snap.sequence);
  const bestBid = snap.bids[0];
  const bestAsk = snap.asks[0];
  if (bestBid !== undefined && bestAsk !== undefined) {
    check(bestBid.price, 'crossed book: best bid must be below best ask').to.be.lessThan(bestAsk.price);
  }

  const all = [...snap.bids, ...snap.asks];
  check(new Set(all.map((o) => o.orderId)).size, 'order ids unique').to.equal(all.length);
  check(new Set(all.map((o) => o.entrySeq)).size, 'entrySeqs unique').to.equal(all.length);
  check(book.size, 'size = number of resting orders').to.equal(all.length);

  const full = book.depth(1_000_000);
  check(full, 'depth = aggregation of the snapshot').to.deep.equal({
    sequence: snap.sequence,
    bids: aggregate(snap.bids),
    asks: aggregate(snap.asks),
  });
  check(book.depth(1), 'depth(1)').to.deep.equal({
    sequence: snap.sequence,
    bids: full.bids.slice(0, 1),
    asks: full.asks.slice(0, 1),
  });

  for (const order of all) {
    check(book.getOrder(order.orderId), `getOrder(${order.orderId})`).to.deep.equal(order);
  }
  check(book.getOrder('\u0000no such order'), 'getOrder of an unknown id').to.equal(undefined);
}

function assertSide(orders: readonly OrderView[], side: Side, sequence: number): void {
  orders.forEach((o, i) => {
    const what = `${side} order ${o.orderId}`;
    check(o.side, what).to.equal(side);
    for (const field of ['price', 'quantity', 'remainingQuantity', 'entrySeq'] as const) {
      check(Number.isSafeInteger(o[field]) && o[field] > 0, `${what}: ${field} = ${o[field]}`).to.equal(true);
    }
    for (const field of ['filledQuantity', 'filledQuote', 'quoteLimit'] as const) {
      check(Number.isSafeInteger(o[field]) && o[field] >= 0, `${what}: ${field} = ${o[field]}`).to.equal(
        true,
      );
    }
    check(o.filledQuantity + o.remainingQuantity, `${what}: filled + remaining = quantity`).to.equal(
      o.quantity,
    );
    check(o.filledQuantity === 0, `${what}: filledQuote is 0 exactly when nothing filled`).to.equal(
      o.filledQuote === 0,
    );
    check(o.timeInForce, `${what}: only GTC rests`).to.equal('GTC');
    check(o.quoteLimit, `${what}: only market orders have a quoteLimit`).to.equal(0);
    check(o.entrySeq, `${what}: entrySeq after the sequence`).to.be.at.most(sequence);
    const next = orders[i + 1];
    if (next !== undefined) {
      const better = side === 'buy' ? o.price > next.price : o.price < next.price;
      const older = o.price === next.price && o.entrySeq < next.entrySeq;
      check(better || older, `${what} must come strictly before ${next.orderId}`).to.equal(true);
    }
  });
}

function aggregate(orders: readonly OrderView[]): Array<[number, number]> {
  const levels = new Map<number, number>();
  for (const o of orders) levels.set(o.price, (levels.get(o.price) ?? 0) + o.remainingQuantity);
  return [...levels.entries()];
}

// ---- one command ----

/** The order that matched as taker in a place or a priority-losing amend. */
interface TakerInfo {
  readonly orderId: string;
  readonly userId: number;
  readonly side: Side;
  readonly limitPrice: number | undefined;
  /** Total quantity (0: a market buy by quote amount). */
  readonly quantity: number;
  readonly quoteLimit: number;
  readonly selfTradePrevention: SelfTradePrevention;
  readonly priorFilled: number;
  readonly priorQuote: number;
  /** The order as it rests now, if it rested before the command (amend). */
  readonly previous: OrderView | undefined;
}

export function assertEventInvariants(
  before: BookSnapshot,
  command: Command,
  events: readonly EngineEvent[],
  after: BookSnapshot,
): void {
  events.forEach((e, i) => {
    check(e.seq, `seq of event ${i} (${e.type})`).to.equal(before.sequence + i + 1);
    check(e.timestamp, `timestamp of event ${e.seq}`).to.equal(command.timestamp);
  });
  check(after.sequence, 'sequence after the command').to.equal(before.sequence + events.length);
  check(after.lastTimestamp, 'lastTimestamp after the command').to.equal(command.timestamp);
  if (command.type !== 'cancelAll') check(events.length, 'every command emits').to.be.greaterThan(0);

  const beforeOrders = ordersOf(before);
  const afterOrders = ordersOf(after);
  if (events[0]?.type === 'rejected') {
    check(events, 'a rejection is the only event').to.have.length(1);
    check(afterOrders, 'a rejection changes no order').to.deep.equal(beforeOrders);
    check(after.rules, 'a rejection changes no rule').to.deep.equal(before.rules);
    return;
  }
  check(after.rules.symbol).to.equal(before.rules.symbol);

  switch (command.type) {
    case 'setFees':
      check(events.map((e) => e.type)).to.deep.equal(['feesChanged']);
      check(after.rules).to.deep.equal({
        ...before.rules,
        makerFeePpm: command.makerFeePpm,
        takerFeePpm: command.takerFeePpm,
      });
      check(afterOrders).to.deep.equal(beforeOrders);
      return;
    case 'cancel':
    case 'cancelAll':
      return assertCancels(command, before, events, after);
    case 'place':
    case 'amend':
      check(after.rules, 'fees change only by setFees').to.deep.equal(before.rules);
      return assertMatching(before, command, events, after);
  }
}

function assertCancels(
  command: Command & { type: 'cancel' | 'cancelAll' },
  before: BookSnapshot,
  events: readonly EngineEvent[],
  after: BookSnapshot,
): void {
  const gone =
    command.type === 'cancel'
      ? ordersOf(before).filter((o) => o.orderId === command.orderId)
      : ordersOf(before)
          .filter((o) => o.userId === command.userId)
          .sort((a, b) => a.entrySeq - b.entrySeq);
  const reason = command.type === 'cancel' ? 'USER' : 'CANCEL_ALL';
  check(events, `${command.type} events`).to.deep.equal(
    gone.flatMap((o, i) => [
      {
        seq: before.sequence + 2 * i + 1,
        timestamp: command.timestamp,
        type: 'canceled',
        orderId: o.orderId,
        userId: o.userId,
        remainingQuantity: o.remainingQuantity,
        reason,
      },
      doneOf(o, 'canceled', before.sequence + 2 * i + 2, command.timestamp),
    ]),
  );
  const goneIds = new Set(gone.map((o) => o.orderId));
  check(ordersOf(after), 'the rest of the book is untouched').to.deep.equal(
    ordersOf(before).filter((o) => !goneIds.has(o.orderId)),
  );
}

function assertMatching(
  before: BookSnapshot,
  command: Command & { type: 'place' | 'amend' },
  events: readonly EngineEvent[],
  after: BookSnapshot,
): void {
  const rules = before.rules;
  const taker = takerOf(before, command, events);
  if (taker === undefined) {
    // An amend that kept its place: one event, one order changed in place.
    const amended = events[0];
    check(events, 'an amend keeping priority emits only amended').to.have.length(1);
    if (amended?.type !== 'amended' || !amended.priorityKept)
      throw new Error('expected amended (priorityKept)');
    check(ordersOf(after)).to.deep.equal(
      ordersOf(before).map((o) =>
        o.orderId === amended.orderId
          ? { ...o, quantity: amended.quantity, remainingQuantity: amended.remainingQuantity }
          : o,
      ),
    );
    return;
  }

  // Walk the events against a copy of the opposite side: each maker touched must be at its head.
  const queue = (taker.side === 'buy' ? before.asks : before.bids).map((o) => ({ ...o }));
  let filled = taker.priorFilled;
  let filledQuote = taker.priorQuote;
  const takerEnd: EngineEvent[] = [];
  for (let i = 1; i < events.length; i++) {
    const e = events[i]!;
    const at = `event ${e.seq} (${e.type})`;
    if (e.type === 'trade') {
      const head = queue[0];
      if (head === undefined) throw new Error(`${at}: trade with an empty opposite side`);
      check(e.makerOrderId, `${at}: the maker must be the best, oldest order`).to.equal(head.orderId);
      assertTrade(e, head, taker, rules.baseUnitsPerLot, rules.quoteUnitsPerTickLot, before.rules);
      head.remainingQuantity -= e.quantity;
      head.filledQuantity += e.quantity;
      head.filledQuote += e.quoteQuantity;
      filled += e.quantity;
      filledQuote += e.quoteQuantity;
      if (head.remainingQuantity === 0) {
        check(events[++i], `${at}: the filled maker's done follows its last trade`).to.deep.equal(
          doneOf(head, 'filled', e.seq + 1, e.timestamp),
        );
        queue.shift();
      }
    } else if (e.type === 'expired' && e.orderId !== taker.orderId) {
      const head = queue[0];
      check(e.orderId, `${at}: only the best maker is expired during matching`).to.equal(head?.orderId);
      check(e.reason, at).to.be.oneOf(['SELF_TRADE_PREVENTION', 'NOTIONAL_LIMIT']);
      if (e.reason === 'SELF_TRADE_PREVENTION') {
        check(head!.userId, `${at}: same user`).to.equal(taker.userId);
        check(taker.selfTradePrevention, `${at}: taker's mode`).to.be.oneOf(['expire_maker', 'expire_both']);
      } else {
        // Necessary condition: filling the maker's whole remainder would pass the limit.
        const remainderQuote = head!.remainingQuantity * head!.price * rules.quoteUnitsPerTickLot;
        const passes = head!.filledQuote + remainderQuote > Number.MAX_SAFE_INTEGER;
        check(passes, `${at}: maker near the limit`).to.equal(true);
      }
      check(e.remainingQuantity, at).to.equal(head!.remainingQuantity);
      check(events[++i], `${at}: done follows`).to.deep.equal(
        doneOf(head!, 'expired', e.seq + 1, e.timestamp),
      );
      queue.shift();
    } else {
      check((e as { orderId?: string }).orderId, `${at}: belongs to the taker`).to.equal(taker.orderId);
      takerEnd.push(e);
    }
  }
  const endTypes = takerEnd.map((e) => e.type).join(',');
  check(endTypes, 'the taker ends with rested, done, or expired + done').to.be.oneOf([
    'rested',
    'done',
    'expired,done',
  ]);
  check(events[events.length - 1], 'the taker end comes last').to.equal(takerEnd[takerEnd.length - 1]);
  const expired = takerEnd[0];
  if (expired?.type === 'expired') {
    check(expired.remainingQuantity, 'expired remaining').to.equal(
      taker.quantity === 0 ? 0 : taker.quantity - filled,
    );
    check(takerEnd[1], 'expired then done (expired)').to.include({ type: 'done', status: 'expired' });
  }

  if (taker.quantity > 0) check(filled, 'filled ≤ ordered').to.be.at.most(taker.quantity);
  if (taker.quoteLimit > 0)
    check(filledQuote - taker.priorQuote, 'spent ≤ quoteLimit').to.be.at.most(taker.quoteLimit);
  check(queue, 'opposite side after = what the trades left of it').to.deep.equal(
    taker.side === 'buy' ? after.asks : after.bids,
  );

  const ownBefore = (taker.side === 'buy' ? before.bids : before.asks).filter(
    (o) => o.orderId !== taker.orderId,
  );
  const ownAfter = taker.side === 'buy' ? after.bids : after.asks;
  const last = events[events.length - 1]!;
  if (last.type === 'rested') {
    const rested = ownAfter.find((o) => o.orderId === taker.orderId);
    check(rested, 'the rested order is in the book').to.not.equal(undefined);
    check(rested!.entrySeq, 'entrySeq = seq of rested').to.equal(last.seq);
    check([rested!.filledQuantity, rested!.filledQuote, rested!.remainingQuantity]).to.deep.equal([
      filled,
      filledQuote,
      taker.quantity - filled,
    ]);
    check(last.remainingQuantity).to.equal(taker.quantity - filled);
    check(last.filledQuantity).to.equal(filled);
    check(rested!.price, 'rests at its limit').to.equal(taker.limitPrice);
    if (taker.previous !== undefined) {
      check(rested!.timestamp, 'an amend keeps the order timestamp').to.equal(taker.previous.timestamp);
    }
    check(ownAfter.filter((o) => o !== rested)).to.deep.equal(ownBefore);
  } else {
    check(last.type, 'the taker ends with done or rested').to.equal('done');
    if (last.type !== 'done') return;
    check(last.orderId).to.equal(taker.orderId);
    check([last.filledQuantity, last.filledQuote], 'done carries the totals').to.deep.equal([
      filled,
      filledQuote,
    ]);
    if (last.status === 'filled' && taker.quantity > 0) check(filled).to.equal(taker.quantity);
    check(ownAfter, 'own side untouched').to.deep.equal(ownBefore);
    const fok = events.find((e) => e.type === 'expired' && e.reason === 'FOK_NOT_FILLABLE');
    if (fok !== undefined) {
      check(
        events.map((e) => e.type),
        'FOK not fillable',
      ).to.deep.equal(['accepted', 'expired', 'done']);
      check(ordersOf(after), 'FOK not fillable leaves the book unchanged').to.deep.equal(ordersOf(before));
    }
  }
}

function assertTrade(
  e: TradeEvent,
  maker: OrderView,
  taker: TakerInfo,
  baseUnitsPerLot: number,
  quoteUnitsPerTickLot: number,
  fees: { makerFeePpm: number; takerFeePpm: number },
): void {
  const at = `trade ${e.seq}`;
  check(Number.isSafeInteger(e.quantity) && e.quantity > 0, `${at}: quantity > 0`).to.equal(true);
  check(e.quantity, `${at}: at most the maker's remaining`).to.be.at.most(maker.remainingQuantity);
  check(e.price, `${at}: at the maker's price`).to.equal(maker.price);
  check(e.makerUserId, at).to.equal(maker.userId);
  check([e.takerOrderId, e.takerUserId, e.takerSide], `${at}: taker`).to.deep.equal([
    taker.orderId,
    taker.userId,
    taker.side,
  ]);
  if (taker.limitPrice !== undefined) {
    if (taker.side === 'buy')
      check(e.price, `${at}: within the buyer's limit`).to.be.at.most(taker.limitPrice);
    else check(e.price, `${at}: within the seller's limit`).to.be.at.least(taker.limitPrice);
  }
  if (maker.userId === taker.userId) {
    check(taker.selfTradePrevention, `${at}: a self-trade needs the taker's mode none`).to.equal('none');
  }
  const quote = BigInt(e.quantity) * BigInt(e.price) * BigInt(quoteUnitsPerTickLot);
  check(BigInt(e.quoteQuantity), `${at}: quoteQuantity = lots × price × quoteUnitsPerTickLot`).to.equal(
    quote,
  );
  const base = BigInt(e.quantity) * BigInt(baseUnitsPerLot);
  const makerGets = maker.side === 'buy' ? base : quote;
  const takerGets = taker.side === 'buy' ? base : quote;
  check(BigInt(e.makerFee), `${at}: maker fee`).to.equal(ppmFloor(makerGets, fees.makerFeePpm));
  check(BigInt(e.takerFee), `${at}: taker fee`).to.equal(ppmFloor(takerGets, fees.takerFeePpm));
}

function ppmFloor(amount: bigint, ppm: number): bigint {
  return (amount * BigInt(ppm)) / 1_000_000n;
}

function takerOf(
  before: BookSnapshot,
  command: Command & { type: 'place' | 'amend' },
  events: readonly EngineEvent[],
): TakerInfo | undefined {
  const first = events[0];
  if (command.type === 'place') {
    check(first?.type, 'a place that is not rejected starts with accepted').to.equal('accepted');
    return {
      orderId: command.orderId,
      userId: command.userId,
      side: command.side,
      limitPrice: command.orderType === 'limit' ? command.price : undefined,
      quantity: command.quantity,
      quoteLimit: command.quoteLimit,
      selfTradePrevention: command.selfTradePrevention,
      priorFilled: 0,
      priorQuote: 0,
      previous: undefined,
    };
  }
  if (first?.type !== 'amended')
    throw new Error(`an amend that is not rejected starts with amended: ${first?.type}`);
  const previous = ordersOf(before).find((o) => o.orderId === command.orderId);
  if (previous === undefined) throw new Error('amended an order that was not resting');
  check(first.price, 'amended price').to.equal(command.price === 0 ? previous.price : command.price);
  check(first.quantity, 'amended quantity').to.equal(
    command.quantity === 0 ? previous.quantity : command.quantity,
  );
  check(first.remainingQuantity, 'amended remaining').to.equal(first.quantity - previous.filledQuantity);
  const keeps = first.price === previous.price && first.quantity <= previous.quantity;
  check(first.priorityKept, 'priorityKept iff same price and not a larger quantity').to.equal(keeps);
  if (keeps) return undefined;
  return {
    orderId: previous.orderId,
    userId: previous.userId,
    side: previous.side,
    limitPrice: first.price,
    quantity: first.quantity,
    quoteLimit: 0,
    selfTradePrevention: previous.selfTradePrevention,
    priorFilled: previous.filledQuantity,
    priorQuote: previous.filledQuote,
    previous,
  };
}

function ordersOf(snapshot: BookSnapshot): OrderView[] {
  return [...snapshot.bids, ...snapshot.asks];
}

function doneOf(order: OrderView, status: 'filled' | 'canceled' | 'expired', seq: number, timestamp: number) {
  return {
    seq,
    timestamp,
    type: 'done',
    orderId: order.orderId,
    userId: order.userId,
    side: order.side,
    status,
    filledQuantity: order.filledQuantity,
    filledQuote: order.filledQuote,
  };
}

/**
 * A cheap stand-in for chai's `expect` (the subset used here): these checks run thousands of times per
 * property test, so they decide with plain comparisons and call chai only to report a failure.
 */
function check(actual: unknown, message?: string) {
  const report = () => expect(actual, message);
  const num = actual as number;
  return {
    to: {
      equal(expected: unknown): void {
        if (actual !== expected) report().to.equal(expected);
      },
      deep: {
        equal(expected: unknown): void {
          if (!isDeepStrictEqual(actual, expected)) report().to.deep.equal(expected);
        },
      },
      not: {
        equal(expected: unknown): void {
          if (actual === expected) report().to.not.equal(expected);
        },
      },
      include(expected: Record<string, unknown>): void {
        const ok = Object.entries(expected).every(([k, v]) =>
          isDeepStrictEqual((actual as Record<string, unknown>)?.[k], v),
        );
        if (!ok) report().to.include(expected);
      },
      have: {
        length(n: number): void {
          if ((actual as unknown[]).length !== n) report().to.have.length(n);
        },
      },
      be: {
        lessThan(n: number): void {
          if (!(num < n)) report().to.be.lessThan(n);
        },
        greaterThan(n: number): void {
          if (!(num > n)) report().to.be.greaterThan(n);
        },
        oneOf(list: readonly unknown[]): void {
          if (!list.includes(actual)) report().to.be.oneOf(list);
        },
        at: {
          most(n: number): void {
            if (!(num <= n)) report().to.be.at.most(n);
          },
          least(n: number): void {
            if (!(num >= n)) report().to.be.at.least(n);
          },
        },
      },
    },
  };
}
