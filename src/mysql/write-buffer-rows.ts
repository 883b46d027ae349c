import { compareIntegerStrings } from '../money/decimal.ts';
import { WriteBufferError } from './write-buffer-errors.ts';
import { versionOf, type SqlValue, type TableSpec } from './write-buffer-table.ts';

/**
 * The rows a WriteBuffer owes the database, deduplicated by primary key, and the statements that
 * write them. Pure: no I/O, no clock.
 *
 * Merge rule: a newer row for a key replaces the older one, except in a versioned table, where a
 * lower version never replaces a higher one. Rows of a failed flush go back under the rows added
 * meanwhile ({@link OwedRows.restore}), so the owed set stays bounded by the distinct keys.
 */

export interface OwedRow {
  /** The primary key, encoded so that equal keys (1 and 1n) meet. */
  readonly key: string;
  readonly values: readonly SqlValue[];
  readonly version: bigint | undefined;
}

/** Rows taken for one flush, per table in declaration order. */
export interface OwedBatch {
  readonly size: number;
  readonly tables: readonly { readonly table: TableSpec; readonly rows: readonly OwedRow[] }[];
}

/** What fills one `?`: a value, or a list for an `IN (?)`, which the driver writes as `a, b, c`. */
export type StatementValue = SqlValue | readonly SqlValue[];

/** One statement of a flush: a multi-row upsert, or one of the two checkpoint statements. */
export interface PlannedStatement {
  readonly table: string;
  readonly rows: number;
  readonly sql: string;
  readonly values: readonly StatementValue[];
}

/**
 * A prepared statement takes at most 65535 parameters. The upserts travel as text, which has no
 * such limit, but the bound still caps the length of one statement's text, which the server
 * refuses past max_allowed_packet, whatever maxRowsPerStatement says.
 */
export const MAX_PARAMETERS = 65_535;

export class OwedRows {
  readonly #tables = new Map<TableSpec, Map<string, OwedRow>>();
  #size = 0;

  /** `tables` fixes the order every flush writes them in, so concurrent flushes lock alike. */
  constructor(tables: readonly TableSpec[]) {
    const names = new Set<string>();
    for (const table of tables) {
      if (names.has(table.name)) throw new WriteBufferError('INVALID_TABLE', `table ${table.name} twice`);
      names.add(table.name);
      this.#tables.set(table, new Map());
    }
  }

  /** Distinct rows owed. */
  get size(): number {
    return this.#size;
  }

  add(table: TableSpec, values: readonly SqlValue[]): void {
    const rows = this.#rowsOf(table);
    const row: OwedRow = {
      key: encodeKey(table, values),
      values,
      version: table.version === undefined ? undefined : versionOf(table, values),
    };
    const held = rows.get(row.key);
    if (held === undefined) this.#size++;
    else if (held.version !== undefined && row.version! < held.version) return;
    rows.set(row.key, row);
  }

  /** Takes every owed row, leaving the set empty. */
  take(): OwedBatch {
    const tables: { table: TableSpec; rows: OwedRow[] }[] = [];
    for (const [table, rows] of this.#tables) {
      if (rows.size > 0) tables.push({ table, rows: [...rows.values()] });
      rows.clear();
    }
    const batch = { size: this.#size, tables };
    this.#size = 0;
    return batch;
  }

  /** Gives back the rows of a failed flush; a row added since for the same key wins (or the higher version). */
  restore(batch: OwedBatch): void {
    for (const { table, rows: owed } of batch.tables) {
      const rows = this.#rowsOf(table);
      for (const row of owed) {
        const newer = rows.get(row.key);
        if (newer === undefined) this.#size++;
        else if (newer.version === undefined || row.version! <= newer.version) continue;
        rows.set(row.key, row);
      }
    }
  }

  #rowsOf(table: TableSpec): Map<string, OwedRow> {
    const rows = this.#tables.get(table);
    if (rows === undefined) {
      throw new WriteBufferError('INVALID_TABLE', `table ${table.name} is not declared in this WriteBuffer`);
    }
    return rows;
  }
}

/**
 * One multi-row upsert per table (more when a table has more than `maxRowsPerStatement` rows or
 * would pass {@link MAX_PARAMETERS}), tables in declaration order, rows sorted by primary key.
 */
