-- Each user's balance of each asset, a copy of the hot balances in Redis (docs/balances.md): the
-- writer upserts whole rows and overwrites one only with a higher version, so an older copy that
-- arrives late never replaces a newer one. Amounts are smallest units of the asset and reach
-- 2^63 - 1 (the Redis limit), hence BIGINT: exact, and never negative (invariant 2).
CREATE TABLE IF NOT EXISTS balances (
  user_id BIGINT UNSIGNED NOT NULL,
  asset VARCHAR(12) NOT NULL COMMENT 'e.g. BTC',
  available BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'free to use, smallest units of asset',
  locked BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'held for open orders, smallest units of asset',
  fees_paid BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'fees charged to this user in asset, cumulative, smallest units; part of the fee account',
  version BIGINT UNSIGNED NOT NULL COMMENT 'version of the Redis state this row copies; only a higher one overwrites',
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3) COMMENT 'UTC',
  PRIMARY KEY (user_id, asset)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'balances per user and asset; upserted only by a newer version';
