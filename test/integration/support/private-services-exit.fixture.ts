/**
 * Run by private-services.test.ts in a child process: starts a private Redis, prints its pid and
 * directory as one JSON line, and never destroys it. Mode `end` then lets the process end by itself
 * (the exit hook must kill the server and remove the directory); mode `hang` waits to be SIGKILLed
 * (the kernel's parent-death signal must kill the server).
 */
import { startPrivateRedis } from '../../support/private-services.ts';

const mode = process.argv[2];
const redis = await startPrivateRedis();
process.stdout.write(`${JSON.stringify({ pid: redis.pid, dir: redis.dir })}\n`);
if (mode === 'hang') setInterval(() => undefined, 60_000);
