-- Credits by an operator (POST /v1/admin/deposits), one row per depositId: the same idempotency key
-- as the deposit script in Redis, so writing a deposit twice adds nothing.
-- Conservation (DESIGN.md invariant 1): per asset, sum(deposits) - sum(ok withdrawals)
-- = sum(available + locked + fees_paid) over balances.
CREATE TABLE IF NOT EXISTS deposits (
  deposit_id VARCHAR(64) NOT NULL COMMENT 'idempotency key ([A-Za-z0-9_-]{1,64})',
  user_id BIGINT UNSIGNED NOT NULL,
  asset VARCHAR(12) NOT NULL,
  amount BIGINT UNSIGNED NOT NULL COMMENT 'credited, smallest units of asset',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) COMMENT 'UTC',
  PRIMARY KEY (deposit_id),
  KEY deposits_by_user (user_id, asset, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'deposits, one per depositId';
