-- Creates the database MYSQL_URL names when it does not exist yet (scripts/migrate.ts).
-- Param: the database name, as an identifier (??), checked by parseMysqlUrl.
CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
