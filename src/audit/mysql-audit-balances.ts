import type { Pool, RowDataPacket } from 'mysql2/promise';
import { loadSqlStatement } from '../mysql/sql-statements.ts';
import type { RedisClient } from '../redis/connection.ts';
import type { Keys } from '../redis/keys.ts';
import { compare, redisBig, sqlBig, type Findings } from './mysql-audit-findings.ts';

/**
 * Balances, deposits and withdrawals, Redis against MySQL (docs/mysql.md, "Audit"), user by user:
 * the users of both stores, in chunks of consecutive ids, each chunk read from MySQL by primary key
 * range and from Redis hash by hash (HSCAN).
 *
 * Redis values the scripts never write (the Redis half reports them as CORRUPT_FIELD/CORRUPT_KEY)
 * are skipped here rather than reported twice.
 */

const USERS = loadSqlStatement('audit-users.sql');
const BALANCES = loadSqlStatement('audit-balances-range.sql');
const DEPOSITS = loadSqlStatement('audit-deposits-range.sql');
const WITHDRAWALS = loadSqlStatement('audit-withdrawals-range.sql');

const SCAN_COUNT = 1000;
const ASSET = /^[A-Z0-9]{2,12}$/;

interface Amounts {
  available: bigint;
  locked: bigint;
  feesPaid: bigint;
}

interface LedgerRecord {
  readonly asset: string;
  readonly amount: bigint;
  /** Withdrawals only: 'ok' or 'insufficient_funds'. */
  readonly status?: string;
}

/** The MySQL rows of one chunk of users, by user. */
interface MysqlChunk {
  readonly balances: Map<number, Map<string, Amounts & { version: bigint }>>;
  readonly deposits: Map<number, Map<string, LedgerRecord>>;
  readonly withdrawals: Map<number, Map<string, LedgerRecord>>;
}

/** Every user id with a row in balances, deposits or withdrawals, ascending, page by page. */
export async function mysqlUsers(pool: Pool, findings: Findings, pageSize: number): Promise<number[]> {
  const users: number[] = [];
  let after = '0';
  for (;;) {
    const [rows] = await pool.query<RowDataPacket[]>(USERS.sql, [
      ...[after, pageSize, after, pageSize, after, pageSize],
      pageSize,
    ]);
    for (const row of rows) {
      const id = userIdOf(row.user_id, findings, 'balances, deposits or withdrawals');
      if (id !== undefined) users.push(id);
    }
    if (rows.length < pageSize) return users;
    after = String(rows[rows.length - 1]!.user_id);
  }
}

/** Compares one chunk of users, sorted ascending, in both stores. */
export async function auditUserChunk(
  redis: RedisClient,
  keys: Keys,
  pool: Pool,
  findings: Findings,
  users: readonly number[],
  concurrency: number,
): Promise<void> {
  const first = String(users[0]);
  const last = String(users[users.length - 1]);
  const [[balanceRows], [depositRows], [withdrawalRows]] = await Promise.all([
    pool.query<RowDataPacket[]>(BALANCES.sql, [first, last]),
    pool.query<RowDataPacket[]>(DEPOSITS.sql, [first, last]),
    pool.query<RowDataPacket[]>(WITHDRAWALS.sql, [first, last]),
  ]);
  const chunk: MysqlChunk = { balances: new Map(), deposits: new Map(), withdrawals: new Map() };
  for (const row of balanceRows) {
    const id = userIdOf(row.user_id, findings, 'balances');
    if (id === undefined) continue;
    mapOf(chunk.balances, id).set(String(row.asset), {
      available: sqlBig(row.available, 'balances.available'),
      locked: sqlBig(row.locked, 'balances.locked'),
      feesPaid: sqlBig(row.fees_paid, 'balances.fees_paid'),
      version: sqlBig(row.version, 'balances.version'),
    });
  }
  for (const row of depositRows) {
    const id = userIdOf(row.user_id, findings, 'deposits');
    if (id === undefined) continue;
    mapOf(chunk.deposits, id).set(String(row.deposit_id), {
      asset: String(row.asset),
      amount: sqlBig(row.amount, 'deposits.amount'),
    });
  }
  for (const row of withdrawalRows) {
    const id = userIdOf(row.user_id, findings, 'withdrawals');
    if (id === undefined) continue;
    mapOf(chunk.withdrawals, id).set(String(row.withdrawal_id), {
      asset: String(row.asset),
      amount: sqlBig(row.amount, 'withdrawals.amount'),
      status: String(row.status),
    });
  }
  // Rows written since the user list was made may name users outside it: audit them too.
  const ids = [
    ...new Set([...users, ...chunk.balances.keys(), ...chunk.deposits.keys(), ...chunk.withdrawals.keys()]),
  ];
  for (let i = 0; i < ids.length; i += concurrency) {
    await Promise.all(ids.slice(i, i + concurrency).map((id) => auditUser(redis, keys, findings, chunk, id)));
  }
}

