import type { RedisKey, Result } from 'ioredis';
import { defineScripts, loadLuaScript, type ScriptHost } from './scripts.ts';

/**
 * The consumer-group commands of the matcher's read mark (docs/pipeline.md, "Reading") as one-key
 * scripts. XGROUP and XINFO name no key ioredis can find, so a Cluster client sends them to a random
 * node, follows the MOVED and refreshes its slot table; in a batch the misplaced ones fail. With the
 * stream as KEYS[1] the client routes them like any command of the stream (docs/redis-cluster.md).
 *
 * - `streamGroupCreate`: XGROUP CREATE ... MKSTREAM, an existing group being no error.
 * - `streamGroupSetId`: XGROUP SETID.
 * - `streamGroupLastDelivered`: the group's last-delivered id, from XINFO GROUPS.
 */

const LUA_DIR = new URL('./lua/', import.meta.url);

export const STREAM_SCRIPTS = Object.freeze({
  streamGroupCreate: loadLuaScript(LUA_DIR, 'stream-group-create-1.lua'),
  streamGroupSetId: loadLuaScript(LUA_DIR, 'stream-group-setid-1.lua'),
  streamGroupLastDelivered: loadLuaScript(LUA_DIR, 'stream-group-last-delivered-1.lua'),
});

/**
 * Registers the stream-group commands on a Redis or Cluster client; calling it again does nothing.
 * A pipeline of one Redis only has the commands its client had when it was created.
 */
export function defineStreamScripts(client: ScriptHost): void {
  defineScripts(client, STREAM_SCRIPTS);
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** stream-group-create-1.lua: 1 created (with the stream if missing), 0 the group existed. */
    streamGroupCreate(stream: RedisKey, group: string, startId: string): Result<number, Context>;
    /** stream-group-setid-1.lua: 'OK'; an error when the stream or the group does not exist. */
    streamGroupSetId(stream: RedisKey, group: string, entryId: string): Result<'OK', Context>;
    /** stream-group-last-delivered-1.lua: the group's last-delivered id, '0-0' without the group. */
    streamGroupLastDelivered(stream: RedisKey, group: string): Result<string, Context>;
  }
}
