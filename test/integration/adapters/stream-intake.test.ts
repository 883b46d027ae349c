import { expect } from 'chai';
import type { PlaceIntent } from '../../../src/api/ports.ts';
import { StreamIntake } from '../../../src/adapters/api/stream-intake.ts';
import { decodeEntry, isUndecodable, type StreamCommand } from '../../../src/streams/command-codec.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

const SYMBOL = 'BTC-USDT';
const REPLY_TO = 'api-1-abcdef';

function placeIntent(orderId: string, clientOrderId: string | null, userId = 42): PlaceIntent {
  return {
    type: 'place',
    orderId,
    userId,
    side: 'buy',
    orderType: 'limit',
    price: 3_000_000,
    quantity: 150,
    quoteLimit: 0,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
    clientOrderId,
  };
}

describe('adapters/api/stream-intake', () => {
  let t: TestRedis;
  let intake: StreamIntake;
  before(async () => {
    t = await openTestRedis();
    intake = new StreamIntake({ redis: t.redis, keys: t.keys, replyTo: REPLY_TO });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await t.redis.del(t.keys.orderStream(SYMBOL));
  });

  /** Every entry of the symbol's stream, decoded. */
  async function entries(symbol = SYMBOL): Promise<StreamCommand[]> {
    const raw = await t.redis.xrange(t.keys.orderStream(symbol), '-', '+');
    return raw.map(([id, fields]) => {
      const entry = decodeEntry(id, fields);
      if (isUndecodable(entry)) throw new Error(entry.problem);
      return entry;
    });
  }

  it('appends a place as one entry the matcher decodes, timed by its entry id', async () => {
    const before = Date.now();
    const result = await intake.place(SYMBOL, placeIntent('1001', null));
    const after = Date.now();
    expect(result).to.deep.equal({ orderId: '1001', duplicate: false });
    const [entry, ...rest] = await entries();
    expect(rest).to.have.length(0);
    const { clientOrderId: _none, ...command } = placeIntent('1001', null);
    expect(entry!.command).to.deep.equal({ ...command, timestamp: entry!.command.timestamp });
    expect(entry!.command.timestamp).to.be.within(before - 50, after + 50);
    expect(entry!.clientOrderId).to.equal(null);
    expect(entry!.replyTo).to.equal(REPLY_TO);
    const [[, fields]] = (await t.redis.xrange(t.keys.orderStream(SYMBOL), '-', '+')) as [[string, string[]]];
    expect(fields.filter((_, i) => i % 2 === 0)).to.deep.equal(['k', 'b']);
  });

  it('appends a place with a clientOrderId once, records it for a day, and keeps the id in the entry', async () => {
    expect(await intake.place(SYMBOL, placeIntent('2001', 'my-order-1'))).to.deep.equal({
      orderId: '2001',
      duplicate: false,
    });
    const [entry] = await entries();
    expect(entry!.clientOrderId).to.equal('my-order-1');
    expect(entry!.command).to.include({ type: 'place', orderId: '2001', userId: 42 });
    const key = t.keys.clientOrderId(SYMBOL, 42, 'my-order-1');
    expect(await t.redis.get(key)).to.equal('2001');
    expect(await t.redis.ttl(key)).to.be.within(86_390, 86_400);
  });

  it('answers a repeated clientOrderId with the first order id and appends nothing', async () => {
    await intake.place(SYMBOL, placeIntent('3001', 'again'));
    expect(await intake.place(SYMBOL, placeIntent('3002', 'again'))).to.deep.equal({
      orderId: '3001',
      duplicate: true,
    });
    expect(await entries()).to.have.length(1);
    // The same call repeated (a resend after a lost reply) is that order, not a duplicate of another.
    expect(await intake.place(SYMBOL, placeIntent('3001', 'again'))).to.deep.equal({
      orderId: '3001',
      duplicate: false,
    });
    expect(await entries()).to.have.length(1);
  });

  it('scopes a clientOrderId to its user and symbol', async () => {
    await intake.place(SYMBOL, placeIntent('4001', 'shared', 1));
    expect(await intake.place(SYMBOL, placeIntent('4002', 'shared', 2))).to.include({ duplicate: false });
    expect(await intake.place('ETH-USDT', placeIntent('4003', 'shared', 1))).to.include({ duplicate: false });
    expect(await entries()).to.have.length(2);
    expect(await entries('ETH-USDT')).to.have.length(1);
  });

  it('creates exactly one order under 50 concurrent repeats of a clientOrderId', async () => {
    // Five connections, as five API instances would have, ten repeats each, all in flight at once.
    const connections = Array.from({ length: 5 }, () => t.redis.duplicate());
    const intakes = connections.map((redis) => new StreamIntake({ redis, keys: t.keys, replyTo: REPLY_TO }));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => intakes[i % 5]!.place(SYMBOL, placeIntent(`50${i}`, 'burst'))),
    ).finally(() => Promise.all(connections.map((redis) => redis.quit())));
    const appended = results.filter((r) => !r.duplicate);
    expect(appended).to.have.length(1);
    const winner = appended[0]!.orderId;
    expect(results.every((r) => r.orderId === winner)).to.equal(true);
    const all = await entries();
    expect(all.map((e) => (e.command as { orderId: string }).orderId)).to.deep.equal([winner]);
  });

  it('appends cancel, amend, cancelAll and setFees commands as the matcher decodes them', async () => {
    const commands = [
      { type: 'cancel', orderId: '6001', userId: 42 },
      { type: 'amend', orderId: '6001', userId: 42, price: 3_000_100, quantity: 0 },
      { type: 'cancelAll', userId: 42 },
      { type: 'setFees', makerFeePpm: 500, takerFeePpm: 1_500 },
    ] as const;
    for (const command of commands) await intake.submit(SYMBOL, command);
    const all = await entries();
    expect(all.map((e) => ({ ...e.command, timestamp: 0 }))).to.deep.equal(
      commands.map((c) => ({ ...c, timestamp: 0 })),
    );
    expect(all.every((e) => e.replyTo === REPLY_TO && e.clientOrderId === null)).to.equal(true);
  });

  it('never caps the stream', async () => {
    for (let i = 0; i < 20; i++) await intake.submit(SYMBOL, { type: 'cancelAll', userId: 42 });
    const info = (await t.redis.call('XINFO', 'STREAM', t.keys.orderStream(SYMBOL))) as unknown[];
    expect(info[info.indexOf('length') + 1]).to.equal(20);
  });

  it('writes null as replyTo when no instance waits for outcomes', async () => {
    const quiet = new StreamIntake({ redis: t.redis, keys: t.keys, replyTo: null });
    await quiet.place(SYMBOL, placeIntent('7001', 'quiet'));
    await quiet.submit(SYMBOL, { type: 'cancel', orderId: '7001', userId: 42 });
    expect((await entries()).map((e) => e.replyTo)).to.deep.equal([null, null]);
  });

  it('names this instance as replyTo only for a command whose outcome it awaits', async () => {
    await intake.place(SYMBOL, placeIntent('8001', null), { awaitOutcome: false });
    await intake.place(SYMBOL, placeIntent('8002', 'keyed'), { awaitOutcome: false });
    await intake.place(SYMBOL, placeIntent('8003', null), { awaitOutcome: true });
    await intake.submit(SYMBOL, { type: 'cancel', orderId: '8001', userId: 42 }, { awaitOutcome: false });
    await intake.submit(SYMBOL, { type: 'cancel', orderId: '8003', userId: 42 }, { awaitOutcome: true });
    expect((await entries()).map((e) => e.replyTo)).to.deep.equal([null, null, REPLY_TO, null, REPLY_TO]);
  });
});
