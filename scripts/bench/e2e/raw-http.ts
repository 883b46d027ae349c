/**
 * A minimal HTTP/1.1 keep-alive client for the load generator, for when every microsecond of the
 * generator's CPU is taken from the system under test (both share the machine's cores): a fixed
 * set of connections per API process, at most one request in flight on each (no pipelining),
 * requests written as one prepared string (UTF-8), responses parsed only as far as the status line,
 * the Content-Length and the body. A request that finds every connection busy waits in a FIFO; the
 * wait counts in its latency, which the caller measures from its due time.
 *
 * It speaks just what the API answers: Content-Length bodies (chunked ones are read too), no 1xx,
 * no upgrades. A connection that breaks fails its request (a transport error) and is reopened.
 */
import { connect, type Socket } from 'node:net';
import type { ExchangeDone } from './http-exchange.ts';

interface Pending {
  readonly head: string;
  readonly done: ExchangeDone;
  startedAt: number;
}

const HEADER_END = '\r\n\r\n';
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

class Connection {
  private socket: Socket | null = null;
  private buffer = '';
  current: Pending | null = null;
  /** In the pool's idle list. */
  idle = false;

  constructor(
    private readonly pool: RawPool,
    private readonly host: string,
    private readonly port: number,
  ) {}

  get busy(): boolean {
    return this.current !== null;
  }

  send(request: Pending): void {
    this.current = request;
    request.startedAt = performance.now();
    if (this.socket === null) this.open();
    this.socket!.write(request.head, 'utf8');
  }

  /** Fails the request in flight and drops the socket (timeout, shutdown). */
  fail(error: Error): void {
    const request = this.current;
    this.current = null;
    this.buffer = '';
    this.socket?.destroy();
    this.socket = null;
    request?.done(0, '', error);
    this.pool.next(this);
  }

  private open(): void {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const broken = (error?: Error) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.buffer = '';
      const request = this.current;
      this.current = null;
      if (request !== null) {
        const failure = error ?? Object.assign(new Error('connection closed'), { code: 'ECONNRESET' });
        request.done(0, '', failure);
      }
      this.pool.next(this);
    };
    socket.on('error', broken);
    socket.on('close', () => broken());
    this.socket = socket;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    const request = this.current;
    if (request === null) return;
    const end = this.buffer.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffer.slice(0, end);
    const status = Number(head.slice(9, 12));
    const bodyStart = end + HEADER_END.length;
    const lower = head.toLowerCase();
    let body: string;
    let consumed: number;
    const lengthAt = lower.indexOf('\r\ncontent-length:');
    if (lengthAt >= 0) {
      const valueEnd = lower.indexOf('\r\n', lengthAt + 2);
      const length = parseInt(lower.slice(lengthAt + 17, valueEnd < 0 ? undefined : valueEnd), 10);
      if (this.buffer.length < bodyStart + length) return;
      body = this.buffer.slice(bodyStart, bodyStart + length);
      consumed = bodyStart + length;
    } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
      const parsed = readChunked(this.buffer, bodyStart);
      if (parsed === null) return;
      [body, consumed] = parsed;
    } else {
      body = '';
      consumed = bodyStart;
    }
    const closing = lower.includes('\r\nconnection: close');
    this.buffer = this.buffer.slice(consumed);
    this.current = null;
    if (closing) {
      this.socket?.destroy();
      this.socket = null;
      this.buffer = '';
    }
    // Read as latin1 so that lengths count bytes; the rare non-ASCII body is decoded as UTF-8 here.
    request.done(status, NON_ASCII.test(body) ? Buffer.from(body, 'latin1').toString('utf8') : body, null);
    this.pool.next(this);
  }
}

/** The body of a chunked message starting at `from`, and where it ends; null when incomplete. */
function readChunked(buffer: string, from: number): [string, number] | null {
  let at = from;
  let body = '';
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(buffer.slice(at, lineEnd), 16);
    const dataStart = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = buffer.indexOf(HEADER_END, lineEnd);
      return trailerEnd < 0 ? null : [body, trailerEnd + HEADER_END.length];
    }
    if (buffer.length < dataStart + size + 2) return null;
    body += buffer.slice(dataStart, dataStart + size);
    at = dataStart + size + 2;
  }
}

export class RawPool {
  private readonly connections: Connection[];
  private readonly idle: Connection[];
  private readonly waiting: Pending[] = [];
  private waitingHead = 0;
  private readonly hostHeader: string;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(
    url: string,
    connections: number,
    private readonly timeoutMs: number,
  ) {
    const { hostname, port } = new URL(url);
    this.hostHeader = `${hostname}:${port}`;
    this.connections = Array.from(
      { length: connections },
      () => new Connection(this, hostname, Number(port)),
    );
    this.idle = [...this.connections];
    for (const c of this.connections) c.idle = true;
    // One timer for every connection: a request past its timeout fails and its connection is reopened.
    this.sweeper = setInterval(() => this.sweep(), Math.min(250, Math.max(10, timeoutMs / 4)));
    this.sweeper.unref();
  }

  /** Sends a request; `headers` is the prepared header block ("name: value\r\n" lines). */
  request(method: string, path: string, headers: string, body: string | undefined, done: ExchangeDone): void {
    if (this.closed) {
      done(0, '', Object.assign(new Error('pool closed'), { code: 'POOL_CLOSED' }));
      return;
    }
    const length = body === undefined ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
    const head = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n${headers}${length}\r\n${body ?? ''}`;
    const pending: Pending = { head, done, startedAt: 0 };
    const connection = this.idle.pop();
    if (connection !== undefined) {
      connection.idle = false;
      connection.send(pending);
    } else {
      this.waiting.push(pending);
    }
  }

  /** A connection became free: give it the oldest waiting request, or keep it idle. */
  next(connection: Connection): void {
    if (connection.busy || connection.idle || this.closed) return;
    if (this.waitingHead < this.waiting.length) {
      const pending = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined as unknown as Pending;
      if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
        this.waiting.splice(0, this.waitingHead);
        this.waitingHead = 0;
      }
      connection.send(pending);
    } else {
      connection.idle = true;
      this.idle.push(connection);
    }
  }

  private sweep(): void {
    const now = performance.now();
    for (const c of this.connections) {
      if (c.current !== null && now - c.current.startedAt > this.timeoutMs) {
        c.fail(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' }));
      }
    }
  }

  /** Fails what waits or is in flight and closes every connection. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    const error = Object.assign(new Error('pool closed'), { code: 'POOL_CLOSED' });
    for (const pending of this.waiting.slice(this.waitingHead)) pending?.done(0, '', error);
    this.waiting.length = 0;
    this.waitingHead = 0;
    for (const c of this.connections) c.fail(error);
  }
}
