-- Debits by an operator (POST /v1/admin/withdrawals), one row per withdrawalId, refused ones
-- included: Redis records the outcome so that a repeat answers the same, and so does this table.
-- Only status 'ok' rows count in conservation.
CREATE TABLE IF NOT EXISTS withdrawals (
  withdrawal_id VARCHAR(64) NOT NULL COMMENT 'idempotency key ([A-Za-z0-9_-]{1,64})',
  user_id BIGINT UNSIGNED NOT NULL,
  asset VARCHAR(12) NOT NULL,
  amount BIGINT UNSIGNED NOT NULL COMMENT 'asked for, smallest units of asset; debited only when status = ok',
  status ENUM('ok', 'insufficient_funds') NOT NULL COMMENT 'ok: debited from available; insufficient_funds: refused, nothing debited',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) COMMENT 'UTC',
  PRIMARY KEY (withdrawal_id),
  KEY withdrawals_by_user (user_id, asset, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'withdrawals, one per withdrawalId, with their outcome';
