import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CommandOutcome, OrderRecord } from '../../../src/api/ports.ts';
import {
  decodeOutcomeMessage,
  encodeOutcomeMessage,
  OutcomePublisher,
  RedisOutcomeWaiter,
} from '../../../src/adapters/api/outcome-waiter.ts';
import { newInstanceId } from '../../../src/adapters/api/snowflake-ids.ts';
import { openTestRedis, type TestRedis } from '../../support/redis.ts';

function order(orderId: string): OrderRecord {
  return {
    orderId,
    clientOrderId: null,
    userId: 42,
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    price: 3_000_000,
    quantity: 150,
    quoteQuantity: null,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
    status: 'new',
    filledQuantity: 0,
    filledQuote: 0,
    rejectReason: null,
    fills: [],
    createdAt: 1_780_000_000_000,
    updatedAt: 1_780_000_000_000,
  };
}

const filled = (orderId: string): CommandOutcome => ({ kind: 'order', order: order(orderId) });

const EXIT_FIXTURE = new URL('./outcome-waiter-exit.fixture.ts', import.meta.url).pathname;

describe('adapters/api/outcome-waiter', () => {
  let t: TestRedis;
  let instanceId: string;
  let waiter: RedisOutcomeWaiter;
  let publisher: OutcomePublisher;
  before(async () => {
    t = await openTestRedis();
    instanceId = newInstanceId(1);
    waiter = await RedisOutcomeWaiter.start({ subscriber: t.redis.duplicate(), keys: t.keys, instanceId });
    publisher = new OutcomePublisher(t.redis, t.keys);
  });
  after(async () => {
    await waiter.close();
    await t.close();
  });
  afterEach(() => {
    expect(waiter.pending, 'watches left pending').to.equal(0);
  });

  it('resolves with the outcome the matcher publishes for the order', async () => {
    const watch = waiter.watch('1001', 5_000);
    expect(waiter.pending).to.equal(1);
    expect(await publisher.publish(instanceId, '1001', filled('1001'))).to.equal(1);
    expect(await watch.outcome).to.deep.equal(filled('1001'));
  });

  it('passes a rejection on as it is', async () => {
    const watch = waiter.watch('1002', 5_000);
    await publisher.publish(instanceId, '1002', { kind: 'rejected', reason: 'ORDER_NOT_FOUND' });
    expect(await watch.outcome).to.deep.equal({ kind: 'rejected', reason: 'ORDER_NOT_FOUND' });
  });

  it('receives outcomes published in a pipeline, each by its order', async () => {
    const a = waiter.watch('2001', 5_000);
    const b = waiter.watch('2002', 5_000);
    const pipeline = t.redis.pipeline();
    publisher.pipelined(pipeline).publish(instanceId, '2002', filled('2002'));
    publisher.pipelined(pipeline).publish(instanceId, '2001', { kind: 'rejected', reason: 'X' });
    await pipeline.exec();
    expect(await a.outcome).to.deep.equal({ kind: 'rejected', reason: 'X' });
    expect(await b.outcome).to.deep.equal(filled('2002'));
  });

  it('resolves to null at the timeout', async () => {
    const started = Date.now();
    const slow = waiter.watch('3001', 60);
    const answered = waiter.watch('3002', 60_000);
    await publisher.publish(instanceId, '3002', filled('3002'));
    expect(await answered.outcome).to.deep.equal(filled('3002'));
    expect(await slow.outcome).to.equal(null);
    expect(Date.now() - started).to.be.at.least(55);
  });

  it("ignores other orders' outcomes, other instances' channels and malformed messages", async () => {
    const watch = waiter.watch('4001', 300);
    await publisher.publish(instanceId, '4002', filled('4002'));
    await publisher.publish(newInstanceId(2), '4001', filled('4001'));
    const channel = t.keys.outcomes(instanceId);
    for (const junk of [
      'not json',
      '[]',
      '{"orderId":"4001"}',
      '{"orderId":"4001","outcome":{"kind":"?"}}',
    ]) {
      await t.redis.publish(channel, junk);
    }
    expect(await watch.outcome).to.equal(null);
  });

  it('gives every watch of the same order the outcome', async () => {
    const first = waiter.watch('5001', 5_000);
    const second = waiter.watch('5001', 5_000);
    await publisher.publish(instanceId, '5001', filled('5001'));
    expect(await Promise.all([first.outcome, second.outcome])).to.deep.equal([
      filled('5001'),
      filled('5001'),
    ]);
  });

  it('stop() resolves the watch to null at once and leaves nothing pending', async () => {
    const watch = waiter.watch('6001', 60_000);
    const other = waiter.watch('6001', 60_000);
    watch.stop();
    watch.stop();
    expect(await watch.outcome).to.equal(null);
    expect(waiter.pending).to.equal(1);
    await publisher.publish(instanceId, '6001', filled('6001'));
    expect(await other.outcome).to.deep.equal(filled('6001'));
  });

  it('close() settles every watch with null, unsubscribes, and quits its connection', async () => {
    const subscriber = t.redis.duplicate();
    const own = await RedisOutcomeWaiter.start({ subscriber, keys: t.keys, instanceId: newInstanceId(3) });
    const watches = [own.watch('7001', 60_000), own.watch('7002', 60_000)];
    await own.close();
    expect(await Promise.all(watches.map((w) => w.outcome))).to.deep.equal([null, null]);
    expect(own.pending).to.equal(0);
    expect(subscriber.status).to.equal('end');
    expect(await t.redis.pubsub('NUMSUB', own.channel)).to.deep.equal([own.channel, 0]);
    expect(await own.watch('7003', 60_000).outcome).to.equal(null);
    await own.close();
  });

  it('leaves no timer or connection behind: a process that closed it exits by itself', async () => {
    // The child sets ten-minute timeouts; it can only end within the limit if every one was cleared.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', EXIT_FIXTURE], {
      timeout: 8_000,
      env: process.env,
    });
    const rejected = { kind: 'rejected', reason: 'X' };
    expect(JSON.parse(stdout)).to.deep.equal({ settled: [rejected, null, null, null], pending: 0 });
  });

  it('encodes the message as docs/pipeline.md fixes it', () => {
    const message = encodeOutcomeMessage('8001', { kind: 'rejected', reason: 'POST_ONLY_WOULD_TAKE' });
    expect(JSON.parse(message)).to.deep.equal({
      orderId: '8001',
      outcome: { kind: 'rejected', reason: 'POST_ONLY_WOULD_TAKE' },
    });
    expect(decodeOutcomeMessage(message)).to.deep.equal(JSON.parse(message));
  });
});
