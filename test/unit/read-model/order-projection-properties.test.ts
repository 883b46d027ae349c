/**
 * Random command streams, cut into random batches, through a real OrderBook and the projection; the
 * read model it builds (kept in memory, loaded back batch by batch as the matcher would) must agree
 * with the book and with the events: resting orders are open with the book's numbers, every other
 * order is final as its `done` said, fills add up, and each trade appears once per side and once
 * publicly. FC_SEED and FC_RUNS as in test/unit/engine/book-properties.test.ts.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { PublicTradeRecord } from '../../../src/api/ports.ts';
import type { DoneEvent, PlaceCommand, TradeEvent } from '../../../src/engine/types.ts';
import { isOpenStatus, type ProjectedUserTrade } from '../../../src/read-model/order-projection.ts';
import { BTC_USDT } from '../../support/engine-fixtures.ts';
import { noFunds, ProjectionHarness, withCoid, type BatchItem } from './projection-harness.ts';

const SEED = process.env.FC_SEED === undefined ? 20_240_612 : Number(process.env.FC_SEED);
const RUNS = process.env.FC_RUNS === undefined ? 150 : Number(process.env.FC_RUNS);
const USERS = [1, 2, 3];
const PRICES = [299_990, 300_000, 300_010, 300_020];

type Step = { readonly item: (ids: readonly string[]) => BatchItem; readonly endsBatch: boolean };

function pick<T>(items: readonly T[], i: number): T {
  return items[i % items.length]!;
}

const placeArb = fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  kind: fc.constantFrom('GTC', 'GTC', 'GTC', 'IOC', 'FOK', 'postOnly', 'market', 'marketQuote'),
  user: fc.constantFrom(...USERS),
  price: fc.constantFrom(...PRICES),
  quantity: fc.integer({ min: 1, max: 6 }),
  stp: fc.constantFrom(
    'expire_taker' as const,
    'expire_maker' as const,
    'expire_both' as const,
    'none' as const,
  ),
  budget: fc.integer({ min: 100_000, max: 2_000_000 }),
  /** 0: the matcher could not hold the funds; even: a clientOrderId. */
  refused: fc.integer({ min: 0, max: 9 }),
});

const stepArb: fc.Arbitrary<Step> = fc
  .oneof(
    { weight: 6, arbitrary: fc.tuple(placeArb, fc.nat(), fc.boolean()) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('cancel' as const), fc.nat(), fc.boolean()) },
    { weight: 2, arbitrary: fc.tuple(fc.constant('amend' as const), fc.nat(), fc.boolean()) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('cancelAll' as const), fc.nat(), fc.boolean()) },
  )
  .map(([what, n, endsBatch]) => ({
    endsBatch,
    item: (ids: readonly string[]): BatchItem => {
      if (what === 'cancel' || what === 'amend' || what === 'cancelAll') {
        const user = pick(USERS, n);
        if (what === 'cancelAll') return { type: 'cancelAll', userId: user, timestamp: 0 };
        const orderId = ids.length > 0 ? pick(ids, n) : 'none';
        // The owner's user most of the time, someone else now and then.
        const userId = n % 5 === 0 ? user : Number(orderId.split('-')[1] ?? user);
        if (what === 'cancel') return { type: 'cancel', orderId, userId, timestamp: 0 };
        return {
          type: 'amend',
          orderId,
          userId,
          price: n % 3 === 0 ? pick(PRICES, n >> 2) : 0,
          quantity: n % 3 === 1 ? 0 : 1 + (n % 7),
          timestamp: 0,
        };
      }
      const p = what;
      const orderId = `o-${p.user}-${ids.length}`;
      const market = p.kind === 'market' || p.kind === 'marketQuote';
      const command: PlaceCommand = {
        type: 'place',
        orderId,
        userId: p.user,
        side: p.side,
        orderType: market ? 'market' : 'limit',
        price: market ? 0 : p.price,
        quantity: p.kind === 'marketQuote' && p.side === 'buy' ? 0 : p.quantity,
        quoteLimit: p.kind === 'marketQuote' && p.side === 'buy' ? p.budget : 0,
        timeInForce: market ? 'IOC' : p.kind === 'IOC' || p.kind === 'FOK' ? p.kind : 'GTC',
        postOnly: p.kind === 'postOnly',
        selfTradePrevention: p.stp,
        timestamp: 0,
      };
      if (p.refused === 0) return noFunds(command, `c-${orderId}`);
      return withCoid(command, p.refused % 2 === 0 ? `c-${orderId}` : null);
    },
  }));

