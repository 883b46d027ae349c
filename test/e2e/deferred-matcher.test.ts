import { expect } from 'chai';
import { checkConservation } from '../support/conservation.ts';
import { balanceMap } from '../support/http-client.ts';
import { Harness, waitForOrder } from './harness.ts';

/**
 * Commands that are in a symbol's stream before its matcher reads them. The matcher is started
 * after the commands were accepted (202), so that its first read takes them all as one batch:
 * deterministic, over HTTP only. (It is also what happens to orders accepted while no matcher runs.)
 */
describe('e2e: an amend in the same matcher batch as a fill of its order', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async function () {
    h = await Harness.start({ deferMatcher: true });
  });
  after(async () => h?.stop());

  // Regression: the processor once settled a batch's trades only at its end, while an amend sized its
  // extra hold from the hold in Redis: a fill of the order earlier in the batch still counted as held,
  // the extra hold was too small and the order's next trade failed (EXCEEDS_HOLD), which broke
  // conservation on the retake. An amend now settles everything before it first (symbol-processor.ts).
  it('holds what the amended order needs after the fill, and its next trade settles', async () => {
    const symbol = 'SOL-USDT';
    const buyer = await h.trader({ USDT: '1100' });
    const seller = await h.trader({ SOL: '10' });
    const bid = await buyer.client.place(
      { symbol, side: 'buy', type: 'limit', price: '100', quantity: '10' },
      { wait: false },
    );
    expect(bid.status).to.equal(202);
    // Fills 5 of the bid at 100 (the bid then needs 500 USDT for its remaining 5)...
    const take = await seller.client.place(
      { symbol, side: 'sell', type: 'limit', price: '100', quantity: '5' },
      { wait: false },
    );
    expect(take.status).to.equal(202);
    // ...then raises its price: 110 × 5 = 550 USDT needed, 50 more than it holds after the fill.
    const amend = await buyer.client.amend(
      bid.body.orderId,
      symbol,
      { price: '110', quantity: '10' },
      { wait: false },
    );
    expect(amend.status, amend.text).to.equal(202);

    await h.system.startMatcher();
    expect(await waitForOrder(buyer.client, bid.body.orderId, ['partially_filled'])).to.include({
      price: '110.00',
      filledQuantity: '5.000',
    });
    expect(balanceMap((await buyer.client.balances()).body).USDT).to.deep.equal([
      '50.00000000',
      '550.00000000',
    ]);

    const next = await seller.client.place({
      symbol,
      side: 'sell',
      type: 'limit',
      price: '110',
      quantity: '5',
    });
    expect(next.status, next.text).to.equal(200);
    expect(next.body.status).to.equal('filled');
    expect((await waitForOrder(buyer.client, bid.body.orderId)).status).to.equal('filled');
    // The bid was the maker of both fills: 0.1 % of 5 SOL twice.
    expect(balanceMap((await buyer.client.balances()).body)).to.deep.equal({
      SOL: ['9.99000000', '0.00000000'],
      USDT: ['50.00000000', '0.00000000'],
    });
    await h.system.waitForIdle([symbol]);
    await checkConservation(h.system, h.ledger, { zeroLocked: true });
  });
});

describe('e2e: a fee change queued behind a trade', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async function () {
    h = await Harness.start({ deferMatcher: true });
  });
  after(async () => h?.stop());

  // Regression: a book built without a snapshot starts from the directory's current fees, so a trade
  // queued before a fee change was charged the new rates. Every market's stream now starts with a
  // setFees of its initial rates (admin route on creation, API process on seeding), so a replay from
  // the start charges what was in force at each point.
  it('charges the fees in force at the trade, not those of a later fee change', async () => {
    const symbol = 'ETH-USDT';
    const maker = await h.trader({ ETH: '1' });
    const taker = await h.trader({ USDT: '10000' });
    const ask = await maker.client.place(
      { symbol, side: 'sell', type: 'limit', price: '2000', quantity: '1' },
      { wait: false },
    );
    const bid = await taker.client.place(
      { symbol, side: 'buy', type: 'limit', price: '2000', quantity: '1' },
      { wait: false },
    );
    expect([ask.status, bid.status]).to.deep.equal([202, 202]);
    const market = (await h.system.http.markets()).body.find((m) => m.symbol === symbol)!;
    const put = await h.admin.putMarket(symbol, { ...market, makerFee: '0', takerFee: '0' });
    expect(put.status, put.text).to.equal(200);

    await h.system.startMatcher();
    const taken = await waitForOrder(taker.client, bid.body.orderId);
    expect(taken.fills.map((f) => [f.fee, f.feeAsset])).to.deep.equal([['0.00200000', 'ETH']]);
    const made = await waitForOrder(maker.client, ask.body.orderId);
    expect(made.fills.map((f) => [f.fee, f.feeAsset])).to.deep.equal([['2.00000000', 'USDT']]);
    expect(balanceMap((await taker.client.balances()).body).ETH).to.deep.equal(['0.99800000', '0.00000000']);
  });
});
