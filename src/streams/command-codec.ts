import type { Command, CommandType } from '../engine/types.ts';

/**
 * The wire format of a per-symbol command stream entry (`ex:orders:{SYMBOL}`), shared by the API
 * (writer) and the matcher (reader). An entry has two fields:
 *   k  the command type: place | cancel | cancelAll | amend | setFees
 *   b  JSON of the engine command without `type` and `timestamp`, plus
 *        clientOrderId (place only, or null) and replyTo (the API instance to tell the outcome, or null)
 * The command's timestamp is the entry id's millisecond part: the stream is the engine's only clock,
 * so a replay sees exactly the times the live run saw.
 */

export interface StreamCommand {
  readonly entryId: string;
  readonly command: Command;
  readonly clientOrderId: string | null;
  /** API instance id whose outcome channel wants this command's result, or null. */
  readonly replyTo: string | null;
}

/** An entry the codec cannot read at all (not JSON, unknown type): acknowledged and skipped, logged. */
export interface UndecodableEntry {
  readonly entryId: string;
  readonly problem: string;
}

const COMMAND_TYPES: ReadonlySet<string> = new Set<CommandType>([
  'place',
  'cancel',
  'cancelAll',
  'amend',
  'setFees',
]);

type Intent = { readonly type: CommandType } & Record<string, unknown>;

/** Field/value pairs for XADD. `intent` is an engine command without its timestamp. */
export function encodeCommand(
  intent: Intent,
  clientOrderId: string | null,
  replyTo: string | null,
): string[] {
  const { type, ...body } = intent;
  const payload = type === 'place' ? { ...body, clientOrderId, replyTo } : { ...body, replyTo };
  return ['k', type, 'b', JSON.stringify(payload)];
}

/** The millisecond part of a stream entry id ("1700000000000-3" → 1700000000000). */
export function entryTimestamp(entryId: string): number {
  const dash = entryId.indexOf('-');
  return Number(dash === -1 ? entryId : entryId.slice(0, dash));
}

/**
 * Reads one entry as ioredis returns it ([id, [field, value, ...]]). Field types are not checked
 * here: the engine validates every command and rejects what is malformed, deterministically.
 */
export function decodeEntry(entryId: string, fields: readonly string[]): StreamCommand | UndecodableEntry {
  let type: string | undefined;
  let body: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'k') type = fields[i + 1];
    else if (fields[i] === 'b') body = fields[i + 1];
  }
  if (type === undefined || !COMMAND_TYPES.has(type))
    return { entryId, problem: `unknown command type ${type}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { entryId, problem: 'body is not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { entryId, problem: 'body is not an object' };
  }
  const { clientOrderId = null, replyTo = null, ...rest } = parsed as Record<string, unknown>;
  const command = { ...rest, type, timestamp: entryTimestamp(entryId) } as unknown as Command;
  return {
    entryId,
    command,
    clientOrderId: typeof clientOrderId === 'string' ? clientOrderId : null,
    replyTo: typeof replyTo === 'string' ? replyTo : null,
  };
}

export function isUndecodable(entry: StreamCommand | UndecodableEntry): entry is UndecodableEntry {
  return 'problem' in entry;
}