describe('read-model/order-projection: random streams agree with the book', () => {
  it('records, fills and trades match the book and the events', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 80 }), async (steps) => {
        const h = new ProjectionHarness(BTC_USDT);
        const ids: string[] = [];
        const userTrades: ProjectedUserTrade[] = [];
        const publicTrades: PublicTradeRecord[] = [];
        let batch: BatchItem[] = [];
        const flush = async () => {
          const b = await h.batch(batch);
          expect(b.outcomes).to.have.length(batch.length);
          expect(b.missing).to.deep.equal([]);
          userTrades.push(...b.userTrades);
          publicTrades.push(...b.publicTrades);
          batch = [];
        };
        for (const step of steps) {
          const item = step.item(ids);
          if ('type' in item && item.type === 'place') ids.push(item.orderId);
          if ('noFunds' in item) ids.push(item.noFunds.orderId);
          batch.push(item);
          if (step.endsBatch) await flush();
        }
        if (batch.length > 0) await flush();
        expect(h.loads.every((l) => new Set(l).size === l.length)).to.equal(true);

        const snapshot = h.book.snapshot();
        const resting = new Map([...snapshot.bids, ...snapshot.asks].map((o) => [o.orderId, o]));
        const done = new Map<string, DoneEvent>();
        const trades: TradeEvent[] = [];
        for (const event of h.events) {
          if (event.type === 'done') done.set(event.orderId, event);
          if (event.type === 'trade') trades.push(event);
        }
        for (const [orderId, view] of resting) {
          const record = h.store.get(orderId);
          expect(record, orderId).to.not.equal(undefined);
          expect(isOpenStatus(record!.status), orderId).to.equal(true);
          expect(record!.status).to.equal(view.filledQuantity > 0 ? 'partially_filled' : 'new');
          expect([
            record!.price,
            record!.quantity,
            record!.filledQuantity,
            record!.filledQuote,
          ]).to.deep.equal([view.price, view.quantity, view.filledQuantity, view.filledQuote]);
        }
        for (const record of h.store.values()) {
          if (isOpenStatus(record.status)) expect(resting.has(record.orderId), record.orderId).to.equal(true);
          else if (record.status !== 'rejected') {
            const d = done.get(record.orderId)!;
            expect([record.status, record.filledQuantity, record.filledQuote]).to.deep.equal([
              d.status,
              d.filledQuantity,
              d.filledQuote,
            ]);
          }
          const lots = record.fills.reduce((sum, f) => sum + f.quantity, 0);
          const quote = record.fills.reduce((sum, f) => sum + f.quantity * f.price, 0);
          expect([lots, quote], record.orderId).to.deep.equal([record.filledQuantity, record.filledQuote]);
          expect(new Set(record.fills.map((f) => f.tradeId)).size).to.equal(record.fills.length);
          for (const f of record.fills) {
            expect(f.feeAsset).to.equal(record.side === 'buy' ? 'BTC' : 'USDT');
          }
        }
        expect(publicTrades.map((t) => t.tradeId)).to.deep.equal(trades.map((t) => `BTC-USDT:${t.seq}`));
        expect(userTrades).to.have.length(trades.length * 2);
        trades.forEach((t, i) => {
          const [taker, maker] = [userTrades[2 * i]!, userTrades[2 * i + 1]!];
          expect([taker.userId, taker.trade.orderId, taker.trade.fee, taker.trade.liquidity]).to.deep.equal([
            t.takerUserId,
            t.takerOrderId,
            t.takerFee,
            'taker',
          ]);
          expect([maker.userId, maker.trade.orderId, maker.trade.fee, maker.trade.liquidity]).to.deep.equal([
            t.makerUserId,
            t.makerOrderId,
            t.makerFee,
            'maker',
          ]);
        });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
