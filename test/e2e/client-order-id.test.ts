import { expect } from 'chai';
import { checkConservation } from '../support/conservation.ts';
import { balanceMap } from '../support/http-client.ts';
import { Harness, placed, waitForOrder } from './harness.ts';

/**
 * clientOrderId is the user's idempotency key (DESIGN.md §4): a repeat answers with the first
 * order's id and appends nothing to the stream, even when ten repeats race each other.
 * The key is unique per user and symbol (README, "Decisions"): another user, or another symbol,
 * is another order.
 */
describe('e2e: clientOrderId', function () {
  this.timeout(20_000);
  const symbol = 'BTC-USDT';
  const bid = (clientOrderId: string, price = '30000') =>
    ({ symbol, side: 'buy', type: 'limit', price, quantity: '0.001', clientOrderId }) as const;
  let h: Harness;

  before(async function () {
    this.timeout(30_000);
    h = await Harness.start();
  });
  after(async () => h?.stop());

  it('a repeat answers with the first orderId and creates nothing, with or without wait', async () => {
    const user = await h.trader({ USDT: '1000' });
    const first = await placed(user.client, bid('coid-1'));
    expect(first).to.include({ clientOrderId: 'coid-1', status: 'new' });
    const added = await h.system.streamAdded(symbol);

    const waited = await user.client.place(bid('coid-1'));
    expect(waited.status, waited.text).to.equal(200);
    expect(waited.body).to.include({ orderId: first.orderId, clientOrderId: 'coid-1', status: 'new' });
    const acked = await user.client.place(bid('coid-1'), { wait: false });
    expect(acked.status).to.equal(202);
    expect(acked.body).to.deep.equal({ orderId: first.orderId, clientOrderId: 'coid-1', status: 'accepted' });
    // Even a different order under the same key is the first one.
    const other = await user.client.place(bid('coid-1', '29000'), { wait: false });
    expect(other.body.orderId).to.equal(first.orderId);

    expect(await h.system.streamAdded(symbol)).to.equal(added);
    const orders = await user.client.orders(symbol);
    expect(orders.body.map((o) => o.orderId)).to.deep.equal([first.orderId]);
    expect(balanceMap((await user.client.balances()).body).USDT).to.deep.equal([
      '970.00000000',
      '30.00000000',
    ]);
  });

  it('ten concurrent repeats make exactly one order and one stream entry', async () => {
    const user = await h.trader({ USDT: '1000' });
    const added = await h.system.streamAdded(symbol);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => user.client.place(bid('burst'), { wait: i % 2 === 0 })),
    );
    for (const answer of answers) expect([200, 202], answer.text).to.include(answer.status);
    const ids = new Set(answers.map((a) => a.body.orderId));
    expect(ids.size, [...ids].join(',')).to.equal(1);
    expect(await h.system.streamAdded(symbol)).to.equal(added + 1);

    const [orderId] = [...ids] as [string];
    await waitForOrder(user.client, orderId, ['new']);
    const orders = await user.client.orders(symbol);
    expect(orders.body.map((o) => [o.orderId, o.clientOrderId])).to.deep.equal([[orderId, 'burst']]);
    expect(balanceMap((await user.client.balances()).body).USDT).to.deep.equal([
      '970.00000000',
      '30.00000000',
    ]);
  });

  it('the key is per user and per symbol: another user or another symbol places a new order', async () => {
    const alice = await h.trader({ USDT: '1000' });
    const bob = await h.trader({ USDT: '1000' });
    const a = await placed(alice.client, bid('shared', '20000'));
    const b = await placed(bob.client, bid('shared', '20000'));
    expect(b.orderId).to.not.equal(a.orderId);
    const eth = await placed(alice.client, {
      symbol: 'ETH-USDT',
      side: 'buy',
      type: 'limit',
      price: '1000',
      quantity: '0.01',
      clientOrderId: 'shared',
    });
    expect(eth.orderId).to.not.equal(a.orderId);
    expect(eth).to.include({ clientOrderId: 'shared', status: 'new' });
  });

  it('conserves every asset once every order is canceled', async () => {
    await h.clearBooks();
    await h.system.waitForIdle(['BTC-USDT', 'ETH-USDT']);
    await checkConservation(h.system, h.ledger, { zeroLocked: true });
  });
});
