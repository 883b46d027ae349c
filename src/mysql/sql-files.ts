import { readFileSync } from 'node:fs';

/**
 * SQL lives in `.sql` files (STYLE.md, practice 7), read once and never assembled from runtime
 * values: values travel as `?` parameters. This module reads such files and cuts a file of several
 * `;`-separated statements into the statements the server runs one at a time (mysql2 runs one
 * statement per query unless `multipleStatements` is on, which stays off).
 *
 * Comments are removed (a `?` inside one would otherwise be taken for a parameter), except MariaDB's
 * executable comments (`/*! ... *\/`, `/*M! ... *\/`), which are code. `DELIMITER` is not supported:
 * a file holds no procedure or trigger bodies.
 */

export class SqlFileError extends Error {
  override readonly name = 'SqlFileError';
}

/** The statements of `sql`, in order, without comments or surrounding blanks; empty ones dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const flush = () => {
    const statement = current.trim();
    if (statement !== '') statements.push(statement);
    current = '';
  };
  while (i < sql.length) {
    const char = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (char === "'" || char === '"' || char === '`') {
      const end = endOfQuoted(sql, i);
      current += sql.slice(i, end);
      i = end;
    } else if ((char === '-' && next === '-' && /^\s?$/.test(sql[i + 2] ?? '')) || char === '#') {
      const newline = sql.indexOf('\n', i);
      i = newline === -1 ? sql.length : newline;
    } else if (char === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close === -1) throw new SqlFileError(`unterminated comment at offset ${i}`);
      const executable = sql[i + 2] === '!' || sql.startsWith('M!', i + 2);
      current += executable ? sql.slice(i, close + 2) : ' ';
      i = close + 2;
    } else if (char === ';') {
      flush();
      i += 1;
    } else {
      current += char;
      i += 1;
    }
  }
  flush();
  return statements;
}

/** The offset just past the quoted string, identifier or backtick name that starts at `start`. */
function endOfQuoted(sql: string, start: number): number {
  const quote = sql[start]!;
  let i = start + 1;
  while (i < sql.length) {
    const char = sql[i]!;
    if (char === '\\' && quote !== '`') {
      i += 2;
    } else if (char === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2; // a doubled quote stands for itself
    } else {
      i += 1;
    }
  }
  throw new SqlFileError(`unterminated ${quote} quote at offset ${start}`);
}

/** Reads a UTF-8 file; line ends become LF, so a checkout with CRLF reads the same. */
export function readSqlText(url: URL): string {
  try {
    return readFileSync(url, 'utf8').replace(/\r\n?/g, '\n');
  } catch (error) {
    throw new SqlFileError(`cannot read ${url.pathname}: ${(error as Error).message}`, { cause: error });
  }
}

/** The one statement of the file `name` in the directory `dir` (a file: URL ending in `/`). */
export function loadStatement(dir: URL, name: string): string {
  const url = new URL(name, dir);
  const text = readSqlText(url);
  let statements: string[];
  try {
    statements = splitStatements(text);
  } catch (error) {
    throw new SqlFileError(`${url.pathname}: ${(error as Error).message}`, { cause: error });
  }
  if (statements.length !== 1) {
    throw new SqlFileError(`${url.pathname}: holds ${statements.length} statements, expected exactly 1`);
  }
  return statements[0]!;
}
