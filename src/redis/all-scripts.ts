import { BALANCE_BATCH_SCRIPTS, BALANCE_SCRIPTS } from './balance-scripts.ts';
import { INTAKE_SCRIPTS } from './intake-scripts.ts';
import { LEASE_SCRIPTS } from './lease-scripts.ts';
import { READ_MODEL_SCRIPTS } from './read-model-scripts.ts';
import { defineScripts, type ScriptHost } from './scripts.ts';
import { STREAM_SCRIPTS } from './stream-scripts.ts';

/** Every Lua script of src/redis/lua, by its command name. */
export const ALL_SCRIPTS = Object.freeze({
  ...BALANCE_SCRIPTS,
  ...BALANCE_BATCH_SCRIPTS,
  ...LEASE_SCRIPTS,
  ...INTAKE_SCRIPTS,
  ...STREAM_SCRIPTS,
  ...READ_MODEL_SCRIPTS,
});

/**
 * Defines every script as a command of a new client, before it sends anything. With
 * auto-pipelining, ioredis queues a tick's commands on one pipeline object, and a pipeline only has
 * the script commands its client had when the pipeline was made: a script defined later in that
 * tick (lazily, by its first caller) is missing from it, the call throws "pipeline[functionName]
 * is not a function" and the pipeline's reply handling fails for every command queued with it.
 */
export function defineAllScripts(client: ScriptHost): void {
  defineScripts(client, ALL_SCRIPTS);
}
