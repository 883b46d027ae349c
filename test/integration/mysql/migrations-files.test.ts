import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksumOf, readMigrationFiles } from '../../../src/mysql/migration-files.ts';
import { SqlFileError, splitStatements } from '../../../src/mysql/sql-files.ts';

// These need no server: they check the migration files and the statement splitter.
describe('mysql/migrations: the files', () => {
  const files = readMigrationFiles();

  it('are numbered 1, 2, 3, ... and each holds statements', () => {
    expect(files.map((f) => f.version)).to.deep.equal(files.map((_, i) => i + 1));
    for (const file of files) expect(file.statements, file.name).to.have.length.above(0);
  });

  it('create, add and drop only with IF [NOT] EXISTS, so a file that stopped half-way can run again', () => {
    const unguarded =
      /\b(?:CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)|ADD\s+(?:COLUMN|(?:UNIQUE\s+)?(?:INDEX|KEY)|CONSTRAINT)|DROP\s+(?:TABLE|COLUMN|INDEX|KEY|CONSTRAINT))\s+(?!IF\s)/i;
    for (const file of files) {
      for (const statement of file.statements) expect(statement, file.name).to.not.match(unguarded);
    }
    expect('ALTER TABLE t ADD COLUMN x INT').to.match(unguarded);
    expect('ALTER TABLE t ADD COLUMN IF NOT EXISTS x INT').to.not.match(unguarded);
  });

  it('never declare a FLOAT, DOUBLE or REAL column, and every table is InnoDB utf8mb4', () => {
    for (const file of files) {
      for (const statement of file.statements) {
        expect(statement, file.name).to.not.match(/\b(FLOAT|DOUBLE|REAL)\b/i);
        if (/^CREATE TABLE/i.test(statement)) {
          expect(statement, file.name).to.match(
            /ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin/,
          );
        }
      }
    }
  });

  it('checksums the text with LF line ends, so a CRLF checkout reads the same', () => {
    expect(checksumOf('abc')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const text = 'CREATE TABLE IF NOT EXISTS a (id INT);\nCREATE TABLE IF NOT EXISTS b (id INT);\n';
    const dirs = [text, text.replace(/\n/g, '\r\n')].map((body) => {
      const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
      writeFileSync(join(dir, '0001-a-and-b.sql'), body);
      return dir;
    });
    try {
      const [lf, crlf] = dirs.map((dir) => readMigrationFiles(dir)[0]!);
      expect(crlf).to.deep.equal(lf);
      expect(lf!.checksum).to.equal(checksumOf(text));
      expect(lf!.statements).to.have.length(2);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mysql/sql-files: splitStatements', () => {
  it('splits on semicolons and drops blanks and comments', () => {
    const sql = `-- header; not a statement
      CREATE TABLE a (id INT); # another comment;
      /* block; comment */ INSERT INTO a VALUES (1);

      ;`;
    expect(splitStatements(sql)).to.deep.equal(['CREATE TABLE a (id INT)', 'INSERT INTO a VALUES (1)']);
  });

  it('keeps semicolons and comment markers inside strings and quoted names', () => {
    const sql = `SELECT 'a;b', "c;d", \`e;f\`, 'it''s; -- no', 'back\\'slash;', '/* x */';SELECT 2`;
    expect(splitStatements(sql)).to.deep.equal([
      `SELECT 'a;b', "c;d", \`e;f\`, 'it''s; -- no', 'back\\'slash;', '/* x */'`,
      'SELECT 2',
    ]);
  });

  it('keeps executable comments, which are code', () => {
    expect(splitStatements('SELECT /*! STRAIGHT_JOIN */ 1; SELECT /*M!100000 2 */ 3')).to.deep.equal([
      'SELECT /*! STRAIGHT_JOIN */ 1',
      'SELECT /*M!100000 2 */ 3',
    ]);
  });

  it('takes "--" for a comment only when a blank follows, as MariaDB does', () => {
    expect(splitStatements('SELECT 5--1;\nSELECT 1 -- one\n')).to.deep.equal(['SELECT 5--1', 'SELECT 1']);
  });

  it('refuses an unterminated quote or comment', () => {
    expect(() => splitStatements("SELECT 'open; SELECT 2")).to.throw(SqlFileError, /unterminated ' quote/);
    expect(() => splitStatements('SELECT 1 /* open')).to.throw(SqlFileError, /unterminated comment/);
  });
});
