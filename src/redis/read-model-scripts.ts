import type { Result } from 'ioredis';
import { defineScripts, loadLuaScript, type ScriptHost } from './scripts.ts';

/**
 * `readModelApply` (read-model-apply-0.lua): a batch's read-model writes as one script call on one
 * Redis (src/read-model/read-model-writer.ts builds its operations). Not for a Cluster: the keys it
 * writes span slots.
 */

const LUA_DIR = new URL('./lua/', import.meta.url);

export const READ_MODEL_SCRIPTS = Object.freeze({
  readModelApply: loadLuaScript(LUA_DIR, 'read-model-apply-0.lua'),
});

/** Registers `readModelApply` on a client; calling it again does nothing. */
export function defineReadModelScripts(client: ScriptHost): void {
  defineScripts(client, READ_MODEL_SCRIPTS);
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** read-model-apply-0.lua: the operations' opcodes and operands; replies how many it applied. */
    readModelApply(...operations: Array<string | number>): Result<number, Context>;
  }
}