async function auditUser(
  redis: RedisClient,
  keys: Keys,
  findings: Findings,
  chunk: MysqlChunk,
  userId: number,
): Promise<void> {
  const [bal, deposits, withdrawals] = await Promise.all([
    readHash(redis, keys.balances(userId)),
    readHash(redis, keys.deposits(userId)),
    readHash(redis, keys.withdrawals(userId)),
  ]);
  if (bal !== undefined) compareBalances(findings, userId, bal, chunk.balances.get(userId) ?? new Map());
  if (deposits !== undefined) {
    compareLedger(findings, userId, 'deposit', parseLedger(deposits, false), chunk.deposits.get(userId));
  }
  if (withdrawals !== undefined) {
    const redisSide = parseLedger(withdrawals, true);
    compareLedger(findings, userId, 'withdrawal', redisSide, chunk.withdrawals.get(userId));
  }
}

function compareBalances(
  findings: Findings,
  userId: number,
  hash: Map<string, string>,
  mysql: Map<string, Amounts & { version: bigint }>,
): void {
  // The hash's `v` is bumped by every balance script; no `v` yet: version 0.
  const version = redisBig(hash.get('v')) ?? 0n;
  const redis = new Map<string, Amounts>();
  const unreadable = new Set<string>();
  for (const [field, value] of hash) {
    const kind = field.slice(0, 2);
    const asset = field.slice(2);
    if (!(kind === 'a:' || kind === 'l:' || kind === 'f:') || !ASSET.test(asset)) continue;
    const amount = redisBig(value);
    if (amount === undefined) {
      unreadable.add(asset);
      continue;
    }
    const row = mapOf(redis, asset, () => ({ available: 0n, locked: 0n, feesPaid: 0n }));
    if (kind === 'a:') row.available = amount;
    else if (kind === 'l:') row.locked = amount;
    else row.feesPaid = amount;
  }
  const assets = [...new Set([...redis.keys(), ...mysql.keys()])].sort(compare);
  for (const asset of assets) {
    if (unreadable.has(asset)) continue;
    const r = redis.get(asset);
    const m = mysql.get(asset);
    const redisValues = { ...text(r ?? ZERO), version: version.toString() };
    const mysqlValues = m ? { ...text(m), version: m.version.toString() } : null;
    const where = { userId, asset, redis: redisValues, ...(mysqlValues ? { mysql: mysqlValues } : {}) };
    const sides =
      `Redis ${describe(r)} (v ${version}), ` +
      `MySQL ${m ? `${describe(m)} (version ${m.version})` : 'no row'}`;
    if (m && m.version > version) {
      findings.difference({
        ...where,
        kind: 'BALANCE_VERSION_AHEAD',
        message:
          `user ${userId} ${asset}: MySQL copies a version Redis never reached (Redis lost writes, ` +
          `or the version was reset; the writer's newer copies will be ignored): ${sides}`,
      });
      continue;
    }
    if (sameAmounts(r ?? ZERO, m ?? ZERO)) continue;
    const kind =
      m === undefined
        ? 'BALANCE_MISSING_IN_MYSQL'
        : r === undefined
          ? 'BALANCE_MISSING_IN_REDIS'
          : 'BALANCE_MISMATCH';
    if (version > (m?.version ?? 0n)) {
      findings.lagOrDifference({
        ...where,
        kind,
        message: `user ${userId} ${asset}: ${sides}; Redis is newer: the writer has not copied v ${version} yet`,
      });
    } else {
      findings.difference({
        ...where,
        kind,
        message: `user ${userId} ${asset}: ${sides}; same version, different amounts`,
      });
    }
  }
}

type LedgerKind = 'deposit' | 'withdrawal';

