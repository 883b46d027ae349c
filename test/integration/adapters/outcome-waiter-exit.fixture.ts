/**
 * Run by outcome-waiter.test.ts in a child process: watches that settle every way (an outcome,
 * stop(), the timeout, close()) must leave no timer or socket behind, so that this process ends by
 * itself, long before the ten-minute timeouts it set would have fired. Prints what it saw.
 */
import { OutcomePublisher, RedisOutcomeWaiter } from '../../../src/adapters/api/outcome-waiter.ts';
import { openTestRedis } from '../../support/redis.ts';

const TEN_MINUTES = 600_000;
const t = await openTestRedis();
const instanceId = 'exit-check';
const waiter = await RedisOutcomeWaiter.start({ subscriber: t.redis.duplicate(), keys: t.keys, instanceId });
const answered = waiter.watch('1', TEN_MINUTES);
const stopped = waiter.watch('2', TEN_MINUTES);
const timedOut = waiter.watch('3', 20);
const abandoned = waiter.watch('4', TEN_MINUTES);
await new OutcomePublisher(t.redis, t.keys).publish(instanceId, '1', { kind: 'rejected', reason: 'X' });
stopped.stop();
const settled = await Promise.all([answered.outcome, stopped.outcome, timedOut.outcome]);
await waiter.close();
settled.push(await abandoned.outcome);
await t.close();
process.stdout.write(JSON.stringify({ settled, pending: waiter.pending }));
