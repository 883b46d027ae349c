import type { RedisKey, Result } from 'ioredis';
import { defineScripts, loadLuaScript, type ScriptHost } from './scripts.ts';

/** The shard-lease scripts (compare-and-set renew and release) as ioredis commands. */

const LUA_DIR = new URL('./lua/', import.meta.url);

export const LEASE_SCRIPTS = Object.freeze({
  leaseRenew: loadLuaScript(LUA_DIR, 'lease-renew-1.lua'),
  leaseRelease: loadLuaScript(LUA_DIR, 'lease-release-1.lua'),
});

export function defineLeaseScripts(client: ScriptHost): void {
  defineScripts(client, LEASE_SCRIPTS);
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** lease-renew-1.lua: 1 renewed, 0 not held. */
    leaseRenew(lease: RedisKey, token: string, ttlMs: string): Result<number, Context>;
    /** lease-release-1.lua: 1 released, 0 not held. */
    leaseRelease(lease: RedisKey, token: string): Result<number, Context>;
  }
}
