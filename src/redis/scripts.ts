import { readFileSync } from 'node:fs';

/**
 * Loads the Lua scripts of `src/redis/lua/`, bullmq-style: one script per file named
 * `<name>-<numberOfKeys>.lua`, opening with a header that lists its KEYS and ARGV.
 *
 * A line `--- @include "<name>"` is replaced by `lua/includes/<name>.lua`, so helpers shared by
 * several scripts (exact amount arithmetic, argument checks) live in one file. Includes are
 * resolved once, at load, from files only: no script is ever assembled from runtime values.
 */

export interface LuaScript {
  /** File name, e.g. `settle-3.lua`. */
  readonly file: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const SCRIPT_FILE = /^[a-z][a-z0-9-]*-(\d+)\.lua$/;
const INCLUDE = /^--- @include "([a-z0-9-]+)"[ \t]*$/gm;
const ANY_INCLUDE = /^--- @include/m;

export class ScriptLoadError extends Error {
  override readonly name = 'ScriptLoadError';
}

/** Reads `file` from the directory `dir` (a file: URL ending in `/`) with its includes inlined. */
export function loadLuaScript(dir: URL, file: string): LuaScript {
  const match = SCRIPT_FILE.exec(file);
  if (!match) throw new ScriptLoadError(`${file}: a script file is named <name>-<numberOfKeys>.lua`);
  const included = new Set<string>();
  const lua = read(new URL(file, dir)).replace(INCLUDE, (_line, name: string) => {
    if (included.has(name)) throw new ScriptLoadError(`${file}: includes "${name}" twice`);
    included.add(name);
    const body = read(new URL(`includes/${name}.lua`, dir));
    if (ANY_INCLUDE.test(body)) throw new ScriptLoadError(`includes/${name}.lua: includes do not nest`);
    return `-- begin include "${name}"\n${body}-- end include "${name}"`;
  });
  if (ANY_INCLUDE.test(lua)) throw new ScriptLoadError(`${file}: malformed @include line`);
  return { file, numberOfKeys: Number(match[1]), lua };
}

function read(url: URL): string {
  try {
    return readFileSync(url, 'utf8');
  } catch (error) {
    throw new ScriptLoadError(`cannot read Lua script ${url.pathname}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** What `defineCommand` needs; both `Redis` and `Cluster` from ioredis provide it. */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

const defined = new WeakMap<ScriptHost, Set<string>>();

/** Defines each script as a command of `client` under its key in `scripts`, once per client. */
export function defineScripts(client: ScriptHost, scripts: Readonly<Record<string, LuaScript>>): void {
  let names = defined.get(client);
  if (!names) defined.set(client, (names = new Set()));
  for (const [name, script] of Object.entries(scripts)) {
    if (names.has(name)) continue;
    client.defineCommand(name, { lua: script.lua, numberOfKeys: script.numberOfKeys });
    names.add(name);
  }
}
