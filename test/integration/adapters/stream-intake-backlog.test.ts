/**
 * The symbol backlog bound of the stream intake (docs/pipeline.md, "Backlog"), on a real Redis with a
 * small bound: places and amends are refused atomically once XLEN reaches it, with nothing changed;
 * cancels, cancel-alls and fee changes are always taken.
 */
import { expect } from 'chai';
import { BACKLOG_RETRY_AFTER_SECONDS, StreamIntake } from '../../../src/adapters/api/stream-intake.ts';
import { ApiError } from '../../../src/api/errors.ts';
import type { PlaceIntent } from '../../../src/api/ports.ts';
import { openTestRedis, scanKeys, type TestRedis } from '../../support/redis.ts';

const SYMBOL = 'BTC-USDT';
const BOUND = 3;

function placeIntent(orderId: string, clientOrderId: string | null, userId = 42): PlaceIntent {
  return {
    type: 'place',
    orderId,
    userId,
    side: 'sell',
    orderType: 'limit',
    price: 3_000_000,
    quantity: 10,
    quoteLimit: 0,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
    clientOrderId,
  };
}

/** The promise's rejection, or a failure when it resolves. */
async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected a refusal, got an append');
}

describe('adapters/api/stream-intake: the symbol backlog bound', () => {
  let t: TestRedis;
  let intake: StreamIntake;
  const stream = () => t.keys.orderStream(SYMBOL);
  const xlen = () => t.redis.xlen(stream());
  /** The streams, the clientOrderId record and every key name: proof that a refusal changed nothing. */
  const state = async () => ({
    entries: await t.redis.xrange(stream(), '-', '+'),
    other: await t.redis.xrange(t.keys.orderStream('ETH-USDT'), '-', '+'),
    coid: await t.redis.get(t.keys.clientOrderId(SYMBOL, 42, 'late')),
    keys: await scanKeys(t.redis, t.keys.pattern),
  });

  before(async () => {
    t = await openTestRedis();
    intake = new StreamIntake({ redis: t.redis, keys: t.keys, replyTo: 'api-1-abc', maxBacklog: BOUND });
  });
  after(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.redis.del(stream(), t.keys.orderStream('ETH-USDT'), t.keys.clientOrderId(SYMBOL, 42, 'late'));
  });

  /** Fills the stream up to the bound with places. */
  async function fill(): Promise<void> {
    for (let i = 0; i < BOUND; i++) await intake.place(SYMBOL, placeIntent(`10${i}`, null));
    expect(await xlen()).to.equal(BOUND);
  }

  it('takes places up to the bound, then refuses them with SYMBOL_BACKLOGGED and a Retry-After, changing nothing', async () => {
    await fill();
    const before = await state();
    const plain = await refusal(intake.place(SYMBOL, placeIntent('200', null)));
    expect(plain.code).to.equal('SYMBOL_BACKLOGGED');
    expect(plain.httpStatus).to.equal(503);
    expect(plain.retryAfterSeconds).to.equal(BACKLOG_RETRY_AFTER_SECONDS);
    expect(plain.message).to.include(`${SYMBOL} has ${BOUND} commands`);
    // With a clientOrderId (the other script): no append, and no record, so a retry can still place it.
    const keyed = await refusal(intake.place(SYMBOL, placeIntent('201', 'late')));
    expect(keyed.code).to.equal('SYMBOL_BACKLOGGED');
    expect(await state()).to.deep.equal(before);
    expect(before.coid).to.equal(null);

    // Another symbol has its own backlog.
    expect(await intake.place('ETH-USDT', placeIntent('300', 'late'))).to.deep.equal({
      orderId: '300',
      duplicate: false,
    });
  });

  it('refuses amends like places, and always takes cancels, cancel-alls and fee changes', async () => {
    await fill();
    const before = await state();
    const amend = await refusal(
      intake.submit(SYMBOL, { type: 'amend', orderId: '100', userId: 42, price: 0, quantity: 5 }),
    );
    expect(amend.code).to.equal('SYMBOL_BACKLOGGED');
    expect(await state()).to.deep.equal(before);

    await intake.submit(SYMBOL, { type: 'cancel', orderId: '100', userId: 42 });
    await intake.submit(SYMBOL, { type: 'cancelAll', userId: 42 });
    await intake.submit(SYMBOL, { type: 'setFees', makerFeePpm: 0, takerFeePpm: 0 });
    expect(await xlen()).to.equal(BOUND + 3);
    const kinds = (await t.redis.xrange(stream(), '-', '+')).map(([, fields]) => fields[1]);
    expect(kinds.slice(BOUND)).to.deep.equal(['cancel', 'cancelAll', 'setFees']);
  });

  it('answers a repeated clientOrderId with the first order even while backlogged (it appends nothing)', async () => {
    await intake.place(SYMBOL, placeIntent('400', 'late'));
    await intake.place(SYMBOL, placeIntent('401', null));
    await intake.place(SYMBOL, placeIntent('402', null));
    expect(await intake.place(SYMBOL, placeIntent('403', 'late'))).to.deep.equal({
      orderId: '400',
      duplicate: true,
    });
    expect(await xlen()).to.equal(BOUND);
  });

  it('takes commands again once the stream is trimmed below the bound (entries made durable)', async () => {
    await fill();
    await refusal(intake.place(SYMBOL, placeIntent('500', null)));
    const ids = (await t.redis.xrange(stream(), '-', '+')).map(([id]) => id);
    await t.redis.xtrim(stream(), 'MINID', ids[2]!); // the first two entries are durable
    await intake.place(SYMBOL, placeIntent('500', null));
    await intake.submit(SYMBOL, { type: 'amend', orderId: '500', userId: 42, price: 3_000_100, quantity: 0 });
    expect(await xlen()).to.equal(BOUND);
    expect((await refusal(intake.place(SYMBOL, placeIntent('501', null)))).code).to.equal(
      'SYMBOL_BACKLOGGED',
    );
  });

  it('never passes the bound under 40 concurrent places from four connections', async () => {
    const connections = Array.from({ length: 4 }, () => t.redis.duplicate());
    const intakes = connections.map(
      (redis) => new StreamIntake({ redis, keys: t.keys, replyTo: null, maxBacklog: BOUND }),
    );
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        intakes[i % 4]!.place(SYMBOL, placeIntent(`6${i}`, i % 2 === 0 ? null : `c-${i}`)),
      ),
    ).finally(() => Promise.all(connections.map((redis) => redis.quit())));
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(BOUND);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.map((r) => (r.reason as ApiError).code)).to.deep.equal(
      Array(40 - BOUND).fill('SYMBOL_BACKLOGGED'),
    );
    expect(await xlen()).to.equal(BOUND);
  });

  it('has no bound without maxBacklog, and refuses a bound that is not an integer >= 0', async () => {
    const unbounded = new StreamIntake({ redis: t.redis, keys: t.keys, replyTo: null });
    for (let i = 0; i < BOUND + 2; i++)
      await unbounded.place(SYMBOL, placeIntent(`70${i}`, i === 0 ? 'x' : null));
    expect(await xlen()).to.equal(BOUND + 2);
    // The scripts refuse a malformed bound themselves, changing nothing.
    const fields = ['k', 'cancelAll', 'b', '{"userId":42}'];
    for (const bad of ['-1', '1.5', 'x']) {
      const error = await t.redis.intakeAppend(stream(), bad as unknown as number, ...fields).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(error)).to.match(/INVALID_ARGUMENT maxBacklog/);
      const placed = await t.redis
        .intakePlace(
          t.keys.clientOrderId(SYMBOL, 42, 'bad'),
          stream(),
          '900',
          bad as unknown as number,
          ...fields,
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(String(placed)).to.match(/INVALID_ARGUMENT maxBacklog/);
    }
    expect(await xlen()).to.equal(BOUND + 2);
    for (const maxBacklog of [-1, 1.5, Number.NaN]) {
      expect(() => new StreamIntake({ redis: t.redis, keys: t.keys, replyTo: null, maxBacklog })).to.throw(
        RangeError,
      );
    }
  });
});