/** `<asset> <amount>`, withdrawals also `R <asset> <amount>` (refused); malformed ones skipped. */
function parseLedger(
  hash: Map<string, string>,
  withdrawal: boolean,
): { records: Map<string, LedgerRecord>; unreadable: Set<string> } {
  const records = new Map<string, LedgerRecord>();
  const unreadable = new Set<string>();
  for (const [id, record] of hash) {
    let words = record.split(' ');
    const refused = withdrawal && words[0] === 'R';
    if (refused) words = words.slice(1);
    const amount = redisBig(words[1]);
    if (words.length !== 2 || !ASSET.test(words[0]!) || amount === undefined) {
      unreadable.add(id);
      continue;
    }
    const status = withdrawal ? { status: refused ? 'insufficient_funds' : 'ok' } : {};
    records.set(id, { asset: words[0]!, amount, ...status });
  }
  return { records, unreadable };
}

function compareLedger(
  findings: Findings,
  userId: number,
  kind: LedgerKind,
  redis: { records: Map<string, LedgerRecord>; unreadable: Set<string> },
  mysql: Map<string, LedgerRecord> = new Map(),
): void {
  const prefix = kind === 'deposit' ? 'DEPOSIT' : 'WITHDRAWAL';
  const ids = [...new Set([...redis.records.keys(), ...mysql.keys()])].sort(compare);
  for (const id of ids) {
    if (redis.unreadable.has(id)) continue;
    const r = redis.records.get(id);
    const m = mysql.get(id);
    const idField = kind === 'deposit' ? { depositId: id } : { withdrawalId: id };
    const where = {
      userId,
      ...idField,
      asset: (r ?? m)!.asset,
      ...(r ? { redis: ledgerText(r) } : {}),
      ...(m ? { mysql: ledgerText(m) } : {}),
    };
    const name = `user ${userId} ${kind} ${JSON.stringify(id)}`;
    if (r && !m) {
      // Redis applies it first; the job that copies it to MySQL may still be queued.
      findings.lagOrDifference({
        ...where,
        kind: `${prefix}_MISSING_IN_MYSQL`,
        message: `${name}: Redis ${describeLedger(r)}, MySQL has no row`,
      });
    } else if (m && !r) {
      findings.difference({
        ...where,
        kind: `${prefix}_MISSING_IN_REDIS`,
        message: `${name}: MySQL ${describeLedger(m)}, Redis has no record (Redis lost it, or MySQL has a row Redis never applied)`,
      });
    } else if (r && m && (r.asset !== m.asset || r.amount !== m.amount || r.status !== m.status)) {
      findings.difference({
        ...where,
        kind: `${prefix}_MISMATCH`,
        message: `${name}: Redis ${describeLedger(r)}, MySQL ${describeLedger(m)}`,
      });
    }
  }
}

/** The hash field by field (HSCAN), or undefined when the key is not a hash. */
async function readHash(redis: RedisClient, key: string): Promise<Map<string, string> | undefined> {
  const fields = new Map<string, string>();
  let cursor = '0';
  try {
    do {
      const [next, flat] = await redis.hscan(key, cursor, 'COUNT', SCAN_COUNT);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
    } while (cursor !== '0');
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('WRONGTYPE')) return undefined;
    throw error;
  }
  return fields;
}

function userIdOf(value: unknown, findings: Findings, table: string): number | undefined {
  const id = Number(value);
  if (Number.isSafeInteger(id) && id > 0 && String(id) === String(value)) return id;
  findings.difference({
    kind: 'MYSQL_CORRUPT_ROW',
    message: `${table}: user_id ${String(value)} is not a positive safe integer (no Redis key can hold it)`,
  });
  return undefined;
}

const ZERO: Amounts = { available: 0n, locked: 0n, feesPaid: 0n };

function sameAmounts(a: Amounts, b: Amounts): boolean {
  return a.available === b.available && a.locked === b.locked && a.feesPaid === b.feesPaid;
}

function describe(a: Amounts | undefined): string {
  return a ? `available ${a.available} locked ${a.locked} fees ${a.feesPaid}` : 'nothing';
}

function text(a: Amounts): Record<string, string> {
  return { available: a.available.toString(), locked: a.locked.toString(), feesPaid: a.feesPaid.toString() };
}

function ledgerText(r: LedgerRecord): Record<string, string> {
  return { asset: r.asset, amount: r.amount.toString(), ...(r.status ? { status: r.status } : {}) };
}

function describeLedger(r: LedgerRecord): string {
  return `${r.amount} ${r.asset}${r.status ? ` (${r.status})` : ''}`;
}

function mapOf<K, V>(map: Map<K, V>, key: K, make: () => V = () => new Map() as V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}
