import { expect } from 'chai';
import type { OrderRecord } from '../../../src/api/ports.ts';
import { OrderBook } from '../../../src/engine/order-book.ts';
import type { EngineEvent } from '../../../src/engine/types.ts';
import { OrderProjection, parseTradeId, tradeIdOf } from '../../../src/read-model/order-projection.ts';
import {
  amend,
  BTC_USDT,
  buy,
  cancel,
  cancelAll,
  marketBuy,
  marketBuyQuote,
  marketSell,
  sell,
  setFees,
  XYZ_EUR,
} from '../../support/engine-fixtures.ts';
import { fill, limitRecord, MARKET, noFunds, ProjectionHarness, T0, withCoid } from './projection-harness.ts';

function orderOf(batch: { orders: readonly { record: OrderRecord }[] }, orderId: string): OrderRecord {
  const found = batch.orders.find((o) => o.record.orderId === orderId);
  if (found === undefined) throw new Error(`order ${orderId} not in the batch`);
  return found.record;
}

function ids(batch: { orders: readonly { record: OrderRecord }[] }): string[] {
  return batch.orders.map((o) => o.record.orderId);
}

describe('read-model/order-projection', () => {
  describe('a resting order, then partial fills', () => {
    it('rests as new with the place fields, clientOrderId and createdAt', async () => {
      const h = new ProjectionHarness();
      const b = await h.batch([
        withCoid(buy('b1', 1, 300_000, 5, { selfTradePrevention: 'expire_both' }), 'my-1'),
      ]);
      const record = limitRecord('b1', 1, 'buy', 300_000, 5, {
        clientOrderId: 'my-1',
        selfTradePrevention: 'expire_both',
      });
      expect(b.orders).to.deep.equal([{ record, created: true, wasOpen: true }]);
      expect(b.outcomes).to.deep.equal([{ orderId: 'b1', outcome: { kind: 'order', order: record } }]);
      expect(b.userTrades).to.deep.equal([]);
      expect(b.publicTrades).to.deep.equal([]);
      expect(b.depthChanged).to.equal(true);
      expect(b.missing).to.deep.equal([]);
      expect(h.loads).to.deep.equal([]);
    });

    it('a later taker fills the maker partly: maker fee in base, taker fee in quote, one load', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5)]); // seq 1-2
      const b = await h.batch([sell('s1', 2, 300_000, 2)]); // seq 3 accepted, 4 trade, 5 done
      expect(h.loads).to.deep.equal([['b1']]);
      // The maker buyer receives 2 000 base units: fee 2 000 × 0.1 % = 2. The taker seller receives
      // 600 000 quote units: fee 600 000 × 0.2 % = 1 200.
      const maker = limitRecord('b1', 1, 'buy', 300_000, 5, {
        status: 'partially_filled',
        filledQuantity: 2,
        filledQuote: 600_000,
        fills: [fill(4, 300_000, 2, 2, 'buy', 'maker')],
        updatedAt: T0 + 1,
      });
      const taker = limitRecord('s1', 2, 'sell', 300_000, 2, {
        status: 'filled',
        filledQuantity: 2,
        filledQuote: 600_000,
        fills: [fill(4, 300_000, 2, 1200, 'sell', 'taker')],
        createdAt: T0 + 1,
        updatedAt: T0 + 1,
      });
      expect(b.orders).to.deep.equal([
        { record: taker, created: true, wasOpen: false },
        { record: maker, created: false, wasOpen: true },
      ]);
      expect(b.userTrades).to.deep.equal([
        {
          userId: 2,
          trade: {
            ...fill(4, 300_000, 2, 1200, 'sell', 'taker'),
            orderId: 's1',
            symbol: 'BTC-USDT',
            side: 'sell',
            quoteQuantity: 600_000,
            time: T0 + 1,
          },
        },
        {
          userId: 1,
          trade: {
            ...fill(4, 300_000, 2, 2, 'buy', 'maker'),
            orderId: 'b1',
            symbol: 'BTC-USDT',
            side: 'buy',
            quoteQuantity: 600_000,
            time: T0 + 1,
          },
        },
      ]);
      expect(b.publicTrades).to.deep.equal([
        { tradeId: 'BTC-USDT:4', price: 300_000, quantity: 2, takerSide: 'sell', time: T0 + 1 },
      ]);
      expect(b.outcomes).to.deep.equal([{ orderId: 's1', outcome: { kind: 'order', order: taker } }]);
    });

    it('fills accumulate over batches until the maker is filled', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('a1', 1, 300_000, 3)]); // 1-2
      await h.batch([buy('t1', 2, 300_000, 1)]); // 3-5
      const b = await h.batch([buy('t2', 3, 300_000, 2)]); // 6 accepted, 7 trade, 8 done a1, 9 done t2
      // Maker seller receives 300 000 then 600 000 quote units: fees 300 and 600.
      expect(orderOf(b, 'a1')).to.deep.equal(
        limitRecord('a1', 1, 'sell', 300_000, 3, {
          status: 'filled',
          filledQuantity: 3,
          filledQuote: 900_000,
          fills: [fill(4, 300_000, 1, 300, 'sell', 'maker'), fill(7, 300_000, 2, 600, 'sell', 'maker')],
          updatedAt: T0 + 2,
        }),
      );
      expect(b.orders.find((o) => o.record.orderId === 'a1')).to.include({ created: false, wasOpen: true });
    });

    it('a taker across levels in the batch of its makers: no load, fees rounded down, rests the rest', async () => {
      const h = new ProjectionHarness();
      const b = await h.batch([
        sell('a1', 1, 300_000, 1), // 1-2
        sell('a2', 2, 300_010, 2), // 3-4
        buy('t', 3, 300_010, 5), // 5 accepted, 6 trade a1, 7 done a1, 8 trade a2, 9 done a2, 10 rested
      ]);
      expect(h.loads).to.deep.equal([]);
      expect(ids(b)).to.deep.equal(['a1', 'a2', 't']);
      // a2 receives 600 020 quote units: 600.02 rounds down to 600. The taker receives 1 000 then
      // 2 000 base units: fees 2 and 4.
      expect(orderOf(b, 'a2')).to.deep.equal(
        limitRecord('a2', 2, 'sell', 300_010, 2, {
          status: 'filled',
          filledQuantity: 2,
          filledQuote: 600_020,
          fills: [fill(8, 300_010, 2, 600, 'sell', 'maker')],
          createdAt: T0 + 1,
          updatedAt: T0 + 2,
        }),
      );
      const taker = limitRecord('t', 3, 'buy', 300_010, 5, {
        status: 'partially_filled',
        filledQuantity: 3,
        filledQuote: 900_020,
        fills: [fill(6, 300_000, 1, 2, 'buy', 'taker'), fill(8, 300_010, 2, 4, 'buy', 'taker')],
        createdAt: T0 + 2,
        updatedAt: T0 + 2,
      });
      expect(orderOf(b, 't')).to.deep.equal(taker);
      expect(b.outcomes).to.have.length(3);
      expect(b.outcomes[2]).to.deep.equal({ orderId: 't', outcome: { kind: 'order', order: taker } });
      expect(b.publicTrades.map((t) => t.tradeId)).to.deep.equal(['BTC-USDT:6', 'BTC-USDT:8']);
      expect(b.userTrades.map((t) => [t.userId, t.trade.orderId, t.trade.liquidity])).to.deep.equal([
        [3, 't', 'taker'],
        [1, 'a1', 'maker'],
        [3, 't', 'taker'],
        [2, 'a2', 'maker'],
      ]);
    });

    it('fees follow feesChanged, and quote fees use the market quote unit', async () => {
      const h = new ProjectionHarness(XYZ_EUR, undefined, {
        definition: { symbol: 'XYZ-EUR', base: 'XYZ', quote: 'EUR' },
      });
      const b = await h.batch([
        setFees(10_000, 30_000), // 1 feesChanged: 1 % maker, 3 % taker
        sell('a1', 1, 7, 3), // 2-3
        buy('t', 2, 7, 3), // 4 accepted, 5 trade, 6 done a1, 7 done t
      ]);
      expect(b.outcomes[0]).to.equal(null);
      // quote = 3 × 7 × 25 = 525: maker fee 5.25 → 5 (EUR); taker receives 300 base units: 9 (XYZ).
      expect(orderOf(b, 'a1').fills).to.deep.equal([
        { tradeId: 'XYZ-EUR:5', price: 7, quantity: 3, fee: 5, feeAsset: 'EUR', liquidity: 'maker' },
      ]);
      expect(orderOf(b, 't').fills[0]).to.include({ fee: 9, feeAsset: 'XYZ', liquidity: 'taker' });
      expect(orderOf(b, 't').symbol).to.equal('XYZ-EUR');
      expect(orderOf(b, 't').filledQuote).to.equal(525);
    });
  });

  describe('cancel and cancelAll', () => {
    it('cancels a partly filled order of an earlier batch: fills kept, outcome is the canceled order', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5), sell('s1', 2, 300_000, 2)]); // 1-2, 3-5
      const b = await h.batch([cancel('b1', 1)]); // 6 canceled, 7 done
      const canceled = limitRecord('b1', 1, 'buy', 300_000, 5, {
        status: 'canceled',
        filledQuantity: 2,
        filledQuote: 600_000,
        fills: [fill(4, 300_000, 2, 2, 'buy', 'maker')],
        updatedAt: T0 + 2,
      });
      expect(b.orders).to.deep.equal([{ record: canceled, created: false, wasOpen: true }]);
      expect(b.outcomes).to.deep.equal([{ orderId: 'b1', outcome: { kind: 'order', order: canceled } }]);
      expect(b.depthChanged).to.equal(true);
      expect(h.loads).to.deep.equal([['b1']]);
    });

    it('a refused cancel changes nothing and answers the reason, without loading', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5)]);
      const b = await h.batch([cancel('b1', 2), cancel('nope', 1)]);
      expect(b.orders).to.deep.equal([]);
      expect(b.outcomes).to.deep.equal([
        { orderId: 'b1', outcome: { kind: 'rejected', reason: 'ORDER_NOT_FOUND' } },
        { orderId: 'nope', outcome: { kind: 'rejected', reason: 'ORDER_NOT_FOUND' } },
      ]);
      expect(b.depthChanged).to.equal(false);
      expect(h.loads).to.deep.equal([]);
    });

    it('cancelAll cancels the user’s resting orders only, and answers no one', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5), sell('a1', 1, 300_100, 1), buy('b2', 2, 299_000, 1)]);
      const b = await h.batch([cancelAll(1), cancelAll(3)]);
      expect(ids(b)).to.deep.equal(['b1', 'a1']);
      expect(b.orders.map((o) => [o.record.status, o.wasOpen, o.created])).to.deep.equal([
        ['canceled', true, false],
        ['canceled', true, false],
      ]);
      expect(b.outcomes).to.deep.equal([null, null]);
      expect(h.loads).to.deep.equal([['b1', 'a1']]);
    });

    it('place and cancel in one batch: each outcome is the order after its own command', async () => {
      const h = new ProjectionHarness();
      const b = await h.batch([buy('b1', 1, 300_000, 5), cancel('b1', 1)]);
      const placed = limitRecord('b1', 1, 'buy', 300_000, 5);
      const canceled = { ...placed, status: 'canceled' as const, updatedAt: T0 + 1 };
      expect(b.outcomes).to.deep.equal([
        { orderId: 'b1', outcome: { kind: 'order', order: placed } },
        { orderId: 'b1', outcome: { kind: 'order', order: canceled } },
      ]);
      expect(b.orders).to.deep.equal([{ record: canceled, created: true, wasOpen: true }]);
    });

    it('an outcome does not change when a later command of the batch fills its order', async () => {
      const h = new ProjectionHarness();
      const b = await h.batch([buy('b1', 1, 300_000, 5), sell('s1', 2, 300_000, 5)]);
      const first = b.outcomes[0]!.outcome;
      expect(first.kind === 'order' && first.order.status).to.equal('new');
      expect(first.kind === 'order' && first.order.fills).to.deep.equal([]);
      expect(orderOf(b, 'b1').status).to.equal('filled');
    });
  });

  describe('amend', () => {
    it('a smaller quantity keeps priority: quantity and updatedAt change, status stays', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5), sell('s1', 2, 300_000, 1)]);
      const b = await h.batch([amend('b1', 1, 0, 3)]);
      const amended = limitRecord('b1', 1, 'buy', 300_000, 3, {
        status: 'partially_filled',
        filledQuantity: 1,
        filledQuote: 300_000,
        fills: [fill(4, 300_000, 1, 1, 'buy', 'maker')],
        updatedAt: T0 + 2,
      });
      expect(b.orders).to.deep.equal([{ record: amended, created: false, wasOpen: true }]);
      expect(b.outcomes).to.deep.equal([{ orderId: 'b1', outcome: { kind: 'order', order: amended } }]);
      expect(b.depthChanged).to.equal(true);
    });

    it('a new crossing price loses priority and trades as taker, then rests at the new price', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('s1', 2, 300_010, 2), buy('b1', 1, 300_000, 5)]); // 1-2, 3-4
      const b = await h.batch([amend('b1', 1, 300_010, 0)]); // 5 amended, 6 trade, 7 done s1, 8 rested
      expect(h.loads).to.deep.equal([['b1', 's1']]);
      expect(orderOf(b, 'b1')).to.deep.equal(
        limitRecord('b1', 1, 'buy', 300_010, 5, {
          status: 'partially_filled',
          filledQuantity: 2,
          filledQuote: 600_020,
          fills: [fill(6, 300_010, 2, 4, 'buy', 'taker')],
          createdAt: T0 + 1,
          updatedAt: T0 + 2,
        }),
      );
      expect(orderOf(b, 's1')).to.include({ status: 'filled', filledQuantity: 2 });
      expect(orderOf(b, 's1').fills).to.deep.equal([fill(6, 300_010, 2, 600, 'sell', 'maker')]);
    });

    it('a refused amend, by the engine or by the owner, answers the reason', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5), sell('s1', 2, 300_000, 2)]);
      const b = await h.batch([
        amend('b1', 1, 0, 2),
        { refuse: { orderId: 'b1', reason: 'INSUFFICIENT_FUNDS' } },
      ]);
      expect(b.outcomes).to.deep.equal([
        { orderId: 'b1', outcome: { kind: 'rejected', reason: 'INVALID_QUANTITY' } },
        { orderId: 'b1', outcome: { kind: 'rejected', reason: 'INSUFFICIENT_FUNDS' } },
      ]);
      expect(b.orders).to.deep.equal([]);
    });
  });

  describe('expiry', () => {
    it('STP expire_maker: the own maker expires with its reason, the taker goes on', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('m1', 1, 300_000, 2), sell('m2', 2, 300_000, 2)]); // 1-2, 3-4
      // 5 accepted, 6 expired m1, 7 done m1, 8 trade m2, 9 done m2, 10 rested t
      const b = await h.batch([buy('t', 1, 300_000, 3, { selfTradePrevention: 'expire_maker' })]);
      expect(orderOf(b, 'm1')).to.deep.equal(
        limitRecord('m1', 1, 'sell', 300_000, 2, {
          status: 'expired',
          rejectReason: 'SELF_TRADE_PREVENTION',
          updatedAt: T0 + 2,
        }),
      );
      expect(b.orders.find((o) => o.record.orderId === 'm1')).to.include({ created: false, wasOpen: true });
      expect(orderOf(b, 't')).to.include({
        status: 'partially_filled',
        filledQuantity: 2,
        rejectReason: null,
        selfTradePrevention: 'expire_maker',
      });
      expect(b.depthChanged).to.equal(true);
    });

    it('STP expire_taker: only the taker expires; the book and the maker are untouched', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('m1', 1, 300_000, 2)]);
      const b = await h.batch([buy('t', 1, 300_000, 3)]);
      const expired = limitRecord('t', 1, 'buy', 300_000, 3, {
        status: 'expired',
        rejectReason: 'SELF_TRADE_PREVENTION',
        createdAt: T0 + 1,
        updatedAt: T0 + 1,
      });
      expect(b.orders).to.deep.equal([{ record: expired, created: true, wasOpen: false }]);
      expect(b.depthChanged).to.equal(false);
      expect(h.loads).to.deep.equal([]);
    });

    it('STP expire_both: the own maker and the taker expire, with the fills made before', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('m2', 2, 300_000, 1), sell('m1', 1, 300_010, 2)]); // 1-2, 3-4
      // 5 accepted, 6 trade m2, 7 done m2, 8 expired m1, 9 done m1, 10 expired t, 11 done t
      const b = await h.batch([buy('t', 1, 300_010, 3, { selfTradePrevention: 'expire_both' })]);
      expect(ids(b)).to.deep.equal(['t', 'm2', 'm1']);
      expect(orderOf(b, 'm1')).to.include({ status: 'expired', rejectReason: 'SELF_TRADE_PREVENTION' });
      expect(orderOf(b, 't')).to.include({
        status: 'expired',
        rejectReason: 'SELF_TRADE_PREVENTION',
        filledQuantity: 1,
        filledQuote: 300_000,
      });
      expect(orderOf(b, 't').fills).to.deep.equal([fill(6, 300_000, 1, 2, 'buy', 'taker')]);
    });

    it('a market buy by quote that cannot afford one lot expires FUNDS_EXHAUSTED', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('m1', 2, 300_000, 2)]);
      const b = await h.batch([marketBuyQuote('q', 1, 299_999)]);
      expect(b.orders.map((o) => o.record)).to.deep.equal([
        limitRecord('q', 1, 'buy', 0, 0, {
          type: 'market',
          price: null,
          quantity: null,
          quoteQuantity: 299_999,
          timeInForce: 'IOC',
          status: 'expired',
          rejectReason: 'FUNDS_EXHAUSTED',
          createdAt: T0 + 1,
          updatedAt: T0 + 1,
        }),
      ]);
      expect(b.depthChanged).to.equal(false);
    });

    it('FOK that cannot fill expires whole; one that can is filled', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('m1', 2, 300_000, 2)]);
      const failed = await h.batch([buy('f1', 1, 300_000, 3, { timeInForce: 'FOK' })]);
      expect(failed.orders).to.deep.equal([
        {
          record: limitRecord('f1', 1, 'buy', 300_000, 3, {
            timeInForce: 'FOK',
            status: 'expired',
            rejectReason: 'FOK_NOT_FILLABLE',
            createdAt: T0 + 1,
            updatedAt: T0 + 1,
          }),
          created: true,
          wasOpen: false,
        },
      ]);
      expect(failed.depthChanged).to.equal(false);
      const filled = await h.batch([buy('f2', 1, 300_000, 2, { timeInForce: 'FOK' })]);
      expect(orderOf(filled, 'f2')).to.include({ status: 'filled', filledQuantity: 2, rejectReason: null });
      expect(orderOf(filled, 'm1')).to.include({ status: 'filled' });
    });

    it('IOC and market sell: the unfilled rest expires (NO_LIQUIDITY) after the fills', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('m1', 2, 300_000, 2)]);
      const b = await h.batch([marketSell('ms', 1, 5)]);
      expect(orderOf(b, 'ms')).to.deep.equal({
        ...limitRecord('ms', 1, 'sell', 0, 5, {
          type: 'market',
          price: null,
          timeInForce: 'IOC',
          status: 'expired',
          filledQuantity: 2,
          filledQuote: 600_000,
          rejectReason: 'NO_LIQUIDITY',
          fills: [fill(4, 300_000, 2, 1200, 'sell', 'taker')],
          createdAt: T0 + 1,
          updatedAt: T0 + 1,
        }),
      });
      const ioc = await h.batch([buy('i1', 3, 300_000, 1, { timeInForce: 'IOC' })]);
      expect(orderOf(ioc, 'i1')).to.include({ status: 'expired', rejectReason: 'NO_LIQUIDITY' });
      expect(ioc.depthChanged).to.equal(false);
    });
  });

  describe('market buys', () => {
    it('by quote amount: quoteQuantity kept, quantity and price null, filled when the budget is spent', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('m1', 2, 300_000, 2), sell('m2', 2, 300_010, 2)]);
      // Spend up to 700 000: 2 lots at 300 000 = 600 000; one more at 300 010 is not affordable.
      const b = await h.batch([withCoid(marketBuyQuote('q', 1, 700_000), 'q-1')]);
      const record: OrderRecord = {
        ...limitRecord('q', 1, 'buy', 0, 0, {
          clientOrderId: 'q-1',
          type: 'market',
          price: null,
          quantity: null,
          quoteQuantity: 700_000,
          timeInForce: 'IOC',
          status: 'filled',
          filledQuantity: 2,
          filledQuote: 600_000,
          fills: [fill(6, 300_000, 2, 4, 'buy', 'taker')],
          createdAt: T0 + 2,
          updatedAt: T0 + 2,
        }),
      };
      expect(orderOf(b, 'q')).to.deep.equal(record);
      expect(b.outcomes).to.deep.equal([{ orderId: 'q', outcome: { kind: 'order', order: record } }]);
    });

    it('by quote amount on an empty book expires, and by base keeps its quantity', async () => {
      const h = new ProjectionHarness();
      const empty = await h.batch([marketBuyQuote('q', 1, 700_000)]);
      expect(orderOf(empty, 'q')).to.include({
        status: 'expired',
        quantity: null,
        quoteQuantity: 700_000,
        rejectReason: 'NO_LIQUIDITY',
      });
      await h.batch([sell('m1', 2, 300_000, 2)]);
      // The matcher gives a market buy by base its held budget as quoteLimit; that is no quoteQuantity.
      const byBase = await h.batch([marketBuy('mb', 1, 1, { quoteLimit: 1_000_000 })]);
      expect(orderOf(byBase, 'mb')).to.include({
        status: 'filled',
        quantity: 1,
        quoteQuantity: null,
        price: null,
      });
    });
  });

  describe('rejections', () => {
    it('a place the engine rejects is a rejected order with the reason, never open', async () => {
      const h = new ProjectionHarness();
      await h.batch([sell('m1', 2, 300_000, 2)]);
      const b = await h.batch([withCoid(buy('p', 1, 300_000, 1, { postOnly: true }), 'post-1')]);
      const rejected = limitRecord('p', 1, 'buy', 300_000, 1, {
        clientOrderId: 'post-1',
        postOnly: true,
        status: 'rejected',
        rejectReason: 'POST_ONLY_WOULD_TAKE',
        createdAt: T0 + 1,
        updatedAt: T0 + 1,
      });
      expect(b.orders).to.deep.equal([{ record: rejected, created: true, wasOpen: false }]);
      expect(b.outcomes).to.deep.equal([{ orderId: 'p', outcome: { kind: 'order', order: rejected } }]);
      expect(b.depthChanged).to.equal(false);
    });

    it('DUPLICATE_ORDER_ID leaves the resting order’s record alone and answers a rejection', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5)]);
      const b = await h.batch([sell('b1', 9, 310_000, 1)]);
      expect(b.orders).to.deep.equal([]);
      expect(b.outcomes).to.deep.equal([
        { orderId: 'b1', outcome: { kind: 'rejected', reason: 'DUPLICATE_ORDER_ID' } },
      ]);
    });

    it('rejectForFunds: a rejected order from the command alone, in its place among the outcomes', async () => {
      const h = new ProjectionHarness();
      const b = await h.batch([
        buy('b1', 1, 300_000, 5),
        noFunds(marketBuyQuote('q', 2, 900), 'q-2'),
        sell('s1', 3, 300_000, 1),
      ]);
      const rejected: OrderRecord = limitRecord('q', 2, 'buy', 0, 0, {
        clientOrderId: 'q-2',
        type: 'market',
        price: null,
        quantity: null,
        quoteQuantity: 900,
        timeInForce: 'IOC',
        status: 'rejected',
        rejectReason: 'INSUFFICIENT_FUNDS',
        createdAt: T0 + 1,
        updatedAt: T0 + 1,
      });
      expect(b.outcomes.map((o) => o?.orderId)).to.deep.equal(['b1', 'q', 's1']);
      expect(b.outcomes[1]).to.deep.equal({ orderId: 'q', outcome: { kind: 'order', order: rejected } });
      expect(b.orders.find((o) => o.record.orderId === 'q')).to.deep.equal({
        record: rejected,
        created: true,
        wasOpen: false,
      });
      // The engine never saw it: the trade's seq follows b1 directly.
      expect(orderOf(b, 's1').fills[0]!.tradeId).to.equal('BTC-USDT:4');
    });
  });

  describe('previous records', () => {
    it('loads once per batch, only the orders it did not accept itself', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5), buy('b2', 1, 299_000, 5)]);
      await h.batch([sell('s1', 2, 299_000, 6), cancel('b2', 1), sell('s2', 3, 310_000, 1), cancel('s2', 3)]);
      expect(h.loads).to.deep.equal([['b1', 'b2']]);
    });

    it('an order without a previous record is rebuilt from the events and reported missing', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5), sell('a1', 4, 301_000, 3)]);
      h.store.clear();
      const b = await h.batch([cancel('b1', 1), buy('t', 2, 301_000, 3)]);
      expect(b.missing).to.deep.equal(['b1', 'a1']);
      expect(orderOf(b, 'b1')).to.deep.include({
        status: 'canceled',
        side: 'buy',
        type: 'limit',
        timeInForce: 'GTC',
        quantity: 5,
        filledQuantity: 0,
      });
      expect(orderOf(b, 'a1')).to.deep.include({
        status: 'filled',
        side: 'sell',
        price: 301_000,
        quantity: 3,
        filledQuantity: 3,
        filledQuote: 903_000,
      });
      expect(b.orders.find((o) => o.record.orderId === 'a1')).to.include({ created: true, wasOpen: true });
    });

    it('a replayed batch adds no fill twice and no user or public trade again', async () => {
      const h = new ProjectionHarness();
      await h.batch([buy('b1', 1, 300_000, 5)]);
      const snapshot = h.book.snapshot();
      const start = h.now;
      const first = await h.batch([sell('s1', 2, 300_000, 2), sell('s2', 3, 300_000, 1)]);
      expect(first.publicTrades).to.have.length(2);

      for (const replay of [false, true]) {
        h.book = OrderBook.restore(snapshot);
        h.now = start;
        const again = await h.batch([sell('s1', 2, 300_000, 2), sell('s2', 3, 300_000, 1)], { replay });
        expect(again.userTrades, `replay ${replay}`).to.deep.equal([]);
        expect(again.publicTrades).to.deep.equal([]);
        expect(again.orders.map((o) => o.record)).to.have.deep.members(first.orders.map((o) => o.record));
      }
      expect(h.loads.at(-1)).to.deep.equal(['s1', 'b1', 's2']);
    });
  });

  describe('API details', () => {
    it('a step nobody waits for projects the same orders and trades, and answers null', async () => {
      const items = [
        buy('b1', 1, 300_000, 5),
        noFunds(marketBuyQuote('q', 2, 900)),
        sell('s1', 2, 300_000, 2),
        { refuse: { orderId: 'b1', reason: 'INSUFFICIENT_FUNDS' } },
        cancel('b1', 1),
      ];
      const answered = await new ProjectionHarness().batch(items);
      const unanswered = await new ProjectionHarness().batch(items, { answer: false });
      expect(answered.outcomes.map((o) => o?.orderId)).to.deep.equal(['b1', 'q', 's1', 'b1', 'b1']);
      expect(unanswered.outcomes).to.deep.equal([null, null, null, null, null]);
      expect(unanswered.orders).to.deep.equal(answered.orders);
      expect(unanswered.userTrades).to.deep.equal(answered.userTrades);
      expect(unanswered.publicTrades).to.deep.equal(answered.publicTrades);
      expect(unanswered.depthChanged).to.equal(answered.depthChanged);
      expect(orderOf(unanswered, 'b1')).to.deep.include({ status: 'canceled', filledQuantity: 2 });
    });

    it('a plain PlaceCommand has no clientOrderId; outcomes follow the calls', async () => {
      const projection = new OrderProjection(MARKET, async () => {
        throw new Error('nothing to load');
      });
      const book = new OrderBook(BTC_USDT);
      const events: EngineEvent[] = [];
      const command = { ...buy('b1', 1, 300_000, 5), timestamp: T0 };
      book.apply(command, events);
      expect(projection.applied(command, events)).to.equal(0);
      expect(projection.refuse('x', 'WHY')).to.equal(1);
      expect(projection.pending).to.equal(2);
      const b = await projection.finish();
      expect(orderOf(b, 'b1').clientOrderId).to.equal(null);
      expect(b.outcomes).to.have.length(2);
      expect(projection.pending).to.equal(0);
      expect((await projection.finish()).outcomes).to.deep.equal([]);
    });

    it('trade ids are SYMBOL:seq and parse back', () => {
      expect(tradeIdOf('BTC-USDT', 42)).to.equal('BTC-USDT:42');
      expect(parseTradeId('BTC-USDT:42')).to.deep.equal({ symbol: 'BTC-USDT', seq: 42 });
      for (const bad of ['42', ':42', 'BTC-USDT:', 'BTC-USDT:04', 'BTC-USDT:0', 'BTC-USDT:1.5']) {
        expect(parseTradeId(bad), bad).to.equal(undefined);
      }
    });
  });
});
