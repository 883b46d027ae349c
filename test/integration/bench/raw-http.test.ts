/**
 * The load generator's own HTTP/1.1 client (scripts/bench/e2e/raw-http.ts) against a real
 * node:http server on loopback: framing, queueing, reconnects, timeouts.
 */
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RawPool } from '../../../scripts/bench/e2e/raw-http.ts';

interface Answer {
  status: number;
  body: string;
  error: (Error & { code?: string }) | null;
}

describe('bench:e2e raw HTTP client', () => {
  let server: Server;
  let url: string;
  let inFlight = 0;
  let maxInFlight = 0;
  let connections = 0;

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const finish = (status: number, text: string, headers: Record<string, string> = {}) => {
          inFlight--;
          res.writeHead(status, headers);
          res.end(text);
        };
        const path = req.url ?? '';
        if (path === '/echo') {
          const text = JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null });
          setTimeout(
            () =>
              finish(202, text, {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(text)),
              }),
            5,
          );
        } else if (path === '/chunked') {
          inFlight--;
          res.writeHead(409, { 'content-type': 'application/json' });
          res.write('{"error":');
          setTimeout(() => res.end('{"code":"ORDER_NOT_OPEN"}}'), 5);
        } else if (path === '/close') {
          finish(200, 'bye', { connection: 'close', 'content-length': '3' });
        } else if (path === '/hang') {
          inFlight--;
        } else if (path === '/reset') {
          inFlight--;
          req.socket.destroy();
        } else {
          finish(404, '', { 'content-length': '0' });
        }
      });
    });
    server.on('connection', () => connections++);
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const call = (pool: RawPool, method: string, path: string, headers = '', body?: string) =>
    new Promise<Answer>((resolve) =>
      pool.request(method, path, headers, body, (status, text, error) =>
        resolve({ status, body: text, error }),
      ),
    );

  it('answers every request on a few keep-alive connections, never more than one in flight on each', async () => {
    const pool = new RawPool(url, 4, 5_000);
    connections = 0;
    maxInFlight = 0;
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        call(
          pool,
          'POST',
          '/echo',
          'content-type: application/json\r\nauthorization: Bearer t\r\n',
          `{"n":${i},"é":1}`,
        ),
      ),
    );
    answers.forEach((a, i) => {
      expect(a.error).to.equal(null);
      expect(a.status).to.equal(202);
      expect(JSON.parse(a.body)).to.deep.equal({
        method: 'POST',
        body: `{"n":${i},"é":1}`,
        auth: 'Bearer t',
      });
    });
    expect(maxInFlight).to.equal(4);
    expect(connections).to.equal(4);
    pool.close();
  });

  it('reads chunked bodies, and reconnects after the server closes the connection', async () => {
    const pool = new RawPool(url, 1, 5_000);
    const refused = await call(pool, 'DELETE', '/chunked');
    expect([refused.status, refused.body]).to.deep.equal([409, '{"error":{"code":"ORDER_NOT_OPEN"}}']);
    const closed = await call(pool, 'GET', '/close');
    expect([closed.status, closed.body]).to.deep.equal([200, 'bye']);
    const next = await call(pool, 'DELETE', '/echo');
    expect(next.status).to.equal(202);
    expect(JSON.parse(next.body).method).to.equal('DELETE');
    pool.close();
  });

  it('fails a request that outlives its timeout or loses its connection, and goes on with the next', async () => {
    const pool = new RawPool(url, 1, 200);
    const [hung, queued] = await Promise.all([
      call(pool, 'GET', '/hang'),
      call(pool, 'POST', '/echo', '', 'x'),
    ]);
    expect(hung.error?.code).to.equal('TIMEOUT');
    expect(queued.status).to.equal(202);
    const reset = await call(pool, 'GET', '/reset');
    expect(reset.status).to.equal(0);
    expect(reset.error).to.be.instanceOf(Error);
    expect((await call(pool, 'GET', '/echo')).status).to.equal(202);
    pool.close();
  });

  it('fails what is waiting or in flight when closed, and anything sent afterwards', async () => {
    const pool = new RawPool(url, 1, 5_000);
    const pending = [call(pool, 'GET', '/hang'), call(pool, 'GET', '/echo')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    pool.close();
    for (const answer of await Promise.all(pending)) expect(answer.error?.code).to.equal('POOL_CLOSED');
    expect((await call(pool, 'GET', '/echo')).error?.code).to.equal('POOL_CLOSED');
  });
});