export function planUpserts(batch: OwedBatch, maxRowsPerStatement: number): PlannedStatement[] {
  const statements: PlannedStatement[] = [];
  for (const { table, rows } of batch.tables) {
    const sorted = sortByKey(rows, table);
    const chunk = Math.max(
      1,
      Math.min(maxRowsPerStatement, Math.floor(MAX_PARAMETERS / table.columns.length)),
    );
    for (let start = 0; start < sorted.length; start += chunk) {
      const end = Math.min(sorted.length, start + chunk);
      const values: SqlValue[] = [];
      for (let i = start; i < end; i++) for (const value of sorted[i]!.values) values.push(value);
      statements.push({
        table: table.name,
        rows: end - start,
        sql: table.upsert.sqlFor(end - start),
        values,
      });
    }
  }
  return statements;
}

/**
 * The rows in {@link compareKeys} order. Each key value's rank is worked out once per row, not once
 * per comparison (a flush sorts hundreds of rows whose ids are decimal strings: a regular expression
 * per comparison was most of the sort's time, profiled in the matcher thread).
 */
function sortByKey(rows: readonly OwedRow[], table: TableSpec): OwedRow[] {
  const keyIndexes = table.primaryKey.map((column) => table.columns.indexOf(column));
  const ranked = rows.map((row) => ({ row, ranks: keyIndexes.map((index) => rank(row.values[index]!)) }));
  ranked.sort((a, b) => {
    for (let k = 0; k < keyIndexes.length; k++) {
      const rankA = a.ranks[k]!;
      const rankB = b.ranks[k]!;
      if (rankA !== rankB) return rankA - rankB;
      const index = keyIndexes[k]!;
      const order = compareRanked(rankA, a.row.values[index]!, b.row.values[index]!);
      if (order !== 0) return order;
    }
    return 0;
  });
  return ranked.map(({ row }) => row);
}

export function encodeKey(table: TableSpec, values: readonly SqlValue[]): string {
  const parts = table.primaryKey.map((column) => keyPart(values[table.columns.indexOf(column)]!));
  return parts.length === 1 ? parts[0]! : JSON.stringify(parts);
}

function keyPart(value: SqlValue): string {
  if (value === null) return 'n';
  if (typeof value === 'bigint' || typeof value === 'boolean') return `i${BigInt(value)}`;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? `i${value}` : `f${value}`;
  if (typeof value === 'string') return `s${value}`;
  if (value instanceof Date) return `d${value.getTime()}`;
  return `b${value.toString('hex')}`;
}

/**
 * A total order of key values: null, then numbers (numbers and bigints compared exactly), then
 * strings (canonical decimal integers numerically before other strings, as the database orders
 * numeric ids given as strings), then dates, then buffers. What matters for locking is that every
 * flush uses the same order; matching the index order where it is cheap keeps the B-tree walk short.
 */
export function compareKeys(
  a: readonly SqlValue[],
  b: readonly SqlValue[],
  keyIndexes: readonly number[],
): number {
  for (const index of keyIndexes) {
    const order = compareValues(a[index]!, b[index]!);
    if (order !== 0) return order;
  }
  return 0;
}

const INTEGER_STRING = /^(0|-?[1-9]\d*)$/;

function compareValues(a: SqlValue, b: SqlValue): number {
  const rankA = rank(a);
  const rankB = rank(b);
  return rankA !== rankB ? rankA - rankB : compareRanked(rankA, a, b);
}

/** Compares two values of the same rank. */
function compareRanked(rankOfBoth: number, a: SqlValue, b: SqlValue): number {
  // Rank 2 is INTEGER_STRING's canonical form, what compareIntegerStrings needs.
  if (rankOfBoth === 2) return compareIntegerStrings(a as string, b as string);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  const x = typeof a === 'boolean' ? Number(a) : a!;
  const y = typeof b === 'boolean' ? Number(b) : b!;
  return x < y ? -1 : x > y ? 1 : 0;
}

function rank(value: SqlValue): number {
  if (value === null) return 0;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return INTEGER_STRING.test(value) ? 2 : 3;
  return value instanceof Date ? 4 : 5;
}
