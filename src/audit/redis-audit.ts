import { GROUP } from '../matcher/command-stream.ts';
import type { RedisClient } from '../redis/connection.ts';
import type { Keys } from '../redis/keys.ts';
import { scanKeys } from '../redis/scan-keys.ts';

/** Most entries counted when the lag must be counted (it is reported as at least this many). */
const LAG_COUNT_LIMIT = 100_000;

/**
 * The Redis half of `scripts/audit` (DESIGN.md §3, invariants 1, 2 and 7; docs/balances.md): reads
 * every balance, hold, deposit and withdrawal record of one key prefix and checks, exactly (bigint):
 *
 * - every stored amount is a canonical integer of at most 2^63 − 1 and every record has the shape
 *   the balance scripts write (`CORRUPT_FIELD`; a key of the wrong type is `CORRUPT_KEY`);
 * - no available, locked or fees-paid field is negative (`NEGATIVE_BALANCE`);
 * - per user and asset, locked = Σ held of the user's active holds in that asset: more locked than
 *   held is `LOCKED_NOT_HELD`, more held than locked is `HOLD_WITHOUT_LOCK`;
 * - per asset, Σ (available + locked + fees paid) = Σ deposits − Σ accepted withdrawals, both read
 *   from the users' idempotency records (`CONSERVATION`);
 * - per symbol stream, the consumer group's pending (delivered, not acknowledged) entries and its
 *   lag (entries not delivered yet): information, or `STREAM_PENDING` / `STREAM_LAG` differences
 *   when `quiescent` says the system should be idle.
 *
 * Keys are found by SCAN (COUNT 1000) and hashes read by HSCAN, never KEYS or a blocking whole-key
 * read of an unbounded hash. The reads are not one snapshot: on a live system a settlement between
 * two reads shows as a transient difference, so the balance checks are meaningful at a quiescent
 * point (stop the API and let the matchers drain first). Nothing is written.
 */

export type DifferenceKind =
  | 'CONSERVATION'
  | 'NEGATIVE_BALANCE'
  | 'LOCKED_NOT_HELD'
  | 'HOLD_WITHOUT_LOCK'
  | 'CORRUPT_FIELD'
  | 'CORRUPT_KEY'
  | 'STREAM_PENDING'
  | 'STREAM_LAG';

export interface Difference {
  /** Stable, machine-readable. */
  readonly kind: DifferenceKind;
  /** For a human; wording may change. */
  readonly message: string;
  readonly key?: string;
  readonly field?: string;
  readonly userId?: number;
  readonly asset?: string;
  readonly symbol?: string;
}

/** Per asset, in its smallest unit. */
export interface AssetTotals {
  available: bigint;
  locked: bigint;
  feesPaid: bigint;
  deposited: bigint;
  withdrawn: bigint;
  /** False when a stored amount of this asset could not be read: its conservation was not checked. */
  complete: boolean;
}

export interface StreamStatus {
  readonly symbol: string;
  readonly key: string;
  /** False when the stream has no `matchers` group yet (no owner has read it). */
  readonly hasGroup: boolean;
  readonly length: number;
  /** Delivered to a consumer and not acknowledged (XPENDING summary). */
  readonly pending: number;
  readonly pendingConsumers: ReadonlyArray<{ consumer: string; count: number }>;
  /** Entries not delivered to the group yet (XINFO GROUPS lag; null when Redis cannot tell). */
  readonly lag: number | null;
}

export interface AuditReport {
  readonly ok: boolean;
  readonly differences: Difference[];
  /** Sorted by asset. */
  readonly totals: Map<string, AssetTotals>;
  readonly streams: StreamStatus[];
  readonly users: number;
  readonly keysScanned: number;
}

export interface AuditOptions {
  /** The system should be idle: pending or undelivered stream entries are differences. */
  readonly quiescent?: boolean;
  /** Users audited at once (default 16). */
  readonly concurrency?: number;
}

