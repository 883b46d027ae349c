import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../api/auth.ts';
import { loadConfig } from '../config/config.ts';

/**
 * `npm start`: the API and the matcher pool as two child processes on this machine, as they would run
 * as separate pods. Waits until the API is ready, prints where it listens and a curl session that
 * works as printed, and on Ctrl-C / SIGTERM stops both gracefully (the matcher flushes to MySQL and releases
 * its shards) before exiting.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const config = loadConfig();
const children: ChildProcess[] = [];

function start(name: string, file: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    stdio: 'inherit',
    env: process.env,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping everything`);
      void stopAll(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stopAll(exitCode: number): Promise<void> {
  stopping = true;
  const exits = children
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of children) child.kill('SIGTERM');
  await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 25_000))]);
  process.exit(exitCode);
}
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

start('matcher', 'src/processes/matcher-process.ts');
start('api', 'src/processes/api-process.ts');

const port = config.http.port;
const base = `http://127.0.0.1:${port}`;
const deadline = Date.now() + 60_000;
for (;;) {
  const ready = await fetch(`${base}/readyz`).then(
    (response) => response.ok,
    () => false,
  );
  if (ready) break;
  if (Date.now() > deadline || stopping) {
    console.error(`the API did not become ready on ${base} within 60 s`);
    await stopAll(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}

const secret = config.auth.jwtSecret;
const admin = await mintToken(secret, { userId: 1, role: 'admin', expiresIn: 86_400 });
const alice = await mintToken(secret, { userId: 1001, expiresIn: 86_400 });
const bob = await mintToken(secret, { userId: 1002, expiresIn: 86_400 });
const json = `-H 'content-type: application/json'`;
console.log(`
The exchange is up: API on ${base} (OpenAPI at ${base}/openapi.json), matcher pool running.
Ctrl-C stops both cleanly. A session to try (tokens valid 24 h, signed with the development secret):

  ADMIN='${admin}'
  ALICE='${alice}'
  BOB='${bob}'

  # fund Alice with USDT and Bob with BTC (idempotent on depositId)
  curl -s -XPOST ${base}/v1/admin/deposits -H "authorization: Bearer $ADMIN" ${json} -d '{"userId":1001,"asset":"USDT","amount":"100000","depositId":"quickstart-1"}'
  curl -s -XPOST ${base}/v1/admin/deposits -H "authorization: Bearer $ADMIN" ${json} -d '{"userId":1002,"asset":"BTC","amount":"2","depositId":"quickstart-2"}'

  # Bob offers 0.5 BTC at 30000; Alice buys 0.2 at up to 30100 and waits for the outcome
  curl -s -XPOST '${base}/v1/orders?wait=true' -H "authorization: Bearer $BOB" ${json} -d '{"symbol":"BTC-USDT","side":"sell","type":"limit","price":"30000","quantity":"0.5"}'
  curl -s -XPOST '${base}/v1/orders?wait=true' -H "authorization: Bearer $ALICE" ${json} -d '{"symbol":"BTC-USDT","side":"buy","type":"limit","price":"30100","quantity":"0.2","clientOrderId":"my-first-order"}'

  # balances, open orders, fills, depth and public trades
  curl -s ${base}/v1/balances -H "authorization: Bearer $ALICE"
  curl -s '${base}/v1/orders?symbol=BTC-USDT&status=open' -H "authorization: Bearer $BOB"
  curl -s '${base}/v1/trades?symbol=BTC-USDT' -H "authorization: Bearer $ALICE"
  curl -s '${base}/v1/markets/BTC-USDT/depth?limit=5'
  curl -s '${base}/v1/markets/BTC-USDT/trades?limit=5'
`);
