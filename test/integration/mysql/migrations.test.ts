import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RowDataPacket } from 'mysql2/promise';
import { createDatabaseIfMissing } from '../../../src/mysql/database.ts';
import { MIGRATIONS_DIRECTORY, readMigrationFiles } from '../../../src/mysql/migration-files.ts';
import { migrate, MigrationError, type MigrationErrorCode } from '../../../src/mysql/migrate.ts';
import { openTestMysql, type TestMysql } from '../../support/mysql.ts';

const FILES = readMigrationFiles();
const MIGRATIONS_PATH = fileURLToPath(MIGRATIONS_DIRECTORY);

async function expectMigrationError(promise: Promise<unknown>, code: MigrationErrorCode): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(MigrationError);
    expect((error as MigrationError).code).to.equal(code);
    return error as Error;
  }
  throw new Error(`expected MigrationError ${code}, but it succeeded`);
}

async function appliedRows(t: TestMysql): Promise<RowDataPacket[]> {
  const [rows] = await t.pool.query<RowDataPacket[]>(
    'SELECT version, name, checksum, statements FROM schema_migrations ORDER BY version',
  );
  return rows;
}

/** A scratch copy of (some of) the migrations, or files of the test's own; removed after the test. */
function scratchDirectory(files: Record<string, string> = {}, copy: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  for (const name of copy) copyFileSync(join(MIGRATIONS_PATH, name), join(dir, name));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  scratch.push(dir);
  return dir;
}
const scratch: string[] = [];

