/**
 * Where Redis spends its time over a measured window, from Redis itself, in shares of one core
 * (Redis runs commands on one thread, so its CPU is what the stream and the scripts queue behind):
 *
 * - by command, always: `INFO commandstats` before and after the window. A command a script runs
 *   (`redis.call`) is counted under its own name too, and its time is also inside the script's
 *   `evalsha`: the shares are not to be added up.
 * - by script, on request (`--redis-sample SECONDS`): `evalsha` is one line whatever the script, so
 *   for a few seconds in the middle of the window the slowlog records every command
 *   (`slowlog-log-slower-than 0`), and each script call's time is summed under the script's name
 *   (its SHA1 is the one ioredis sends). The slowlog costs Redis a little while it records: the
 *   shares are a split, not a figure to compare with the CPU line. The settings are restored after.
 */
import { createHash } from 'node:crypto';

/** One command's or one script's part of Redis's time over a window. */
export interface RedisTimeShare {
  /** A command (`evalsha`, `hget`, `xgroup|setid`) or a script's name (`balanceBatch`). */
  readonly name: string;
  readonly callsPerSec: number;
  readonly usecPerCall: number;
  /** Redis's time in it over the window, in shares of one core (0.32: 32 % of a core). */
  readonly coreShare: number;
}

export interface CommandCounters {
  readonly calls: number;
  readonly usec: number;
}

const COMMAND_STAT = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/;

/** The `calls` and `usec` of each command in an `INFO commandstats` reply. */
export function parseCommandStats(info: string): Map<string, CommandCounters> {
  const stats = new Map<string, CommandCounters>();
  for (const line of info.split(/\r?\n/)) {
    const match = COMMAND_STAT.exec(line);
    if (match) stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

/**
 * The commands' shares between two `INFO commandstats` replies, the largest first; commands not
 * called in the window are left out. A counter that went down (CONFIG RESETSTAT in the window)
 * counts from zero.
 */
export function commandSharesBetween(start: string, end: string, windowSec: number): RedisTimeShare[] {
  const before = parseCommandStats(start);
  const shares: RedisTimeShare[] = [];
  for (const [name, after] of parseCommandStats(end)) {
    const earlier = before.get(name);
    const reset = earlier === undefined || after.calls < earlier.calls || after.usec < earlier.usec;
    const calls = reset ? after.calls : after.calls - earlier.calls;
    const usec = reset ? after.usec : after.usec - earlier.usec;
    if (calls > 0) shares.push(share(name, calls, usec, windowSec));
  }
  return largestFirst(shares);
}

/** One slowlog entry: how long the command ran and its arguments. */
export interface SlowlogEntry {
  readonly durationUs: number;
  readonly args: readonly string[];
}

/** SLOWLOG GET's reply (`[id, time, duration, [args...], addr, name]` per entry) as entries. */
export function parseSlowlog(reply: unknown): SlowlogEntry[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected SLOWLOG GET reply: ${typeof reply}`);
  return reply.map((entry: unknown) => {
    if (!Array.isArray(entry) || typeof entry[2] !== 'number' || !Array.isArray(entry[3])) {
      throw new Error(`unexpected slowlog entry: ${JSON.stringify(entry)}`);
    }
    return { durationUs: entry[2], args: entry[3].map(String) };
  });
}

/** Each script's SHA1 (what EVALSHA names it by) to its name. */
export function scriptNamesBySha(
  scripts: Readonly<Record<string, { readonly lua: string }>>,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, { lua }] of Object.entries(scripts)) {
    names.set(createHash('sha1').update(lua).digest('hex'), name);
  }
  return names;
}

/**
 * The script calls' shares of a slowlog sample of `sampleSec` seconds, by script name, the largest
 * first. Only EVALSHA and EVAL entries count: their time includes the commands the script ran,
 * which the slowlog lists on their own as well. An unknown SHA is named `script <first 8 hex>`; an
 * EVAL (a script sent whole, the first time a connection runs it) is named `eval`.
 */
export function scriptShares(
  entries: readonly SlowlogEntry[],
  names: ReadonlyMap<string, string>,
  sampleSec: number,
): RedisTimeShare[] {
  const totals = new Map<string, CommandCounters>();
  for (const { durationUs, args } of entries) {
    const command = args[0]?.toLowerCase();
    let name: string;
    if (command === 'evalsha') {
      const sha = (args[1] ?? '').toLowerCase();
      name = names.get(sha) ?? `script ${sha.slice(0, 8)}`;
    } else if (command === 'eval') name = 'eval';
    else continue;
    const held = totals.get(name) ?? { calls: 0, usec: 0 };
    totals.set(name, { calls: held.calls + 1, usec: held.usec + durationUs });
  }
  return largestFirst([...totals].map(([name, { calls, usec }]) => share(name, calls, usec, sampleSec)));
}

function share(name: string, calls: number, usec: number, seconds: number): RedisTimeShare {
  return {
    name,
    callsPerSec: calls / seconds,
    usecPerCall: usec / calls,
    coreShare: usec / 1e6 / seconds,
  };
}

function largestFirst(shares: RedisTimeShare[]): RedisTimeShare[] {
  return shares.sort((a, b) => b.coreShare - a.coreShare || (a.name < b.name ? -1 : 1));
}

/** What the sample changes, read before and put back after. */
const SLOWLOG_SETTINGS = ['slowlog-log-slower-than', 'slowlog-max-len'] as const;

/** Sends one command: an ioredis client fits. */
export interface RedisCaller {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** Entries the slowlog keeps during a sample: enough for seconds of a busy Redis. */
export const SAMPLE_SLOWLOG_LENGTH = 1_000_000;

/**
 * Records every command for `seconds` and returns the entries; the slowlog's settings are restored
 * whatever happens (its entries are not: the sample resets them).
 */
export async function sampleSlowlog(
  redis: RedisCaller,
  seconds: number,
  sleep: (ms: number) => Promise<void>,
): Promise<SlowlogEntry[]> {
  const saved = new Map<string, string>();
  for (const setting of SLOWLOG_SETTINGS) {
    const reply = await redis.call('CONFIG', 'GET', setting);
    if (!Array.isArray(reply) || typeof reply[1] !== 'string') {
      throw new Error(`CONFIG GET ${setting}: unexpected reply ${JSON.stringify(reply)}`);
    }
    saved.set(setting, reply[1]);
  }
  try {
    await redis.call('CONFIG', 'SET', 'slowlog-max-len', String(SAMPLE_SLOWLOG_LENGTH));
    await redis.call('SLOWLOG', 'RESET');
    await redis.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await sleep(seconds * 1000);
    // Recording stops before the read: the SLOWLOG GET and what follows are not part of the sample.
    await redis.call('CONFIG', 'SET', 'slowlog-log-slower-than', saved.get('slowlog-log-slower-than')!);
    return parseSlowlog(await redis.call('SLOWLOG', 'GET', String(SAMPLE_SLOWLOG_LENGTH)));
  } finally {
    for (const [setting, value] of saved) await redis.call('CONFIG', 'SET', setting, value);
    await redis.call('SLOWLOG', 'RESET');
  }
}
