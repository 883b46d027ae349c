import type { UpsertTemplate } from './sql-statements.ts';
import { WriteBufferError } from './write-buffer-errors.ts';

/**
 * What the WriteBuffer knows of a table: its columns, its primary key, its optional version column
 * and its upsert template (a file of `src/mysql/sql/`). The buffer stays generic over tables: the
 * schema's owners declare their tables with {@link defineTable}.
 */

/** A value bound to a `?` parameter. Money travels as decimal strings or bigints, never floats. */
export type SqlValue = string | number | bigint | boolean | Date | Buffer | null;

export interface TableSpec<C extends string = string> {
  /** The table's name; must be the table of `upsert`. */
  readonly name: string;
  /** Every column a row carries, in the order of the template's column list. */
  readonly columns: readonly C[];
  /** Rows with the same values here are the same row: deduplicated in a flush, sorted by these. */
  readonly primaryKey: readonly C[];
  /**
   * A version-guarded table (balances): an older version never overwrites a newer one, in the
   * buffer (the highest version of a key wins) and in the database (the template's guard). An
   * integer column: number, bigint or a decimal string.
   */
  readonly version?: C;
  /** `INSERT INTO name (columns) VALUES /*:rows*\/ ON DUPLICATE KEY UPDATE ...`. */
  readonly upsert: UpsertTemplate;
}

export type Row<C extends string> = { readonly [K in C]: SqlValue };

/**
 * Checks a table spec against itself and its template, once, and freezes it. With a version
 * column, the template must guard every assignment with `VALUES(version)` and assign the version
 * last: MySQL evaluates the assignments in order, so a guard that follows `version = ...` would
 * compare against the new version.
 */
export function defineTable<const C extends string>(spec: {
  readonly name: string;
  readonly columns: readonly C[];
  readonly primaryKey: readonly NoInfer<C>[];
  readonly version?: NoInfer<C>;
  readonly upsert: UpsertTemplate;
}): TableSpec<C> {
  const fail = (problem: string): never => {
    throw new WriteBufferError('INVALID_TABLE', `table ${spec.name} (${spec.upsert.name}): ${problem}`);
  };
  const { name, columns, primaryKey, version, upsert } = spec;
  if (upsert.table !== name) fail(`the template writes table ${upsert.table}`);
  if (columns.join(',') !== upsert.columns.join(',')) {
    fail(`columns [${columns.join(', ')}] differ from the template's [${upsert.columns.join(', ')}]`);
  }
  if (primaryKey.length === 0) fail('needs a primary key');
  for (const column of primaryKey) if (!columns.includes(column)) fail(`key column ${column} is no column`);
  if (version !== undefined) {
    if (!columns.includes(version)) fail(`version column ${version} is no column`);
    if (primaryKey.includes(version)) fail('the version column cannot be part of the key');
    const guard = new RegExp(`\\bVALUES?\\s*\\(\\s*\`?${version}\`?\\s*\\)`, 'i');
    const last = upsert.assignments.at(-1);
    if (last?.column !== version) fail(`ON DUPLICATE KEY UPDATE must assign ${version} last`);
    for (const { column, expression } of upsert.assignments) {
      if (!guard.test(expression)) fail(`the update of ${column} is not guarded by VALUES(${version})`);
    }
  }
  return Object.freeze({
    name,
    columns: Object.freeze([...columns]),
    primaryKey: Object.freeze([...primaryKey]),
    ...(version === undefined ? {} : { version }),
    upsert,
  });
}

/** The row's values in column order, checked: every column present, nothing else, bindable. */
export function rowValues(table: TableSpec, row: Readonly<Record<string, unknown>>): SqlValue[] {
  const values: SqlValue[] = [];
  for (const column of table.columns) {
    const value = row[column];
    if (!isSqlValue(value)) {
      throw new WriteBufferError(
        'INVALID_ROW',
        `table ${table.name}: column ${column} is ${value === undefined ? 'missing' : `not bindable (${typeof value})`}`,
      );
    }
    values.push(value);
  }
  if (Object.keys(row).length !== table.columns.length) {
    const extra = Object.keys(row).filter((key) => !(table.columns as readonly string[]).includes(key));
    throw new WriteBufferError('INVALID_ROW', `table ${table.name}: unknown columns ${extra.join(', ')}`);
  }
  if (table.version !== undefined) versionOf(table, values);
  return values;
}

/** The version of a row of a versioned table, as a bigint. */
export function versionOf(table: TableSpec, values: readonly SqlValue[]): bigint {
  const value = values[table.columns.indexOf(table.version!)];
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new WriteBufferError(
    'INVALID_ROW',
    `table ${table.name}: version ${String(value)} is not an integer`,
  );
}

function isSqlValue(value: unknown): value is SqlValue {
  switch (typeof value) {
    case 'string':
    case 'bigint':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      return value === null || value instanceof Date || Buffer.isBuffer(value);
    default:
      return false;
  }
}
