import { pino, type Logger } from 'pino';
import type { Config } from '../config/config.ts';

export type { Logger };

/** JSON logs on stdout (pino): one line per event, with the process role and, in threads, the thread. */
export function createLogger(config: Pick<Config, 'logLevel'>, role: string, bindings: object = {}): Logger {
  return pino({ level: config.logLevel, base: { role, pid: process.pid, ...bindings } });
}
