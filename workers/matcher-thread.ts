// Thread entry: wires the parent port to the matcher thread's code (src/matcher/matcher-thread.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { runMatcherThread } from '../src/matcher/matcher-thread.ts';
import type { MatcherThreadData } from '../src/matcher/thread-messages.ts';

if (!parentPort) throw new Error('workers/matcher-thread.ts runs as a worker thread');
const port = parentPort;
runMatcherThread(port, workerData as MatcherThreadData).catch((error: unknown) => {
  port.postMessage({
    type: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exitCode = 1;
});
