import { expect } from 'chai';
import { codeOf } from '../support/http-client.ts';
import { Harness } from './harness.ts';

/**
 * A symbol whose stream holds MAX_SYMBOL_BACKLOG entries (docs/pipeline.md, "Backlog"): the API as
 * started refuses places and amends on it with 503 SYMBOL_BACKLOGGED and a Retry-After, appending
 * nothing, and still takes cancels. No matcher runs, so nothing drains the stream.
 */
describe('e2e: a backlogged symbol', function () {
  this.timeout(30_000);
  const BOUND = 4;
  const SYMBOL = 'BTC-USDT';
  let h: Harness;

  before(async function () {
    h = await Harness.start({ deferMatcher: true, env: { MAX_SYMBOL_BACKLOG: String(BOUND) } });
  });
  after(async () => h?.stop());

  it('answers 503 SYMBOL_BACKLOGGED with Retry-After to places and amends, and 202 to cancels', async () => {
    const { redis, keys } = h.system;
    const xlen = () => redis.xlen(keys.orderStream(SYMBOL));
    const trader = await h.system.asUser(7);
    const order = { symbol: SYMBOL, side: 'buy', type: 'limit', price: '30000', quantity: '0.01' } as const;

    // The stream starts with the market's fees (api-process.ts): fill it up to the bound with places.
    const accepted: string[] = [];
    while ((await xlen()) < BOUND) {
      const res = await trader.place(order, { wait: false });
      expect(res.status, res.text).to.equal(202);
      accepted.push(res.body.orderId);
    }
    expect(accepted.length).to.be.greaterThan(0);

    const refused = await trader.place({ ...order, clientOrderId: 'after-the-bound' }, { wait: false });
    expect(refused.status, refused.text).to.equal(503);
    expect(codeOf(refused)).to.equal('SYMBOL_BACKLOGGED');
    expect(refused.headers.get('retry-after')).to.equal('1');
    const amend = await trader.amend(accepted[0]!, SYMBOL, { quantity: '0.005' }, { wait: false });
    expect(amend.status, amend.text).to.equal(503);
    expect(codeOf(amend)).to.equal('SYMBOL_BACKLOGGED');
    expect(amend.headers.get('retry-after')).to.equal('1');
    expect(await xlen()).to.equal(BOUND);

    // Other symbols are not backlogged.
    const other = await trader.place({ ...order, symbol: 'ETH-USDT', price: '2000' }, { wait: false });
    expect(other.status, other.text).to.equal(202);

    const cancel = await trader.cancel(accepted[0]!, SYMBOL, { wait: false });
    expect(cancel.status, cancel.text).to.equal(202);
    const cancelAll = await trader.cancelAll(SYMBOL);
    expect(cancelAll.status, cancelAll.text).to.equal(202);
    expect(await xlen()).to.equal(BOUND + 2);

    // Reads do not depend on the backlog (Redis and the system's MySQL database answer).
    const orders = await trader.orders(SYMBOL);
    expect(orders.status, orders.text).to.equal(200);
    expect(orders.body).to.deep.equal([]);
  });
});
