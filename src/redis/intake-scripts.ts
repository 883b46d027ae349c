import type { RedisKey, Result } from 'ioredis';
import { defineScripts, loadLuaScript, type ScriptHost } from './scripts.ts';

/**
 * The API tier's scripts as ioredis commands, registered like the balance scripts
 * (balance-scripts.ts): the files are read once, when this module loads, and
 * `defineIntakeScripts` registers them on a client. Each file's header documents its replies.
 *
 * - `intakePlace`: a place command with a clientOrderId, deduplicated, bounded and appended in one step.
 * - `intakeAppend`: a command that adds risk, appended unless the stream is over its bound.
 * - `marketsSeed`: the market registry's first content, written only when it is empty.
 */

const LUA_DIR = new URL('./lua/', import.meta.url);

export const INTAKE_SCRIPTS = Object.freeze({
  intakePlace: loadLuaScript(LUA_DIR, 'intake-place-2.lua'),
  intakeAppend: loadLuaScript(LUA_DIR, 'intake-append-1.lua'),
  marketsSeed: loadLuaScript(LUA_DIR, 'markets-seed-2.lua'),
});

export type IntakeCommandName = keyof typeof INTAKE_SCRIPTS;

/** Registers the intake commands on a Redis or Cluster client; calling it again does nothing. */
export function defineIntakeScripts(client: ScriptHost): void {
  defineScripts(client, INTAKE_SCRIPTS);
}

/**
 * intake-place-2.lua's reply: `['APPENDED', entryId]`, `['DUPLICATE', firstOrderId]` or
 * `['BACKLOGGED', streamLength]`; intake-append-1.lua's: the first or the last.
 */
export type RawIntakePlaceReply = [status: string, id: string];

declare module 'ioredis' {
  // Merged into RedisCommander, so the commands exist, typed, on Redis, Cluster and pipelines.
  interface RedisCommander<Context> {
    /** intake-place-2.lua; maxBacklog 0 is no bound; `fields` are the entry's field/value pairs. */
    intakePlace(
      clientOrderId: RedisKey,
      stream: RedisKey,
      orderId: string,
      maxBacklog: number,
      ...fields: string[]
    ): Result<RawIntakePlaceReply, Context>;
    /** intake-append-1.lua; maxBacklog 0 is no bound; `fields` are the entry's field/value pairs. */
    intakeAppend(
      stream: RedisKey,
      maxBacklog: number,
      ...fields: string[]
    ): Result<RawIntakePlaceReply, Context>;
    /** markets-seed-2.lua; `pairs` are symbol, definition JSON, ...; replies the number seeded. */
    marketsSeed(
      markets: RedisKey,
      version: RedisKey,
      channel: string,
      ...pairs: string[]
    ): Result<number, Context>;
  }
}
