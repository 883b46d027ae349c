-- One row per trade, written once and never changed: (symbol, seq) is the trade event's place in
-- the symbol's engine, so a replay reproduces the same key and the upsert adds nothing.
-- Units (docs/engine.md): price in ticks, quantity in lots, quote amount and fees in smallest units.
-- Each side pays its fee in the asset it receives: the buyer in base, the seller in quote.
CREATE TABLE IF NOT EXISTS trades (
  symbol VARCHAR(25) NOT NULL COMMENT 'market, e.g. BTC-USDT',
  seq BIGINT UNSIGNED NOT NULL COMMENT 'engine seq of the trade event: the trade''s number within the symbol',
  trade_id VARCHAR(64) NOT NULL COMMENT 'symbol:seq, as the API shows it (tradeIdOf)',
  price_ticks BIGINT UNSIGNED NOT NULL COMMENT 'the maker''s price, ticks',
  quantity_lots BIGINT UNSIGNED NOT NULL COMMENT 'lots',
  quote_quantity BIGINT UNSIGNED NOT NULL COMMENT 'lots x ticks x quote units per tick-lot, quote units',
  taker_side ENUM('buy', 'sell') NOT NULL,
  maker_order_id BIGINT UNSIGNED NOT NULL,
  taker_order_id BIGINT UNSIGNED NOT NULL,
  maker_user_id BIGINT UNSIGNED NOT NULL,
  taker_user_id BIGINT UNSIGNED NOT NULL,
  maker_fee BIGINT UNSIGNED NOT NULL COMMENT 'smallest units of what the maker received: base if taker_side = sell, else quote',
  taker_fee BIGINT UNSIGNED NOT NULL COMMENT 'smallest units of what the taker received: base if taker_side = buy, else quote',
  time_ms BIGINT UNSIGNED NOT NULL COMMENT 'epoch ms of the command that caused the trade',
  PRIMARY KEY (symbol, seq),
  KEY trades_by_maker_user (maker_user_id, symbol, seq),
  KEY trades_by_taker_user (taker_user_id, symbol, seq),
  KEY trades_by_maker_order (maker_order_id),
  KEY trades_by_taker_order (taker_order_id),
  CONSTRAINT trades_trade_id CHECK (trade_id = CONCAT(symbol, ':', seq))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'trades, append-only; one per (symbol, seq)';
