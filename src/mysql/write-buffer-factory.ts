import { WriteBuffer, WriteBufferError, type WriteSink } from './write-buffer.ts';
import type { WriteBufferOptions } from './write-buffer-options.ts';
import { SyncWriteBuffer } from './write-buffer-sync.ts';

/** `batched` in every process; `sync` where a test wants each row in MySQL as soon as it is added. */
export type WriteBufferKind = 'batched' | 'sync';

/**
 * The writer a process runs with. The thresholds come from the config:
 * `createWriteBuffer('batched', { ...config.writer, connections: pool, tables })`.
 */
export function createWriteBuffer(kind: WriteBufferKind, options: WriteBufferOptions): WriteSink {
  switch (kind) {
    case 'batched':
      return new WriteBuffer(options);
    case 'sync':
      return new SyncWriteBuffer(options);
    default:
      throw new WriteBufferError('INVALID_OPTION', `writer kind ${String(kind)}: 'batched' or 'sync'`);
  }
}
