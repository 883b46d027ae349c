/**
 * The balance scripts' replies, decoded into typed results (docs/balances.md), and their errors.
 *
 * Rule of the idempotent scripts: a repeat replies `DUPLICATE` followed by the first call's reply;
 * decoded, that is the first result with `replayed: true`. Settle and release are idempotent by
 * position and reply `SKIPPED` to a position already applied.
 */

export interface DepositResult {
  readonly status: 'OK';
  /** The deposit id was credited before; asset and amount are what was recorded then. */
  readonly replayed: boolean;
  readonly asset: string;
  readonly amount: bigint;
}

export interface WithdrawResult {
  /** INSUFFICIENT_FUNDS: available was below the amount; the refusal is recorded. */
  readonly status: 'OK' | 'INSUFFICIENT_FUNDS';
  readonly replayed: boolean;
  readonly asset: string;
  readonly amount: bigint;
}

/** The outcome of `hold` and `holdMore`. `amount` is what was held (in mode 'all', the balance). */
export type HoldResult =
  | { readonly status: 'OK'; readonly replayed: boolean; readonly amount: bigint }
  | { readonly status: 'INSUFFICIENT_FUNDS'; readonly replayed: boolean };

/** `held`: what the order still holds after the settlement. */
export type SettleResult = { readonly status: 'OK'; readonly held: bigint } | { readonly status: 'SKIPPED' };

export type ReleaseResult =
  | { readonly status: 'OK'; readonly released: bigint; readonly held: bigint }
  | { readonly status: 'SKIPPED' };

/** Error replies of the scripts (nothing changed), plus a reply this module cannot decode. */
export type BalanceErrorCode =
  'INVALID_ARGUMENT' | 'NO_ACTIVE_HOLD' | 'EXCEEDS_HOLD' | 'OVERFLOW' | 'CORRUPT_STATE' | 'UNEXPECTED_REPLY';

const SCRIPT_ERROR_CODES: ReadonlySet<string> = new Set<BalanceErrorCode>([
  'INVALID_ARGUMENT',
  'NO_ACTIVE_HOLD',
  'EXCEEDS_HOLD',
  'OVERFLOW',
  'CORRUPT_STATE',
]);

export class BalanceScriptError extends Error {
  override readonly name = 'BalanceScriptError';

  constructor(
    readonly code: BalanceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A script's error reply (`CODE message`) as a BalanceScriptError; any other error unchanged. */
export function toBalanceError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = /^([A-Z_]+) /.exec(error.message)?.[1];
  if (code === undefined || !SCRIPT_ERROR_CODES.has(code)) return error;
  const message = error.message.replace(/ script: [0-9a-f]{40}, on @user_script:\d+\.$/, '');
  return new BalanceScriptError(code as BalanceErrorCode, message, { cause: error });
}

function unexpected(reply: unknown): never {
  throw new BalanceScriptError(
    'UNEXPECTED_REPLY',
    `unexpected balance script reply ${JSON.stringify(reply)}`,
  );
}

/** The reply as strings, and whether it was a DUPLICATE (then without that first word). */
function unwrap(reply: unknown): { words: readonly string[]; replayed: boolean } {
  if (!Array.isArray(reply) || !reply.every((word) => typeof word === 'string')) unexpected(reply);
  const words = reply as string[];
  return words[0] === 'DUPLICATE' ? { words: words.slice(1), replayed: true } : { words, replayed: false };
}

function amount(word: string | undefined, reply: unknown): bigint {
  if (word === undefined || !/^(0|[1-9]\d*)$/.test(word)) unexpected(reply);
  return BigInt(word);
}

export function decodeDeposit(reply: unknown): DepositResult {
  const { words, replayed } = unwrap(reply);
  const [status, asset] = words;
  if (status !== 'OK' || asset === undefined || words.length !== 3) unexpected(reply);
  return { status, replayed, asset, amount: amount(words[2], reply) };
}

export function decodeWithdraw(reply: unknown): WithdrawResult {
  const { words, replayed } = unwrap(reply);
  const [status, asset] = words;
  if ((status !== 'OK' && status !== 'INSUFFICIENT_FUNDS') || asset === undefined || words.length !== 3) {
    unexpected(reply);
  }
  return { status, replayed, asset, amount: amount(words[2], reply) };
}

export function decodeHold(reply: unknown): HoldResult {
  const { words, replayed } = unwrap(reply);
  if (words[0] === 'OK' && words.length === 2)
    return { status: 'OK', replayed, amount: amount(words[1], reply) };
  if (words[0] === 'INSUFFICIENT_FUNDS' && words.length === 1)
    return { status: 'INSUFFICIENT_FUNDS', replayed };
  return unexpected(reply);
}

export function decodeSettle(reply: unknown): SettleResult {
  const { words, replayed } = unwrap(reply);
  if (replayed) unexpected(reply);
  if (words[0] === 'OK' && words.length === 2) return { status: 'OK', held: amount(words[1], reply) };
  if (words[0] === 'SKIPPED' && words.length === 1) return { status: 'SKIPPED' };
  return unexpected(reply);
}

export function decodeRelease(reply: unknown): ReleaseResult {
  const { words, replayed } = unwrap(reply);
  if (replayed) unexpected(reply);
  if (words[0] === 'OK' && words.length === 3) {
    return { status: 'OK', released: amount(words[1], reply), held: amount(words[2], reply) };
  }
  if (words[0] === 'SKIPPED' && words.length === 1) return { status: 'SKIPPED' };
  return unexpected(reply);
}
