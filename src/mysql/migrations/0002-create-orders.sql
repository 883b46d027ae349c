-- One row per order, its latest state. The batch writer upserts it by order_id and overwrites a row
-- only with a newer version (the engine seq of the event that produced the state), so a replay after
-- a failover, or a late flush, never takes an order back to an older state (DESIGN.md section 2).
-- Units (docs/engine.md): prices in ticks and quantities in lots of the symbol's market, quote amounts
-- in the smallest unit of the quote asset. Amounts are exact integers, never floats.
CREATE TABLE IF NOT EXISTS orders (
  order_id BIGINT UNSIGNED NOT NULL COMMENT '64-bit snowflake made by the API (src/adapters/api/snowflake-ids.ts)',
  symbol VARCHAR(25) NOT NULL COMMENT 'market, e.g. BTC-USDT',
  user_id BIGINT UNSIGNED NOT NULL COMMENT 'owner (the token''s sub)',
  client_order_id VARCHAR(36) NULL COMMENT 'the user''s idempotency key; NULL when none was given',
  side ENUM('buy', 'sell') NOT NULL,
  type ENUM('limit', 'market') NOT NULL,
  price_ticks BIGINT UNSIGNED NULL COMMENT 'limit price, ticks; NULL for a market order',
  quantity_lots BIGINT UNSIGNED NULL COMMENT 'ordered quantity (the new total after an amend), lots; NULL for a market buy by quote amount',
  quote_quantity BIGINT UNSIGNED NULL COMMENT 'most a market buy by quote amount may spend, quote units; NULL otherwise',
  time_in_force ENUM('GTC', 'IOC', 'FOK') NOT NULL,
  post_only BOOLEAN NOT NULL,
  self_trade_prevention ENUM('expire_taker', 'expire_maker', 'expire_both', 'none') NOT NULL,
  status ENUM('new', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected') NOT NULL,
  filled_quantity BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'filled so far, lots',
  filled_quote BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'value filled so far, quote units',
  reject_reason VARCHAR(64) NULL COMMENT 'why it was rejected or expired (INSUFFICIENT_FUNDS, NO_LIQUIDITY, ...); else NULL',
  entry_seq BIGINT UNSIGNED NULL COMMENT 'engine seq of its latest rested event: its time priority within its price; NULL if it never rested',
  created_at_ms BIGINT UNSIGNED NOT NULL COMMENT 'epoch ms of the place command (its stream entry id)',
  updated_at_ms BIGINT UNSIGNED NOT NULL COMMENT 'epoch ms of the command that produced this state',
  version BIGINT UNSIGNED NOT NULL COMMENT 'engine seq (of this symbol) of the event that produced this state',
  PRIMARY KEY (order_id),
  KEY orders_by_user (user_id, symbol, created_at_ms),
  KEY orders_by_symbol_status (symbol, status)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'orders, latest state; upserted only by a newer version';
