-- The migrations applied to this database, one row per file of src/mysql/migrations, written only
-- after every statement of the file succeeded (migrate.ts). The migrator creates this table itself,
-- before it reads it: it cannot be a numbered migration.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT UNSIGNED NOT NULL COMMENT 'the file''s number: 0001-create-markets.sql is 1',
  name VARCHAR(255) NOT NULL COMMENT 'the file name',
  checksum CHAR(64) NOT NULL COMMENT 'SHA-256 of the file with LF line ends, lowercase hex',
  statements INT UNSIGNED NOT NULL COMMENT 'number of statements the file ran',
  duration_ms INT UNSIGNED NOT NULL COMMENT 'milliseconds the statements took',
  applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) COMMENT 'UTC',
  PRIMARY KEY (version)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'applied schema migrations'
