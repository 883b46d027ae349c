import { expect } from 'chai';
import { checkConservation } from '../support/conservation.ts';
import { balanceMap, codeOf, type Market } from '../support/http-client.ts';
import { Harness, placed, waitForDepth, waitForOrder } from './harness.ts';
import { pollUntil } from '../support/system.ts';

/**
 * Every route of DESIGN.md §4 over real HTTP, with the real matcher threads and Redis behind it:
 * exact decimal answers, and the effects of each command on balances, the book and the read model.
 */
describe('e2e: every route of the HTTP contract', function () {
  this.timeout(20_000);
  let h: Harness;

  before(async function () {
    this.timeout(30_000);
    h = await Harness.start();
  });
  afterEach(async () => h.clearBooks());
  after(async () => h?.stop());

  const XRP: Omit<Market, 'symbol'> = {
    base: 'XRP',
    quote: 'USDT',
    basePrecision: 8,
    quotePrecision: 8,
    tickSize: '0.0001',
    lotSize: '0.1',
    minNotional: '1',
    makerFee: '0.001',
    takerFee: '0.002',
    status: 'trading',
  };

  it('GET /v1/markets lists the seeded markets with their rules', async () => {
    const res = await h.system.http.markets();
    expect(res.status).to.equal(200);
    expect(res.body.map((m) => m.symbol)).to.deep.equal(['BTC-USDT', 'ETH-USDT', 'SOL-USDT']);
    expect(res.body[0]).to.deep.equal({
      symbol: 'BTC-USDT',
      base: 'BTC',
      quote: 'USDT',
      basePrecision: 8,
      quotePrecision: 8,
      tickSize: '0.01',
      lotSize: '0.00001',
      minNotional: '5',
      makerFee: '0.001',
      takerFee: '0.002',
      status: 'trading',
    });
  });

  it('PUT /v1/admin/markets/:symbol creates a market that trades at once, and a fee change applies to the next trade', async () => {
    const created = await h.admin.putMarket('XRP-USDT', XRP);
    expect(created.status, created.text).to.equal(201);
    expect(created.body).to.deep.equal({ symbol: 'XRP-USDT', ...XRP });
    const listed = await h.system.http.markets();
    expect(listed.body.map((m) => m.symbol)).to.deep.equal(['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT']);

    // No restart: the matcher threads pick the market up and the first order is answered by the engine.
    const seller = await h.trader({ XRP: '1000' });
    const buyer = await h.trader({ USDT: '100' });
    const ask = await placed(seller.client, {
      symbol: 'XRP-USDT',
      side: 'sell',
      type: 'limit',
      price: '0.5',
      quantity: '100',
    });
    expect(ask).to.include({ status: 'new', price: '0.5000', quantity: '100.0', filledQuantity: '0.0' });
    const first = await placed(buyer.client, {
      symbol: 'XRP-USDT',
      side: 'buy',
      type: 'limit',
      price: '0.5',
      quantity: '40',
    });
    expect(first).to.include({
      status: 'filled',
      filledQuantity: '40.0',
      filledQuoteQuantity: '20.00000000',
    });
    expect(first.fills.map(({ tradeId: _, ...fill }) => fill)).to.deep.equal([
      { price: '0.5000', quantity: '40.0', fee: '0.08000000', feeAsset: 'XRP', liquidity: 'taker' },
    ]);

    // Immutable fields cannot change; fees can, and the next trade is charged the new rates.
    const conflict = await h.admin.putMarket('XRP-USDT', { ...XRP, tickSize: '0.001' });
    expect(conflict.status).to.equal(409);
    expect(codeOf(conflict)).to.equal('MARKET_UPDATE_CONFLICT');
    const updated = await h.admin.putMarket('XRP-USDT', { ...XRP, makerFee: '0.0005', takerFee: '0.003' });
    expect(updated.status, updated.text).to.equal(200);
    expect(updated.body).to.include({ makerFee: '0.0005', takerFee: '0.003' });
    const second = await placed(buyer.client, {
      symbol: 'XRP-USDT',
      side: 'buy',
      type: 'limit',
      price: '0.5',
      quantity: '20',
    });
    expect(second.fills.map(({ tradeId: _, ...fill }) => fill)).to.deep.equal([
      { price: '0.5000', quantity: '20.0', fee: '0.06000000', feeAsset: 'XRP', liquidity: 'taker' },
    ]);
    const makerOrder = await waitForOrder(seller.client, ask.orderId, ['partially_filled']);
    expect(makerOrder.fills.map((f) => [f.quantity, f.fee, f.feeAsset, f.liquidity])).to.deep.equal([
      ['40.0', '0.02000000', 'USDT', 'maker'],
      ['20.0', '0.00500000', 'USDT', 'maker'],
    ]);
    expect(balanceMap((await buyer.client.balances()).body)).to.deep.equal({
      USDT: ['70.00000000', '0.00000000'],
      XRP: ['59.86000000', '0.00000000'],
    });
    expect(balanceMap((await seller.client.balances()).body)).to.deep.equal({
      USDT: ['29.97500000', '0.00000000'],
      XRP: ['900.00000000', '40.00000000'],
    });
    // The owner keeps MySQL's markets row in step with the definition: the new fees, in ppm.
    await pollUntil('the new fees in MySQL', async () => {
      const [rows] = (await h.system.mysql.pool.query(
        'SELECT maker_fee_ppm, taker_fee_ppm FROM markets WHERE symbol = ?',
        ['XRP-USDT'],
      )) as unknown as [Array<{ maker_fee_ppm: number; taker_fee_ppm: number }>];
      return rows[0]?.maker_fee_ppm === 500 && rows[0]?.taker_fee_ppm === 3000 ? true : undefined;
    });

    // A halted market refuses new orders and amends, but still cancels.
    const halted = await h.admin.putMarket('XRP-USDT', { ...XRP, status: 'halted' });
    expect(halted.status).to.equal(200);
    const refused = await buyer.client.place({
      symbol: 'XRP-USDT',
      side: 'buy',
      type: 'limit',
      price: '0.5',
      quantity: '2',
    });
    expect([refused.status, codeOf(refused)]).to.deep.equal([409, 'MARKET_HALTED']);
    const amendHalted = await seller.client.amend(ask.orderId, 'XRP-USDT', { quantity: '90' });
    expect([amendHalted.status, codeOf(amendHalted)]).to.deep.equal([409, 'MARKET_HALTED']);
    const canceled = await seller.client.cancel(ask.orderId, 'XRP-USDT');
    expect(canceled.status, canceled.text).to.equal(200);
    expect(canceled.body).to.include({ status: 'canceled', filledQuantity: '60.0' });
    expect(balanceMap((await seller.client.balances()).body).XRP).to.deep.equal([
      '940.00000000',
      '0.00000000',
    ]);
    expect((await h.admin.putMarket('XRP-USDT', { ...XRP, status: 'trading' })).status).to.equal(200);
  });

  it('POST /v1/admin/deposits credits once per depositId', async () => {
    const user = await h.trader();
    const body = { userId: user.id, asset: 'USDT', amount: '100', depositId: 'dep-A' };
    const first = await h.admin.deposit(body);
    expect(first.status, first.text).to.equal(200);
    expect(first.body).to.deep.equal({ ...body, amount: '100.00000000', duplicate: false });
    h.ledger.deposited('USDT', '100');
    const again = await h.admin.deposit(body);
    expect(again.status).to.equal(200);
    expect(again.body).to.include({ depositId: 'dep-A', duplicate: true });
    expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
      USDT: ['100.00000000', '0.00000000'],
    });

    const generated = await h.admin.deposit({ userId: user.id, asset: 'BTC', amount: '0.5' });
    expect(generated.status).to.equal(200);
    expect(generated.body.depositId).to.match(/^[A-Za-z0-9_-]{1,64}$/);
    h.ledger.deposited('BTC', '0.5');
    const unknown = await h.admin.deposit({ userId: user.id, asset: 'DOGE', amount: '1' });
    expect([unknown.status, codeOf(unknown)]).to.deep.equal([400, 'UNKNOWN_ASSET']);
    expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
      BTC: ['0.50000000', '0.00000000'],
      USDT: ['100.00000000', '0.00000000'],
    });
  });

  // Regression: a repeat used to echo the repeat's amount; it now answers with what was credited.
  it('a repeated depositId with another amount answers with what was credited', async () => {
    const user = await h.trader();
    const body = { userId: user.id, asset: 'USDT', amount: '100', depositId: 'dep-B' };
    expect((await h.admin.deposit(body)).status).to.equal(200);
    h.ledger.deposited('USDT', '100');
    const repeat = await h.admin.deposit({ ...body, amount: '999' });
    expect(repeat.status).to.equal(200);
    expect(repeat.body).to.include({ duplicate: true, asset: 'USDT', amount: '100.00000000' });
    expect(balanceMap((await user.client.balances()).body).USDT).to.deep.equal([
      '100.00000000',
      '0.00000000',
    ]);
  });

  it('POST /v1/admin/withdrawals debits available funds only, 409 INSUFFICIENT_FUNDS otherwise, once per id', async () => {
    const user = await h.trader({ USDT: '100' });
    const bid = await placed(user.client, {
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      price: '30000',
      quantity: '0.002',
    });
    expect(bid.status).to.equal('new');
    expect(balanceMap((await user.client.balances()).body).USDT).to.deep.equal([
      '40.00000000',
      '60.00000000',
    ]);

    const tooMuch = await h.admin.withdraw({ userId: user.id, asset: 'USDT', amount: '50' });
    expect([tooMuch.status, codeOf(tooMuch)]).to.deep.equal([409, 'INSUFFICIENT_FUNDS']);
    expect(balanceMap((await user.client.balances()).body).USDT).to.deep.equal([
      '40.00000000',
      '60.00000000',
    ]);

    const body = { userId: user.id, asset: 'USDT', amount: '40', withdrawalId: 'wd-1' };
    const ok = await h.admin.withdraw(body);
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.body).to.deep.equal({ ...body, amount: '40.00000000', duplicate: false });
    h.ledger.withdrew('USDT', '40');
    const again = await h.admin.withdraw(body);
    expect(again.status).to.equal(200);
    expect(again.body.duplicate).to.equal(true);
    expect(balanceMap((await user.client.balances()).body).USDT).to.deep.equal(['0.00000000', '60.00000000']);

    // A refusal is recorded too: the same withdrawalId stays refused after a deposit.
    const refused = { userId: user.id, asset: 'USDT', amount: '1', withdrawalId: 'wd-2' };
    expect((await h.admin.withdraw(refused)).status).to.equal(409);
    const deposit = await h.admin.deposit({ userId: user.id, asset: 'USDT', amount: '5' });
    expect(deposit.status).to.equal(200);
    h.ledger.deposited('USDT', '5');
    const repeat = await h.admin.withdraw(refused);
    expect([repeat.status, codeOf(repeat)]).to.deep.equal([409, 'INSUFFICIENT_FUNDS']);
    expect(balanceMap((await user.client.balances()).body).USDT).to.deep.equal(['5.00000000', '60.00000000']);
  });

  it('place (202 and wait), get, list, user trades, depth, public trades and cancel (+wait) of one order book', async () => {
    const maker = await h.trader({ ETH: '10' });
    const taker = await h.trader({ USDT: '10000' });
    const symbol = 'ETH-USDT';

    const ack = await maker.client.place(
      { symbol, side: 'sell', type: 'limit', price: '2000', quantity: '1.5' },
      { wait: false },
    );
    expect(ack.status, ack.text).to.equal(202);
    expect(ack.body).to.deep.equal({ orderId: ack.body.orderId, clientOrderId: null, status: 'accepted' });
    const resting = await waitForOrder(maker.client, ack.body.orderId, ['new']);
    expect(resting).to.include({ symbol, side: 'sell', type: 'limit', price: '2000.00', quantity: '1.5000' });
    const upper = await placed(maker.client, {
      symbol,
      side: 'sell',
      type: 'limit',
      price: '2001',
      quantity: '1',
    });
    expect(upper).to.deep.include({
      status: 'new',
      timeInForce: 'GTC',
      postOnly: false,
      quoteQuantity: null,
      rejectReason: null,
      fills: [],
    });
    await waitForDepth(h.system.http, symbol, {
      bids: [],
      asks: [
        ['2000.00', '1.5000'],
        ['2001.00', '1.0000'],
      ],
    });

    const bid = await placed(taker.client, {
      symbol,
      side: 'buy',
      type: 'limit',
      price: '2000.50',
      quantity: '2',
    });
    expect(bid).to.include({
      status: 'partially_filled',
      price: '2000.50',
      quantity: '2.0000',
      filledQuantity: '1.5000',
      filledQuoteQuantity: '3000.00000000',
    });
    expect(bid.fills).to.have.length(1);
    const tradeId = bid.fills[0]!.tradeId;
    expect(bid.fills[0]).to.deep.equal({
      tradeId,
      price: '2000.00',
      quantity: '1.5000',
      fee: '0.00300000',
      feeAsset: 'ETH',
      liquidity: 'taker',
    });
    // The taker holds price × quantity; what the better price saved stays held until the order ends.
    expect(balanceMap((await taker.client.balances()).body)).to.deep.equal({
      ETH: ['1.49700000', '0.00000000'],
      USDT: ['5999.00000000', '1001.00000000'],
    });
    expect(balanceMap((await maker.client.balances()).body)).to.deep.equal({
      ETH: ['7.50000000', '1.00000000'],
      USDT: ['2997.00000000', '0.00000000'],
    });
    const depth = await waitForDepth(h.system.http, symbol, {
      bids: [['2000.50', '0.5000']],
      asks: [['2001.00', '1.0000']],
    });
    expect(depth.symbol).to.equal(symbol);
    expect(depth.sequence).to.be.a('number');
    const top = await h.system.http.depth(symbol, '?limit=1');
    expect(top.status).to.equal(200);

    const got = await taker.client.order(bid.orderId);
    expect(got.status).to.equal(200);
    expect(got.body).to.deep.equal(bid);
    const open = await taker.client.orders(symbol, '&status=open');
    expect(open.body.map((o) => o.orderId)).to.deep.equal([bid.orderId]);
    const all = await maker.client.orders(symbol);
    expect(all.body.map((o) => [o.orderId, o.status])).to.deep.equal([
      [upper.orderId, 'new'],
      [resting.orderId, 'filled'],
    ]);
    const filled = await maker.client.orders(symbol, '&status=filled');
    expect(filled.body.map((o) => o.orderId)).to.deep.equal([resting.orderId]);

    const takerTrades = await taker.client.trades(symbol);
    expect(takerTrades.status).to.equal(200);
    expect(takerTrades.body.map(({ time: _, ...t }) => t)).to.deep.equal([
      {
        tradeId,
        orderId: bid.orderId,
        symbol,
        side: 'buy',
        price: '2000.00',
        quantity: '1.5000',
        quoteQuantity: '3000.00000000',
        fee: '0.00300000',
        feeAsset: 'ETH',
        liquidity: 'taker',
      },
    ]);
    const makerTrades = await maker.client.trades(symbol);
    expect(makerTrades.body.map((t) => [t.orderId, t.side, t.fee, t.feeAsset, t.liquidity])).to.deep.equal([
      [resting.orderId, 'sell', '3.00000000', 'USDT', 'maker'],
    ]);
    const publicTrades = await h.system.http.publicTrades(symbol, '?limit=10');
    expect(publicTrades.status).to.equal(200);
    expect(publicTrades.body.map(({ time: _, ...t }) => t)).to.deep.equal([
      { tradeId, price: '2000.00', quantity: '1.5000', takerSide: 'buy' },
    ]);
    expect(publicTrades.body[0]!.time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const canceled = await taker.client.cancel(bid.orderId, symbol);
    expect(canceled.status, canceled.text).to.equal(200);
    expect(canceled.body).to.include({ orderId: bid.orderId, status: 'canceled', filledQuantity: '1.5000' });
    expect(balanceMap((await taker.client.balances()).body).USDT).to.deep.equal([
      '7000.00000000',
      '0.00000000',
    ]);
    const twice = await taker.client.cancel(bid.orderId, symbol);
    expect([twice.status, codeOf(twice)]).to.deep.equal([409, 'ORDER_NOT_OPEN']);
    const unknown = await taker.client.cancel('123456789', symbol);
    expect([unknown.status, codeOf(unknown)]).to.deep.equal([404, 'ORDER_NOT_FOUND']);

    const cancelAck = await maker.client.cancel(upper.orderId, symbol, { wait: false });
    expect(cancelAck.status).to.equal(202);
    expect(cancelAck.body).to.deep.equal({ orderId: upper.orderId, clientOrderId: null, status: 'accepted' });
    await waitForOrder(maker.client, upper.orderId, ['canceled']);
    await waitForDepth(h.system.http, symbol, { bids: [], asks: [] });
    const missing = await h.system.http.depth('DOGE-USDT');
    expect([missing.status, codeOf(missing)]).to.deep.equal([404, 'MARKET_NOT_FOUND']);
    const missingTrades = await h.system.http.publicTrades('DOGE-USDT');
    expect([missingTrades.status, codeOf(missingTrades)]).to.deep.equal([404, 'MARKET_NOT_FOUND']);
  });

  it("DELETE /v1/orders?symbol= cancels all the user's open orders on that symbol only", async () => {
    const user = await h.trader({ USDT: '1000', SOL: '10' });
    const symbol = 'SOL-USDT';
    const orders = [
      await placed(user.client, { symbol, side: 'buy', type: 'limit', price: '100', quantity: '1' }),
      await placed(user.client, { symbol, side: 'buy', type: 'limit', price: '99.5', quantity: '2' }),
      await placed(user.client, { symbol, side: 'sell', type: 'limit', price: '120', quantity: '3' }),
    ];
    const other = await placed(user.client, {
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      price: '20000',
      quantity: '0.001',
    });
    expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
      SOL: ['7.00000000', '3.00000000'],
      USDT: ['681.00000000', '319.00000000'],
    });

    const res = await user.client.cancelAll(symbol);
    expect(res.status).to.equal(202);
    expect(res.body).to.deep.equal({ symbol, status: 'accepted' });
    for (const order of orders) await waitForOrder(user.client, order.orderId, ['canceled']);
    expect((await user.client.orders(symbol, '&status=open')).body).to.deep.equal([]);
    expect((await user.client.orders('BTC-USDT', '&status=open')).body.map((o) => o.orderId)).to.deep.equal([
      other.orderId,
    ]);
    expect(balanceMap((await user.client.balances()).body)).to.deep.equal({
      SOL: ['10.00000000', '0.00000000'],
      USDT: ['980.00000000', '20.00000000'],
    });
  });

  describe('PATCH /v1/orders/:orderId (amend)', () => {
    const symbol = 'BTC-USDT';
    const sell = (price: string, quantity: string) => ({
      symbol,
      side: 'sell' as const,
      type: 'limit' as const,
      price,
      quantity,
    });
    const buy = (price: string, quantity: string) => ({ ...sell(price, quantity), side: 'buy' as const });

    it('a smaller quantity keeps the time priority', async () => {
      const m1 = await h.trader({ BTC: '1' });
      const m2 = await h.trader({ BTC: '1' });
      const taker = await h.trader({ USDT: '10000' });
      const first = await placed(m1.client, sell('30000', '0.3'));
      const second = await placed(m2.client, sell('30000', '0.3'));
      const amended = await m1.client.amend(first.orderId, symbol, { quantity: '0.2' });
      expect(amended.status, amended.text).to.equal(200);
      expect(amended.body).to.include({ orderId: first.orderId, status: 'new', quantity: '0.20000' });
      await waitForDepth(h.system.http, symbol, { bids: [], asks: [['30000.00', '0.50000']] });

      const take = await placed(taker.client, buy('30000', '0.2'));
      expect(take.status).to.equal('filled');
      expect((await waitForOrder(m1.client, first.orderId)).status).to.equal('filled');
      expect((await m2.client.order(second.orderId)).body.status).to.equal('new');
      expect(balanceMap((await m1.client.balances()).body)).to.deep.equal({
        BTC: ['0.80000000', '0.00000000'],
        USDT: ['5994.00000000', '0.00000000'],
      });
    });

    it('a new price loses the time priority', async () => {
      const m1 = await h.trader({ BTC: '1' });
      const m2 = await h.trader({ BTC: '1' });
      const taker = await h.trader({ USDT: '10000' });
      const first = await placed(m1.client, sell('30000.01', '0.1'));
      const second = await placed(m2.client, sell('30000', '0.1'));
      const amended = await m1.client.amend(first.orderId, symbol, { price: '30000' });
      expect(amended.status, amended.text).to.equal(200);
      expect(amended.body).to.include({ status: 'new', price: '30000.00', quantity: '0.10000' });

      const take = await placed(taker.client, buy('30000', '0.1'));
      expect(take.status).to.equal('filled');
      expect((await waitForOrder(m2.client, second.orderId)).status).to.equal('filled');
      expect((await m1.client.order(first.orderId)).body.status).to.equal('new');
    });

    it('a larger quantity loses the time priority', async () => {
      const m1 = await h.trader({ BTC: '1' });
      const m2 = await h.trader({ BTC: '1' });
      const taker = await h.trader({ USDT: '10000' });
      const first = await placed(m1.client, sell('30000', '0.1'));
      const second = await placed(m2.client, sell('30000', '0.1'));
      const amended = await m1.client.amend(first.orderId, symbol, { quantity: '0.2' }, { wait: false });
      expect(amended.status).to.equal(202);
      await waitForDepth(h.system.http, symbol, { bids: [], asks: [['30000.00', '0.30000']] });
      expect(balanceMap((await m1.client.balances()).body).BTC).to.deep.equal(['0.80000000', '0.20000000']);

      await placed(taker.client, buy('30000', '0.1'));
      expect((await waitForOrder(m2.client, second.orderId)).status).to.equal('filled');
      expect((await m1.client.order(first.orderId)).body).to.include({ status: 'new', quantity: '0.20000' });
    });

    it('a post-only order that would take, or a quantity not above the filled one, is refused with 409', async () => {
      const maker = await h.trader({ BTC: '1' });
      const user = await h.trader({ USDT: '20000' });
      await placed(maker.client, sell('30000', '0.1'));
      const post = await placed(user.client, { ...buy('29990', '0.1'), postOnly: true });
      const taking = await user.client.amend(post.orderId, symbol, { price: '30000' });
      expect([taking.status, codeOf(taking)], taking.text).to.deep.equal([409, 'POST_ONLY_WOULD_TAKE']);
      expect((await user.client.order(post.orderId)).body).to.include({ status: 'new', price: '29990.00' });

      const partial = await placed(user.client, buy('30000', '0.3'));
      expect(partial).to.include({ status: 'partially_filled', filledQuantity: '0.10000' });
      const notAbove = await user.client.amend(partial.orderId, symbol, { quantity: '0.1' });
      expect([notAbove.status, codeOf(notAbove)], notAbove.text).to.deep.equal([409, 'COMMAND_REJECTED']);
      expect((await user.client.order(partial.orderId)).body).to.include({ quantity: '0.30000' });
      const ok = await user.client.amend(partial.orderId, symbol, { quantity: '0.15' });
      expect(ok.body).to.include({
        status: 'partially_filled',
        quantity: '0.15000',
        filledQuantity: '0.10000',
      });
    });

    it('an amend that crosses trades at once; one that needs more funds than available is 409', async () => {
      const maker = await h.trader({ BTC: '1' });
      const buyer = await h.trader({ USDT: '2950' });
      await placed(maker.client, sell('30000', '0.1'));
      const bid = await placed(buyer.client, buy('29000', '0.1'));
      expect(balanceMap((await buyer.client.balances()).body).USDT).to.deep.equal([
        '50.00000000',
        '2900.00000000',
      ]);

      const short = await buyer.client.amend(bid.orderId, symbol, { price: '30000' });
      expect([short.status, codeOf(short)]).to.deep.equal([409, 'INSUFFICIENT_FUNDS']);
      expect((await buyer.client.order(bid.orderId)).body).to.include({ status: 'new', price: '29000.00' });

      const deposit = await h.admin.deposit({ userId: buyer.id, asset: 'USDT', amount: '50' });
      expect(deposit.status).to.equal(200);
      h.ledger.deposited('USDT', '50');
      const crossed = await buyer.client.amend(bid.orderId, symbol, { price: '30000' });
      expect(crossed.status, crossed.text).to.equal(200);
      expect(crossed.body).to.include({ status: 'filled', price: '30000.00', filledQuantity: '0.10000' });
      expect(crossed.body.fills.map(({ tradeId: _, ...f }) => f)).to.deep.equal([
        { price: '30000.00', quantity: '0.10000', fee: '0.00020000', feeAsset: 'BTC', liquidity: 'taker' },
      ]);
      expect(balanceMap((await buyer.client.balances()).body)).to.deep.equal({
        BTC: ['0.09980000', '0.00000000'],
        USDT: ['0.00000000', '0.00000000'],
      });
      const ended = await buyer.client.amend(bid.orderId, symbol, { quantity: '0.05' });
      expect([ended.status, codeOf(ended)]).to.deep.equal([409, 'ORDER_NOT_OPEN']);
    });
  });

  it('GET /healthz, /readyz, /metrics and /openapi.json', async () => {
    const { http } = h.system;
    const health = await http.get('/healthz');
    expect([health.status, health.body]).to.deep.equal([200, { status: 'ok' }]);
    const ready = await http.get('/readyz');
    expect([ready.status, ready.body]).to.deep.equal([200, { status: 'ready', checks: { redis: true } }]);

    const metrics = await http.get<string>('/metrics');
    expect(metrics.status).to.equal(200);
    expect(metrics.headers.get('content-type')).to.match(/^text\/plain/);
    expect(metrics.text).to.match(
      /^exchange_http_request_duration_seconds_bucket\{.*route="\/v1\/orders".*\} \d+/m,
    );
    expect(metrics.text).to.not.match(/\{[^}]*(user|order)_?[iI]d=/);

    const openapi = await http.get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      '/openapi.json',
    );
    expect(openapi.status).to.equal(200);
    expect(openapi.body.openapi).to.equal('3.1.0');
    const routes = Object.entries(openapi.body.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).to.include.members([
      'GET /v1/markets',
      'PUT /v1/admin/markets/{symbol}',
      'POST /v1/admin/deposits',
      'POST /v1/admin/withdrawals',
      'GET /v1/balances',
      'POST /v1/orders',
      'DELETE /v1/orders/{orderId}',
      'DELETE /v1/orders',
      'PATCH /v1/orders/{orderId}',
      'GET /v1/orders/{orderId}',
      'GET /v1/orders',
      'GET /v1/trades',
      'GET /v1/markets/{symbol}/depth',
      'GET /v1/markets/{symbol}/trades',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
    ]);
    const none = await http.get('/v1/nothing-here');
    expect([none.status, codeOf(none)]).to.deep.equal([404, 'NOT_FOUND']);
  });

  describe('at the end', () => {
    it('conserves every asset, with nothing left locked once every order is final', async () => {
      await h.clearBooks();
      await h.system.waitForIdle(['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT']);
      await checkConservation(h.system, h.ledger, { zeroLocked: true });
    });
  });
});
