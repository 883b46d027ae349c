import { expect } from 'chai';
import { checkConservation } from '../support/conservation.ts';
import { balanceMap, type Order, type PlaceOrder } from '../support/http-client.ts';
import { Harness, placed, waitForDepth, waitForOrder } from './harness.ts';

/**
 * Every order type, time in force, post-only, funds refusal and self-trade prevention mode through
 * the whole pipeline, on BTC-USDT (tick 0.01, lot 0.00001, maker 0.1 %, taker 0.2 %, 8 decimals):
 * exact fills, fees in the asset received, and the balances each outcome leaves.
 */
describe('e2e: order types, time in force, post-only, funds and self-trade prevention', function () {
  this.timeout(20_000);
  const symbol = 'BTC-USDT';
  let h: Harness;

  const limit = (side: 'buy' | 'sell', price: string, quantity: string, extra: Partial<PlaceOrder> = {}) =>
    ({ symbol, side, type: 'limit', price, quantity, ...extra }) as const;
  const fillsOf = (order: Order) => order.fills.map(({ tradeId: _, ...fill }) => fill);

  before(async function () {
    this.timeout(30_000);
    h = await Harness.start();
  });
  afterEach(async () => h.clearBooks([symbol]));
  after(async () => h?.stop());

  it('limit GTC rests, fills partially as a maker and ends filled', async () => {
    const maker = await h.trader({ BTC: '1' });
    const taker = await h.trader({ USDT: '10000' });
    const ask = await placed(maker.client, limit('sell', '30000', '0.2'));
    expect(ask).to.include({ status: 'new', timeInForce: 'GTC' });
    const bid = await placed(taker.client, limit('buy', '30000', '0.05'));
    expect(bid).to.include({ status: 'filled', filledQuoteQuantity: '1500.00000000' });
    const partial = await waitForOrder(maker.client, ask.orderId, ['partially_filled']);
    expect(partial).to.include({ filledQuantity: '0.05000', filledQuoteQuantity: '1500.00000000' });
    expect(fillsOf(partial)).to.deep.equal([
      { price: '30000.00', quantity: '0.05000', fee: '1.50000000', feeAsset: 'USDT', liquidity: 'maker' },
    ]);
    await placed(taker.client, limit('buy', '30000', '0.15'));
    expect((await waitForOrder(maker.client, ask.orderId)).status).to.equal('filled');
    expect(balanceMap((await maker.client.balances()).body)).to.deep.equal({
      BTC: ['0.80000000', '0.00000000'],
      USDT: ['5994.00000000', '0.00000000'],
    });
    expect(balanceMap((await taker.client.balances()).body)).to.deep.equal({
      BTC: ['0.19960000', '0.00000000'],
      USDT: ['4000.00000000', '0.00000000'],
    });
  });

  it('limit IOC takes what it can and expires the rest', async () => {
    const maker = await h.trader({ BTC: '1' });
    const taker = await h.trader({ USDT: '10000' });
    await placed(maker.client, limit('sell', '30000', '0.1'));
    await placed(maker.client, limit('sell', '30000.01', '0.1'));
    const ioc = await placed(taker.client, limit('buy', '30000', '0.3', { timeInForce: 'IOC' }));
    expect(ioc).to.include({
      status: 'expired',
      timeInForce: 'IOC',
      filledQuantity: '0.10000',
      filledQuoteQuantity: '3000.00000000',
      rejectReason: 'NO_LIQUIDITY',
    });
    expect(fillsOf(ioc)).to.deep.equal([
      { price: '30000.00', quantity: '0.10000', fee: '0.00020000', feeAsset: 'BTC', liquidity: 'taker' },
    ]);
    expect(balanceMap((await taker.client.balances()).body)).to.deep.equal({
      BTC: ['0.09980000', '0.00000000'],
      USDT: ['7000.00000000', '0.00000000'],
    });
    await waitForDepth(h.system.http, symbol, { bids: [], asks: [['30000.01', '0.10000']] });
  });

  it('limit FOK fills completely or not at all, leaving the book untouched', async () => {
    const maker = await h.trader({ BTC: '1' });
    const taker = await h.trader({ USDT: '10000' });
    await placed(maker.client, limit('sell', '30000', '0.1'));
    await placed(maker.client, limit('sell', '30001', '0.1'));

    const tooBig = await placed(taker.client, limit('buy', '30001', '0.25', { timeInForce: 'FOK' }));
    expect(tooBig).to.include({
      status: 'expired',
      filledQuantity: '0.00000',
      rejectReason: 'FOK_NOT_FILLABLE',
    });
    expect(tooBig.fills).to.deep.equal([]);
    expect(balanceMap((await taker.client.balances()).body)).to.deep.equal({
      USDT: ['10000.00000000', '0.00000000'],
    });
    await waitForDepth(h.system.http, symbol, {
      bids: [],
      asks: [
        ['30000.00', '0.10000'],
        ['30001.00', '0.10000'],
      ],
    });

    const fok = await placed(taker.client, limit('buy', '30001', '0.2', { timeInForce: 'FOK' }));
    expect(fok).to.include({
      status: 'filled',
      filledQuantity: '0.20000',
      filledQuoteQuantity: '6000.10000000',
    });
    expect(fillsOf(fok)).to.deep.equal([
      { price: '30000.00', quantity: '0.10000', fee: '0.00020000', feeAsset: 'BTC', liquidity: 'taker' },
      { price: '30001.00', quantity: '0.10000', fee: '0.00020000', feeAsset: 'BTC', liquidity: 'taker' },
    ]);
    expect(balanceMap((await taker.client.balances()).body)).to.deep.equal({
      BTC: ['0.19960000', '0.00000000'],
      USDT: ['3999.90000000', '0.00000000'],
    });
  });

  it('market buy by quantity walks the book within the whole balance', async () => {
    const maker = await h.trader({ BTC: '1' });
    const taker = await h.trader({ USDT: '10000' });
    await placed(maker.client, limit('sell', '30000', '0.1'));
    await placed(maker.client, limit('sell', '30010', '0.1'));
    const order = await placed(taker.client, { symbol, side: 'buy', type: 'market', quantity: '0.15' });
    expect(order).to.include({
      type: 'market',
      price: null,
      quantity: '0.15000',
      quoteQuantity: null,
      timeInForce: 'IOC',
      status: 'filled',
      filledQuantity: '0.15000',
      filledQuoteQuantity: '4500.50000000',
    });
    expect(fillsOf(order)).to.deep.equal([
      { price: '30000.00', quantity: '0.10000', fee: '0.00020000', feeAsset: 'BTC', liquidity: 'taker' },
      { price: '30010.00', quantity: '0.05000', fee: '0.00010000', feeAsset: 'BTC', liquidity: 'taker' },
    ]);
    expect(balanceMap((await taker.client.balances()).body)).to.deep.equal({
      BTC: ['0.14970000', '0.00000000'],
      USDT: ['5499.50000000', '0.00000000'],
    });
    expect(balanceMap((await maker.client.balances()).body)).to.deep.equal({
      BTC: ['0.80000000', '0.05000000'],
      USDT: ['4495.99950000', '0.00000000'],
    });
  });

  it('market buy by quoteQuantity spends up to the amount, to the lot', async () => {
    const maker = await h.trader({ BTC: '1' });
    const taker = await h.trader({ USDT: '10000' });
    await placed(maker.client, limit('sell', '30000', '0.1'));
    const order = await placed(taker.client, { symbol, side: 'buy', type: 'market', quoteQuantity: '1000' });
    // floor(1000 / (30000 × 0.00001)) = 3333 lots = 0.03333 BTC for 999.90 USDT.
    expect(order).to.include({
      quantity: null,
      quoteQuantity: '1000.00000000',
      status: 'filled',
      filledQuantity: '0.03333',
      filledQuoteQuantity: '999.90000000',
    });
    expect(fillsOf(order)).to.deep.equal([
      { price: '30000.00', quantity: '0.03333', fee: '0.00006666', feeAsset: 'BTC', liquidity: 'taker' },
    ]);
    expect(balanceMap((await taker.client.balances()).body)).to.deep.equal({
      BTC: ['0.03326334', '0.00000000'],
      USDT: ['9000.10000000', '0.00000000'],
    });
  });

  it('market sell walks the bids; with no bids it expires and releases its hold', async () => {
    const maker = await h.trader({ USDT: '10000' });
    const taker = await h.trader({ BTC: '1' });
    await placed(maker.client, limit('buy', '29990', '0.1'));
    await placed(maker.client, limit('buy', '29980', '0.1'));
    const order = await placed(taker.client, { symbol, side: 'sell', type: 'market', quantity: '0.15' });
    expect(order).to.include({
      status: 'filled',
      filledQuantity: '0.15000',
      filledQuoteQuantity: '4498.00000000',
    });
    expect(fillsOf(order)).to.deep.equal([
      { price: '29990.00', quantity: '0.10000', fee: '5.99800000', feeAsset: 'USDT', liquidity: 'taker' },
      { price: '29980.00', quantity: '0.05000', fee: '2.99800000', feeAsset: 'USDT', liquidity: 'taker' },
    ]);
    expect(balanceMap((await taker.client.balances()).body)).to.deep.equal({
      BTC: ['0.85000000', '0.00000000'],
      USDT: ['4489.00400000', '0.00000000'],
    });

    await h.clearBooks([symbol]);
    const seller = await h.trader({ BTC: '1' });
    const empty = await placed(seller.client, { symbol, side: 'sell', type: 'market', quantity: '0.5' });
    expect(empty).to.include({ status: 'expired', filledQuantity: '0.00000', rejectReason: 'NO_LIQUIDITY' });
    expect(balanceMap((await seller.client.balances()).body)).to.deep.equal({
      BTC: ['1.00000000', '0.00000000'],
    });
  });

  it('post-only: rejected with POST_ONLY_WOULD_TAKE when it would take, rests otherwise', async () => {
    const maker = await h.trader({ BTC: '1' });
    const user = await h.trader({ USDT: '10000' });
    await placed(maker.client, limit('sell', '30000', '0.1'));
    const taking = await placed(user.client, limit('buy', '30000', '0.1', { postOnly: true }));
    expect(taking).to.include({ status: 'rejected', rejectReason: 'POST_ONLY_WOULD_TAKE', postOnly: true });
    expect(taking.fills).to.deep.equal([]);
    expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
      USDT: ['10000.00000000', '0.00000000'],
    });
    const got = await waitForOrder(user.client, taking.orderId, ['rejected']);
    expect(got.rejectReason).to.equal('POST_ONLY_WOULD_TAKE');

    const making = await placed(user.client, limit('buy', '29999.99', '0.1', { postOnly: true }));
    expect(making).to.include({ status: 'new', postOnly: true });
    await waitForDepth(h.system.http, symbol, {
      bids: [['29999.99', '0.10000']],
      asks: [['30000.00', '0.10000']],
    });
  });

  it('an order without the funds is an order with status rejected and INSUFFICIENT_FUNDS', async () => {
    const user = await h.trader({ USDT: '10' });
    const buy = await placed(user.client, limit('buy', '30000', '0.001'));
    expect(buy).to.include({
      status: 'rejected',
      rejectReason: 'INSUFFICIENT_FUNDS',
      filledQuantity: '0.00000',
    });
    const sell = await placed(user.client, limit('sell', '30000', '0.001'));
    expect(sell).to.include({ status: 'rejected', rejectReason: 'INSUFFICIENT_FUNDS' });
    const market = await placed(user.client, { symbol, side: 'buy', type: 'market', quoteQuantity: '20' });
    expect(market).to.include({ status: 'rejected', rejectReason: 'INSUFFICIENT_FUNDS' });
    expect((await waitForOrder(user.client, buy.orderId, ['rejected'])).rejectReason).to.equal(
      'INSUFFICIENT_FUNDS',
    );
    expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
      USDT: ['10.00000000', '0.00000000'],
    });
  });

  describe('self-trade prevention between two orders of one user', () => {
    it('expire_taker (the default) expires the incoming order and keeps the resting one', async () => {
      const user = await h.trader({ BTC: '1', USDT: '10000' });
      const ask = await placed(user.client, limit('sell', '30000', '0.1'));
      const bid = await placed(user.client, limit('buy', '30000', '0.1'));
      expect(bid).to.include({
        status: 'expired',
        rejectReason: 'SELF_TRADE_PREVENTION',
        filledQuantity: '0.00000',
      });
      expect((await user.client.order(ask.orderId)).body.status).to.equal('new');
      expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
        BTC: ['0.90000000', '0.10000000'],
        USDT: ['10000.00000000', '0.00000000'],
      });
    });

    it('expire_maker expires the resting order and goes on matching', async () => {
      const user = await h.trader({ BTC: '1', USDT: '10000' });
      const other = await h.trader({ BTC: '1' });
      const own = await placed(user.client, limit('sell', '30000', '0.1'));
      const theirs = await placed(other.client, limit('sell', '30000', '0.1'));
      const bid = await placed(
        user.client,
        limit('buy', '30000', '0.1', { selfTradePrevention: 'expire_maker' }),
      );
      expect(bid).to.include({ status: 'filled', filledQuantity: '0.10000' });
      const expired = await waitForOrder(user.client, own.orderId);
      expect(expired).to.include({ status: 'expired', rejectReason: 'SELF_TRADE_PREVENTION' });
      expect((await waitForOrder(other.client, theirs.orderId)).status).to.equal('filled');
      expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
        BTC: ['1.09980000', '0.00000000'],
        USDT: ['7000.00000000', '0.00000000'],
      });
    });

    it('expire_both expires both orders', async () => {
      const user = await h.trader({ BTC: '1', USDT: '10000' });
      const ask = await placed(user.client, limit('sell', '30000', '0.1'));
      const bid = await placed(
        user.client,
        limit('buy', '30000', '0.1', { selfTradePrevention: 'expire_both' }),
      );
      expect(bid).to.include({ status: 'expired', rejectReason: 'SELF_TRADE_PREVENTION' });
      expect(await waitForOrder(user.client, ask.orderId)).to.include({
        status: 'expired',
        rejectReason: 'SELF_TRADE_PREVENTION',
      });
      expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
        BTC: ['1.00000000', '0.00000000'],
        USDT: ['10000.00000000', '0.00000000'],
      });
      await waitForDepth(h.system.http, symbol, { bids: [], asks: [] });
    });

    it('none lets the user trade with itself, paying both fees', async () => {
      const user = await h.trader({ BTC: '1', USDT: '10000' });
      const ask = await placed(user.client, limit('sell', '30000', '0.1'));
      const bid = await placed(user.client, limit('buy', '30000', '0.1', { selfTradePrevention: 'none' }));
      expect(bid).to.include({ status: 'filled' });
      expect(fillsOf(bid)).to.deep.equal([
        { price: '30000.00', quantity: '0.10000', fee: '0.00020000', feeAsset: 'BTC', liquidity: 'taker' },
      ]);
      expect(fillsOf(await waitForOrder(user.client, ask.orderId))).to.deep.equal([
        { price: '30000.00', quantity: '0.10000', fee: '3.00000000', feeAsset: 'USDT', liquidity: 'maker' },
      ]);
      expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
        BTC: ['0.99980000', '0.00000000'],
        USDT: ['9997.00000000', '0.00000000'],
      });
      const fees = await h.system.balances.getFeesPaid(user.id);
      expect(Object.fromEntries(fees)).to.deep.equal({ BTC: 20_000n, USDT: 300_000_000n });
    });
  });

  describe('at the end', () => {
    it('conserves every asset, with nothing left locked', async () => {
      await h.clearBooks([symbol]);
      await h.system.waitForIdle([symbol]);
      await checkConservation(h.system, h.ledger, { zeroLocked: true });
    });
  });
});