const SCAN_COUNT = 1000;
/** 2^63 − 1: the largest balance and amount (docs/balances.md). */
const MAX_AMOUNT = 2n ** 63n - 1n;
const CANONICAL = /^(0|-?[1-9][0-9]*)$/;
const ASSET = /^[A-Z0-9]{2,12}$/;

const USER_KEY_KINDS = ['bal', 'holds', 'deposits', 'withdrawals'] as const;
type UserKeyKind = (typeof USER_KEY_KINDS)[number];

export async function auditRedis(
  redis: RedisClient,
  keys: Keys,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const audit = new Audit(redis, keys, options);
  return audit.run();
}

class Audit {
  private readonly differences: Difference[] = [];
  private readonly totals = new Map<string, AssetTotals>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly options: AuditOptions,
  ) {}

  async run(): Promise<AuditReport> {
    const { users, streams, keysScanned } = await this.scan();
    const ids = [...users.keys()].sort((a, b) => a - b);
    const concurrency = Math.max(1, this.options.concurrency ?? 16);
    for (let i = 0; i < ids.length; i += concurrency) {
      await Promise.all(ids.slice(i, i + concurrency).map((id) => this.auditUser(id, users.get(id)!)));
    }
    this.checkConservation();
    const streamStatus: StreamStatus[] = [];
    for (const [symbol, key] of [...streams].sort(([a], [b]) => compare(a, b))) {
      const status = await this.auditStream(symbol, key);
      if (status) streamStatus.push(status);
    }
    const totals = new Map([...this.totals].sort(([a], [b]) => compare(a, b)));
    // Users are read concurrently: a stable order, whatever order the replies came in.
    this.differences.sort(
      (a, b) =>
        compare(a.kind, b.kind) ||
        (a.userId ?? 0) - (b.userId ?? 0) ||
        compare(a.asset ?? '', b.asset ?? '') ||
        compare(a.key ?? '', b.key ?? '') ||
        compare(a.field ?? '', b.field ?? ''),
    );
    return {
      ok: this.differences.length === 0,
      differences: this.differences,
      totals,
      streams: streamStatus,
      users: ids.length,
      keysScanned,
    };
  }

  /** One SCAN over the prefix, on every master of a Cluster: users with balance keys, symbol streams. */
  private async scan(): Promise<{
    users: Map<number, Set<UserKeyKind>>;
    streams: Map<string, string>;
    keysScanned: number;
  }> {
    const p = escapeRegExp(this.keys.prefix);
    const userKey = new RegExp(`^${p}:(${USER_KEY_KINDS.join('|')}):\\{u:([0-9]+)\\}$`);
    const streamKey = new RegExp(`^${p}:orders:\\{([^{}]+)\\}$`);
    const users = new Map<number, Set<UserKeyKind>>();
    const streams = new Map<string, string>();
    const found = await scanKeys(this.redis, this.keys.pattern);
    for (const key of found) {
      const u = userKey.exec(key);
      if (u) {
        const id = Number(u[2]);
        // Only what keys.ts would build: a canonical positive safe integer.
        if (!Number.isSafeInteger(id) || id <= 0 || String(id) !== u[2]) {
          this.report({ kind: 'CORRUPT_KEY', key, message: `${key}: not a valid user id` });
          continue;
        }
        let kinds = users.get(id);
        if (!kinds) users.set(id, (kinds = new Set()));
        kinds.add(u[1] as UserKeyKind);
        continue;
      }
      const s = streamKey.exec(key);
      if (s) {
        let expected: string | undefined;
        try {
          expected = this.keys.orderStream(s[1]!);
        } catch {
          expected = undefined;
        }
        if (expected === key) streams.set(s[1]!, key);
        else this.report({ kind: 'CORRUPT_KEY', key, message: `${key}: not a valid symbol stream key` });
      }
    }
    return { users, streams, keysScanned: found.length };
  }

  private async auditUser(userId: number, present: Set<UserKeyKind>): Promise<void> {
    const read = (kind: UserKeyKind, key: string) =>
      present.has(kind) ? this.readHash(key) : Promise.resolve(new Map<string, string>());
    const [bal, holds, deposits, withdrawals] = await Promise.all([
      read('bal', this.keys.balances(userId)),
      read('holds', this.keys.holds(userId)),
      read('deposits', this.keys.deposits(userId)),
      read('withdrawals', this.keys.withdrawals(userId)),
    ]);
    const balKey = this.keys.balances(userId);
    const holdsKey = this.keys.holds(userId);

    // Balances: a:/l:/f: per asset.
    const locked = new Map<string, bigint>();
    /** Assets whose locked field or one of whose holds could not be read: no locked check. */
    const unknownLocked = new Set<string>();
    let holdsUnreadable = bal === undefined || holds === undefined;
    for (const [field, value] of bal ?? []) {
      // The hash's version (bumped by every change, docs/balances.md): no amount, but MySQL's
      // balances.version copies it, so it must read as one.
      if (field === 'v') {
        this.amount(value, { key: balKey, field, userId }, undefined, false);
        continue;
      }
      const kind = field.slice(0, 2);
      const asset = field.slice(2);
      const where = { key: balKey, field, userId };
      if (!(kind === 'a:' || kind === 'l:' || kind === 'f:') || !ASSET.test(asset)) {
        this.report({ ...where, kind: 'CORRUPT_FIELD', message: `${balKey} ${field}: not a balance field` });
        continue;
      }
      const amount = this.amount(value, where, asset, true);
      if (amount === undefined) {
        if (kind === 'l:') unknownLocked.add(asset);
        continue;
      }
      if (amount < 0n) {
        const name = kind === 'a:' ? 'available' : kind === 'l:' ? 'locked' : 'fees paid';
        this.report({
          ...where,
          asset,
          kind: 'NEGATIVE_BALANCE',
          message: `user ${userId} ${asset} ${name} is negative: ${amount}`,
        });
      }
      const t = this.total(asset);
      if (kind === 'a:') t.available += amount;
      else if (kind === 'l:') {
        t.locked += amount;
        locked.set(asset, amount);
      } else t.feesPaid += amount;
    }

    // Holds: Σ held of active holds per asset.
    const held = new Map<string, bigint>();
    for (const [field, record] of holds ?? []) {
      const where = { key: holdsKey, field, userId };
      const bad = (why: string) =>
        this.report({
          ...where,
          kind: 'CORRUPT_FIELD',
          message: `${holdsKey} ${field}: ${why}: ${JSON.stringify(record)}`,
        });
      if (field.includes('#')) {
        // An amend's extra hold: `A <amount>` or `R`; its amount is already in the order's held.
        const words = record.split(' ');
        if (record === 'R') continue;
        if (
          words.length !== 2 ||
          words[0] !== 'A' ||
          this.amount(words[1]!, where, undefined, false) === undefined
        )
          bad('not an amend hold record');
        continue;
      }
      if (record === 'R') continue;
      const words = record.split(' ');
      if (words.length === 3 && words[0] === 'X') {
        if (!ASSET.test(words[1]!) || this.amount(words[2]!, where, undefined, false) === undefined)
          bad('not a released hold record');
        continue;
      }
      if (words.length === 3 && ASSET.test(words[0]!)) {
        const asset = words[0]!;
        // Holds are not in the totals: a corrupt one only stops the user's locked check for the asset.
        const h = this.amount(words[1]!, where, undefined, false);
        const a = this.amount(words[2]!, where, undefined, false);
        if (h === undefined || a === undefined) {
          unknownLocked.add(asset);
          continue;
        }
        held.set(asset, (held.get(asset) ?? 0n) + h);
        continue;
      }
      bad('not a hold record');
      holdsUnreadable = true;
    }

    if (!holdsUnreadable) {
      for (const asset of new Set([...locked.keys(), ...held.keys()])) {
        if (unknownLocked.has(asset)) continue;
        const l = locked.get(asset) ?? 0n;
        const h = held.get(asset) ?? 0n;
        if (l === h) continue;
        const common = { key: balKey, field: `l:${asset}`, userId, asset };
        if (l > h) {
          this.report({
            ...common,
            kind: 'LOCKED_NOT_HELD',
            message: `user ${userId} ${asset}: locked ${l} but active holds hold ${h} (${l - h} locked for no order)`,
          });
        } else {
          this.report({
            ...common,
            kind: 'HOLD_WITHOUT_LOCK',
            message: `user ${userId} ${asset}: active holds hold ${h} but only ${l} is locked (${h - l} held without lock)`,
          });
        }
      }
    }

    // Deposits and withdrawals: `<asset> <amount>`, refused withdrawals `R <asset> <amount>`.
    const ledger = (map: Map<string, string> | undefined, key: string, withdrawal: boolean) => {
      for (const [field, record] of map ?? []) {
        const where = { key, field, userId };
        let words = record.split(' ');
        const refused = withdrawal && words[0] === 'R';
        if (refused) words = words.slice(1);
        const asset = words[0];
        if (words.length !== 2 || asset === undefined || !ASSET.test(asset)) {
          // An asset that reads is missing an amount: its conservation cannot be checked.
          if (asset !== undefined && ASSET.test(asset)) this.total(asset).complete = false;
          this.report({
            ...where,
            kind: 'CORRUPT_FIELD',
            message: `${key} ${field}: not a ${withdrawal ? 'withdrawal' : 'deposit'} record: ${JSON.stringify(record)}`,
          });
          continue;
        }
        const amount = this.amount(words[1]!, where, asset, false);
        if (amount === undefined || refused) continue;
        if (withdrawal) this.total(asset).withdrawn += amount;
        else this.total(asset).deposited += amount;
      }
    };
    ledger(deposits, this.keys.deposits(userId), false);
    ledger(withdrawals, this.keys.withdrawals(userId), true);
  }

  private checkConservation(): void {
    for (const [asset, t] of this.totals) {
      if (!t.complete) continue;
      const held = t.available + t.locked + t.feesPaid;
      const net = t.deposited - t.withdrawn;
      if (held === net) continue;
      this.report({
        kind: 'CONSERVATION',
        asset,
        message:
          `${asset}: available ${t.available} + locked ${t.locked} + fees paid ${t.feesPaid} = ${held}, ` +
          `but deposits ${t.deposited} − withdrawals ${t.withdrawn} = ${net} (off by ${held - net})`,
      });
    }
  }

  private async auditStream(symbol: string, key: string): Promise<StreamStatus | undefined> {
    let length: number;
    let groups: unknown[][];
    try {
      length = await this.redis.xlen(key);
      groups = (await this.redis.xinfo('GROUPS', key)) as unknown[][];
    } catch (error) {
      if (isWrongType(error)) {
        this.report({ kind: 'CORRUPT_KEY', key, symbol, message: `${key}: not a stream` });
        return undefined;
      }
      throw error;
    }
    const group = groups.map(pairs).find((g) => g.get('name') === GROUP);
    if (!group) {
      return { symbol, key, hasGroup: false, length, pending: 0, pendingConsumers: [], lag: null };
    }
    const [count, , , consumers] = (await this.redis.xpending(key, GROUP)) as [
      number,
      string | null,
      string | null,
      Array<[string, string]> | null,
    ];
    const rawLag = group.get('lag');
    let lag = rawLag === null || rawLag === undefined ? null : Number(rawLag);
    if (lag === null) {
      // The matchers move the group's mark with XGROUP SETID (command-stream.ts), after which Redis
      // cannot tell the lag: count the entries after the mark, up to a bound.
      const after = await this.redis.xrange(
        key,
        `(${String(group.get('last-delivered-id'))}`,
        '+',
        'COUNT',
        LAG_COUNT_LIMIT,
      );
      lag = after.length;
    }
    const status: StreamStatus = {
      symbol,
      key,
      hasGroup: true,
      length,
      pending: Number(count),
      pendingConsumers: (consumers ?? []).map(([consumer, n]) => ({ consumer, count: Number(n) })),
      lag,
    };
    if (this.options.quiescent) {
      if (status.pending > 0) {
        const who = status.pendingConsumers.map((c) => `${c.consumer}: ${c.count}`).join(', ');
        this.report({
          kind: 'STREAM_PENDING',
          key,
          symbol,
          message: `${symbol}: ${status.pending} entries delivered but not acknowledged (${who})`,
        });
      }
      if (lag !== null && lag > 0) {
        this.report({
          kind: 'STREAM_LAG',
          key,
          symbol,
          message: `${symbol}: ${lag} entries not yet delivered to the ${GROUP} group`,
        });
      }
    }
    return status;
  }

  /** The hash field by field (HSCAN), or undefined (reported) when the key is not a hash. */
  private async readHash(key: string): Promise<Map<string, string> | undefined> {
    const fields = new Map<string, string>();
    let cursor = '0';
    try {
      do {
        const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', SCAN_COUNT);
        cursor = next;
        for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
      } while (cursor !== '0');
    } catch (error) {
      if (isWrongType(error)) {
        this.report({ kind: 'CORRUPT_KEY', key, message: `${key}: not a hash` });
        return undefined;
      }
      throw error;
    }
    return fields;
  }

  /**
   * A stored amount: a canonical decimal integer within ±(2^63 − 1) (`signed`), or ≥ 0. Anything
   * else is reported as CORRUPT_FIELD and marks `asset` incomplete; returns undefined then.
   */
  private amount(
    value: string,
    where: { key: string; field: string; userId: number },
    asset: string | undefined,
    signed: boolean,
  ): bigint | undefined {
    const ok = CANONICAL.test(value) && (signed || !value.startsWith('-'));
    const n = ok ? BigInt(value) : undefined;
    if (n !== undefined && n <= MAX_AMOUNT && n >= -MAX_AMOUNT) return n;
    this.report({
      ...where,
      ...(asset === undefined ? {} : { asset }),
      kind: 'CORRUPT_FIELD',
      message: `${where.key} ${where.field}: ${JSON.stringify(value)} is not ${
        signed ? 'an integer' : 'a non-negative integer'
      } within 2^63 − 1${asset === undefined ? '' : `; ${asset} conservation not checked`}`,
    });
    if (asset !== undefined) this.total(asset).complete = false;
    return undefined;
  }

  private total(asset: string): AssetTotals {
    let t = this.totals.get(asset);
    if (!t) {
      t = { available: 0n, locked: 0n, feesPaid: 0n, deposited: 0n, withdrawn: 0n, complete: true };
      this.totals.set(asset, t);
    }
    return t;
  }

  private report(difference: Difference): void {
    this.differences.push(difference);
  }
}

/** A report as plain JSON: amounts as decimal strings, totals as an object by asset. */
export function reportToJson(report: AuditReport): unknown {
  return {
    ok: report.ok,
    differences: report.differences,
    totals: Object.fromEntries(
      [...report.totals].map(([asset, t]) => [
        asset,
        {
          available: t.available.toString(),
          locked: t.locked.toString(),
          feesPaid: t.feesPaid.toString(),
          deposited: t.deposited.toString(),
          withdrawn: t.withdrawn.toString(),
          complete: t.complete,
        },
      ]),
    ),
    streams: report.streams,
    users: report.users,
    keysScanned: report.keysScanned,
  };
}

function pairs(flat: unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), flat[i + 1]);
  return map;
}

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
