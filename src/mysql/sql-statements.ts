import { readSqlText, splitStatements, SqlFileError } from './sql-files.ts';

/**
 * Loads the WriteBuffer's SQL from `src/mysql/sql/`: one statement per file, opening with `--`
 * header lines that say what it does and list its parameters (comments are dropped at load, by
 * sql-files.ts). Files are read once, when the module that needs them is loaded; our code never
 * assembles a statement's text from runtime values.
 *
 * The one expansion allowed is the VALUES list of a multi-row upsert: an upsert template writes the
 * marker {@link ROWS_MARKER} where its rows go, and {@link UpsertTemplate.sqlFor} replaces it with
 * N tuples of `?` placeholders, one per column. Only the count of rows shapes the text. The values
 * go to the driver beside it: the WriteBuffer sends through the text protocol, where mysql2 escapes
 * each value into its placeholder (and writes an array given for one `?` as a list, for `IN (?)`),
 * on sessions whose sql_mode and character set make that escaping exact (write-buffer-transaction.ts).
 */

/** The directory of the statement files. */
export const SQL_DIR = new URL('./sql/', import.meta.url);

/** Where an upsert template's VALUES tuples go. */
export const ROWS_MARKER = '/*:rows*/';

export class SqlTemplateError extends Error {
  override readonly name = 'SqlTemplateError';
}

/** A statement with a fixed number of `?` parameters. */
export interface SqlStatement {
  /** File name (or the name given to {@link parseSqlStatement}). */
  readonly name: string;
  readonly sql: string;
  readonly parameterCount: number;
}

/** One `column = expression` of an upsert's ON DUPLICATE KEY UPDATE clause, in order. */
export interface UpsertAssignment {
  readonly column: string;
  readonly expression: string;
}

/** `INSERT INTO table (columns) VALUES /*:rows*\/ ON DUPLICATE KEY UPDATE ...`, expandable to N rows. */
export interface UpsertTemplate {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly assignments: readonly UpsertAssignment[];
  /** The statement for `rowCount` rows: rowCount × columns.length placeholders, row after row. */
  sqlFor(rowCount: number): string;
}

/** Holds the marker's place while comments are stripped: it is one. */
const MARKER_STAND_IN = '\u0001rows\u0001';
const IDENTIFIER = /^`?([A-Za-z_][A-Za-z0-9_]*)`?$/;
const UPSERT =
  /^INSERT\s+INTO\s+(\S+)\s*\(([^)]*)\)\s*VALUES\s*\/\*:rows\*\/\s*ON\s+DUPLICATE\s+KEY\s+UPDATE\s+([\s\S]+)$/i;

export function loadSqlStatement(file: string, dir: URL = SQL_DIR): SqlStatement {
  return parseSqlStatement(file, read(dir, file));
}

export function loadUpsertTemplate(file: string, dir: URL = SQL_DIR): UpsertTemplate {
  return parseUpsertTemplate(file, read(dir, file));
}

export function parseSqlStatement(name: string, text: string): SqlStatement {
  if (text.includes(ROWS_MARKER))
    throw new SqlTemplateError(`${name}: ${ROWS_MARKER} belongs in upserts only`);
  const sql = statementOf(name, text);
  return Object.freeze({ name, sql, parameterCount: countParameters(sql) });
}

export function parseUpsertTemplate(name: string, text: string): UpsertTemplate {
  const fail = (problem: string): never => {
    throw new SqlTemplateError(`${name}: ${problem}`);
  };
  if (text.split(ROWS_MARKER).length !== 2) fail(`needs the marker ${ROWS_MARKER} exactly once`);
  const sql = statementOf(name, text.replace(ROWS_MARKER, MARKER_STAND_IN)).replace(
    MARKER_STAND_IN,
    ROWS_MARKER,
  );
  if (countParameters(sql) !== 0) fail('takes its values from the rows only: no other ? parameter');
  const match = UPSERT.exec(sql);
  if (!match) fail(`is not INSERT INTO t (columns) VALUES ${ROWS_MARKER} ON DUPLICATE KEY UPDATE ...`);
  const [, rawTable, rawColumns, rawUpdates] = match!;
  const table = identifier(rawTable!) ?? fail(`bad table name ${rawTable}`);
  const columns = rawColumns!.split(',').map((c) => identifier(c) ?? fail(`bad column name "${c.trim()}"`));
  if (new Set(columns).size !== columns.length) fail('names a column twice');
  const assignments = splitTopLevel(rawUpdates!).map((part): UpsertAssignment => {
    const eq = part.indexOf('=');
    const column = eq > 0 ? identifier(part.slice(0, eq)) : undefined;
    if (column === undefined) fail(`"${part}" is not column = expression`);
    return { column: column!, expression: part.slice(eq + 1).trim() };
  });
  const [head, tail] = sql.split(ROWS_MARKER) as [string, string];
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return Object.freeze({
    name,
    table,
    columns: Object.freeze(columns),
    assignments: Object.freeze(assignments),
    sqlFor(rowCount: number): string {
      if (!Number.isSafeInteger(rowCount) || rowCount < 1) {
        throw new SqlTemplateError(`${name}: cannot expand to ${rowCount} rows`);
      }
      return `${head}${Array<string>(rowCount).fill(tuple).join(', ')}${tail}`;
    },
  });
}

/** The one statement of `text`, without comments (sql-files.ts) or surrounding blanks. */
function statementOf(name: string, text: string): string {
  let statements: string[];
  try {
    statements = splitStatements(text);
  } catch (error) {
    throw new SqlTemplateError(`${name}: ${(error as Error).message}`, { cause: error });
  }
  if (statements.length !== 1) {
    throw new SqlTemplateError(`${name}: holds ${statements.length} statements, expected exactly 1`);
  }
  return statements[0]!;
}

function countParameters(sql: string): number {
  return sql.split('?').length - 1;
}

function identifier(text: string): string | undefined {
  return IDENTIFIER.exec(text.trim())?.[1];
}

/** Splits at the commas outside parentheses and quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

function read(dir: URL, file: string): string {
  try {
    return readSqlText(new URL(file, dir));
  } catch (error) {
    if (error instanceof SqlFileError) throw new SqlTemplateError(error.message, { cause: error });
    throw error;
  }
}
