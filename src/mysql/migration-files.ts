import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { readSqlText, splitStatements } from './sql-files.ts';

/**
 * The numbered migration files (`src/mysql/migrations/NNNN-what-it-does.sql`), read and checked
 * before anything runs. Migrations are append-only: a file, once applied somewhere, never changes
 * and never goes away; a schema change is a new file with the next number. Numbers run 1, 2, 3, ...
 * without gaps or duplicates, so two branches that each add "the next" migration collide loudly.
 */

export const MIGRATIONS_DIRECTORY = new URL('./migrations/', import.meta.url);

/** `0001-create-markets.sql`: four digits, then lowercase words joined by dashes. */
const FILE_NAME = /^(\d{4})-[a-z0-9]+(?:-[a-z0-9]+)*\.sql$/;

export type MigrationErrorCode =
  /** A `.sql` file in the directory is not named NNNN-words.sql. */
  | 'BAD_FILE_NAME'
  /** Two files share a number. */
  | 'DUPLICATE_VERSION'
  /** The numbers do not run 1, 2, 3, ... */
  | 'VERSION_GAP'
  /** A file holds no statement, or one the splitter cannot read (an unterminated quote). */
  | 'BAD_FILE'
  /** An applied migration's file changed (checksum or name) since it was applied. */
  | 'CHECKSUM_MISMATCH'
  /** An applied migration has no file any more (or the database is ahead of this code). */
  | 'MISSING_FILE'
  /** Applied versions are not 1..k (someone wrote schema_migrations by hand). */
  | 'OUT_OF_ORDER'
  /** The connection has no database selected. */
  | 'NO_DATABASE'
  /** Another run held the migration lock for longer than the timeout. */
  | 'LOCK_TIMEOUT'
  /** A statement of a pending migration failed; that migration was not recorded. */
  | 'STATEMENT_FAILED';

/** Every refusal names the file and what to do; `code` is stable for callers and tests. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface MigrationFile {
  /** The file's number: `0003-create-trades.sql` is 3. */
  readonly version: number;
  /** The file name, e.g. `0003-create-trades.sql`. */
  readonly name: string;
  /** SHA-256 of the file's text with LF line ends, lowercase hex. */
  readonly checksum: string;
  /** The statements, in order, without comments. */
  readonly statements: readonly string[];
}

/** SHA-256 of `text`, lowercase hex. */
export function checksumOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Reads, checks and orders every migration of `directory` (a path or a file: URL). */
export function readMigrationFiles(directory: string | URL = MIGRATIONS_DIRECTORY): MigrationFile[] {
  const dir = toDirectoryUrl(directory);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.sql'));
  } catch (error) {
    throw new MigrationError('BAD_FILE', `cannot list migrations in ${dir.pathname}: ${String(error)}`, {
      cause: error,
    });
  }
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (!match) {
      throw new MigrationError(
        'BAD_FILE_NAME',
        `${dir.pathname}${name}: a migration is named NNNN-lowercase-words.sql (e.g. 0008-add-order-index.sql)`,
      );
    }
    files.push(readMigration(dir, name, Number(match[1])));
  }
  files.sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  files.forEach((file, index) => {
    const previous = files[index - 1];
    if (previous !== undefined && previous.version === file.version) {
      throw new MigrationError(
        'DUPLICATE_VERSION',
        `${previous.name} and ${file.name} share version ${file.version}: renumber the newer one`,
      );
    }
    if (file.version !== index + 1) {
      const expected = String(index + 1).padStart(4, '0');
      throw new MigrationError(
        'VERSION_GAP',
        `${file.name}: expected version ${expected} here; migration numbers run 1, 2, 3, ... without gaps`,
      );
    }
  });
  return files;
}

function readMigration(dir: URL, name: string, version: number): MigrationFile {
  const text = readSqlText(new URL(name, dir));
  let statements: string[];
  try {
    statements = splitStatements(text);
  } catch (error) {
    throw new MigrationError('BAD_FILE', `${name}: ${(error as Error).message}`, { cause: error });
  }
  if (statements.length === 0) throw new MigrationError('BAD_FILE', `${name}: holds no SQL statement`);
  return { version, name, checksum: checksumOf(text), statements };
}

function toDirectoryUrl(directory: string | URL): URL {
  const url = typeof directory === 'string' ? pathToFileURL(directory) : directory;
  return url.href.endsWith('/') ? url : new URL(`${url.href}/`);
}
