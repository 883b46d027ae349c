/**
 * One HTTP request through an undici dispatcher with the least work per request: undici's
 * low-level `dispatch` and a small handler that collects the status and the body, instead of
 * `request()`'s promise and stream per request (about a third less CPU in the generator at 10k/s).
 */
import type { Dispatcher } from 'undici';

/** status 0 and an error: the request failed (connection, timeout); else the status and the body text. */
export type ExchangeDone = (status: number, body: string, error: Error | null) => void;

class Exchange implements Dispatcher.DispatchHandler {
  private status = 0;
  private chunks: Buffer[] | null = null;
  private settled = false;

  constructor(private readonly done: ExchangeDone) {}

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    (this.chunks ??= []).push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    const chunks = this.chunks;
    const body =
      chunks === null ? '' : chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
    this.done(this.status, body, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.done(0, '', error);
  }
}

export function exchange(
  dispatcher: Dispatcher,
  options: { method: 'GET' | 'POST' | 'DELETE'; path: string; headers: string[]; body?: string },
  done: ExchangeDone,
): void {
  try {
    dispatcher.dispatch(options, new Exchange(done));
  } catch (error) {
    done(0, '', error as Error);
  }
}