describe('mysql/migrate', () => {
  afterEach(() => {
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  describe('a fresh database', () => {
    let t: TestMysql;
    before(async () => {
      t = await openTestMysql({ migrate: false });
    });
    after(async () => t.close());

    it('applies every migration in order and records each with its checksum', async () => {
      const result = await migrate(t.pool);
      expect(result.applied.map((m) => m.name)).to.deep.equal(readdirSync(MIGRATIONS_PATH).sort());
      expect(result.applied.map((m) => m.version)).to.deep.equal(FILES.map((_, i) => i + 1));
      expect(result.version).to.equal(FILES.length);
      const rows = await appliedRows(t);
      expect(rows.map((r) => ({ ...r }))).to.deep.equal(
        FILES.map((f) => ({
          version: f.version,
          name: f.name,
          checksum: f.checksum,
          statements: f.statements.length,
        })),
      );
    });

    it('applies nothing the second time', async () => {
      expect(await migrate(t.pool)).to.deep.equal({ applied: [], version: FILES.length });
      expect(await appliedRows(t)).to.have.length(FILES.length);
    });

    it('accepts a single connection as well as a pool', async () => {
      const connection = await t.pool.getConnection();
      try {
        expect((await migrate(connection)).applied).to.deep.equal([]);
      } finally {
        connection.release();
      }
    });

    it('finds an existing database and leaves it alone', async () => {
      expect(await createDatabaseIfMissing(t.config)).to.deep.equal({ database: t.database, created: false });
      expect(await appliedRows(t)).to.have.length(FILES.length);
    });
  });

  describe('refusals', () => {
    let t: TestMysql;
    beforeEach(async () => {
      t = await openTestMysql();
    });
    afterEach(async () => t.close());

    it('refuses to run when an applied file changed, naming the file', async () => {
      await t.pool.query("UPDATE schema_migrations SET checksum = REPEAT('0', 64) WHERE version = 3");
      const error = await expectMigrationError(migrate(t.pool), 'CHECKSUM_MISMATCH');
      expect(error.message).to.contain('0003-create-trades.sql').and.contain('new migration');
    });

    it('refuses to run when an applied file was renamed', async () => {
      await t.pool.query("UPDATE schema_migrations SET name = '0002-orders.sql' WHERE version = 2");
      const error = await expectMigrationError(migrate(t.pool), 'CHECKSUM_MISMATCH');
      expect(error.message).to.contain('0002-orders.sql');
    });

    it('refuses to run when an applied file disappeared, and applies nothing', async () => {
      const dir = scratchDirectory(
        {},
        FILES.slice(0, -1).map((f) => f.name),
      );
      const last = FILES.at(-1)!.name;
      const error = await expectMigrationError(migrate(t.pool, { directory: dir }), 'MISSING_FILE');
      expect(error.message).to.contain(last);
    });

    it('refuses applied versions that are not 1, 2, 3, ...', async () => {
      await t.pool.query('DELETE FROM schema_migrations WHERE version = 2');
      await expectMigrationError(migrate(t.pool), 'OUT_OF_ORDER');
    });

    it('refuses files with a gap, a duplicate version or a bad name before touching the database', async () => {
      const table = 'CREATE TABLE IF NOT EXISTS x (id INT PRIMARY KEY);';
      const gap = scratchDirectory({ '0001-a.sql': table, '0003-c.sql': table });
      expect(
        (await expectMigrationError(migrate(t.pool, { directory: gap }), 'VERSION_GAP')).message,
      ).to.contain('0003-c.sql');
      const duplicate = scratchDirectory({ '0001-a.sql': table, '0002-b.sql': table, '0002-c.sql': table });
      const error = await expectMigrationError(
        migrate(t.pool, { directory: duplicate }),
        'DUPLICATE_VERSION',
      );
      expect(error.message).to.contain('0002-b.sql').and.contain('0002-c.sql');
      const badName = scratchDirectory({ '1-a.sql': table });
      await expectMigrationError(migrate(t.pool, { directory: badName }), 'BAD_FILE_NAME');
      const empty = scratchDirectory({ '0001-a.sql': '-- nothing yet\n' });
      await expectMigrationError(migrate(t.pool, { directory: empty }), 'BAD_FILE');
      expect(await appliedRows(t)).to.have.length(FILES.length);
    });

    it('refuses a connection without a database', async () => {
      const noDatabase = t.openPool({ withoutDatabase: true });
      await expectMigrationError(migrate(noDatabase), 'NO_DATABASE');
    });

    it('gives up with LOCK_TIMEOUT while another session holds the lock', async () => {
      const holder = await t.pool.getConnection();
      try {
        const [rows] = await holder.query<RowDataPacket[]>(
          "SELECT GET_LOCK(CONCAT(DATABASE(), '.migrations'), 0) AS locked",
        );
        expect(String(rows[0]!.locked)).to.equal('1');
        const error = await expectMigrationError(
          migrate(t.pool, { lockTimeoutSeconds: 0.2 }),
          'LOCK_TIMEOUT',
        );
        expect(error.message).to.contain(`${t.database}.migrations`);
      } finally {
        await holder.query('SELECT RELEASE_ALL_LOCKS()');
        holder.release();
      }
    });
  });

  describe('partial failures and concurrent runs', () => {
    let t: TestMysql;
    beforeEach(async () => {
      t = await openTestMysql({ migrate: false });
    });
    afterEach(async () => t.close());

    it('records a file only when all its statements succeeded, and runs it whole again once fixed', async () => {
      const first = 'CREATE TABLE IF NOT EXISTS a (id INT PRIMARY KEY)';
      const dir = scratchDirectory({
        '0001-a-and-b.sql': `${first};\nCREATE TABLE IF NOT EXISTS b (id NOPE);\n`,
      });
      const error = await expectMigrationError(migrate(t.pool, { directory: dir }), 'STATEMENT_FAILED');
      expect(error.message).to.contain('0001-a-and-b.sql: statement 2 of 2');
      expect(await appliedRows(t)).to.deep.equal([]);
      writeFileSync(join(dir, '0001-a-and-b.sql'), `${first};\nCREATE TABLE IF NOT EXISTS b (id INT);\n`);
      const result = await migrate(t.pool, { directory: dir });
      expect(result.applied.map((m) => m.name)).to.deep.equal(['0001-a-and-b.sql']);
      const [tables] = await t.pool.query<RowDataPacket[]>(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('a', 'b') ORDER BY 1",
      );
      expect(tables.map((r) => r.name)).to.deep.equal(['a', 'b']);
    });

    it('runs every statement of every migration twice without error (a crash mid-file can re-run)', async () => {
      for (const file of FILES) {
        for (const statement of [...file.statements, ...file.statements]) await t.pool.query(statement);
      }
      expect((await migrate(t.pool)).applied).to.have.length(FILES.length);
    });

    it('applies each migration exactly once when several runs start together', async () => {
      const pools = [t.pool, t.openPool(), t.openPool(), t.openPool()];
      const results = await Promise.all(pools.map((pool) => migrate(pool)));
      const applied = results.flatMap((r) => r.applied.map((m) => m.version)).sort((a, b) => a - b);
      expect(applied).to.deep.equal(FILES.map((f) => f.version));
      expect(results.every((r) => r.version === FILES.length)).to.equal(true);
      expect(await appliedRows(t)).to.have.length(FILES.length);
    });
  });
});
