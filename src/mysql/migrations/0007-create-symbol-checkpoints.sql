-- The durable checkpoint and fence of each symbol (DESIGN.md section 2). A new owner increments
-- epoch; every batch transaction updates this row WHERE epoch = <its own> and rolls back when that
-- matches nothing (a newer owner took over). last_stream_id is the last stream entry whose effects
-- are in MySQL: the new owner loads the open orders, then replays the stream after it, and streams
-- are trimmed by MINID up to it.
CREATE TABLE IF NOT EXISTS symbol_checkpoints (
  symbol VARCHAR(25) NOT NULL COMMENT 'market, e.g. BTC-USDT',
  epoch BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'fencing epoch of the current owner',
  last_stream_id VARCHAR(41) NOT NULL DEFAULT '0-0' COMMENT 'Redis stream entry id <ms>-<n>; 0-0 = nothing yet',
  last_seq BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'engine seq of the symbol after that entry',
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3) COMMENT 'UTC',
  PRIMARY KEY (symbol),
  CONSTRAINT symbol_checkpoints_stream_id CHECK (last_stream_id REGEXP '^[0-9]{1,20}-[0-9]{1,20}$')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'per-symbol durable checkpoint and fencing epoch';
