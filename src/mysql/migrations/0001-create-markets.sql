-- Markets as operators define them (MarketDefinition, src/markets/market-rules.ts).
-- Tick size, lot size and minimum notional keep the definition's decimal strings exactly, in their
-- shortest form ("0.01"), so a market reads back as it was written; never a float. Fee rates are in
-- parts per million of what a side receives, as the engine counts them (docs/engine.md, "Units").
CREATE TABLE IF NOT EXISTS markets (
  symbol VARCHAR(25) NOT NULL COMMENT 'base-quote, e.g. BTC-USDT',
  base VARCHAR(12) NOT NULL COMMENT 'base asset, e.g. BTC',
  quote VARCHAR(12) NOT NULL COMMENT 'quote asset, e.g. USDT',
  base_precision TINYINT UNSIGNED NOT NULL COMMENT 'decimals of one base unit (8: 1 unit = 0.00000001 base)',
  quote_precision TINYINT UNSIGNED NOT NULL COMMENT 'decimals of one quote unit',
  tick_size VARCHAR(64) NOT NULL COMMENT 'price step, quote per base, decimal string',
  lot_size VARCHAR(64) NOT NULL COMMENT 'quantity step, base, decimal string',
  min_notional VARCHAR(64) NOT NULL COMMENT 'smallest order value, quote, decimal string; 0 = none',
  maker_fee_ppm INT UNSIGNED NOT NULL COMMENT 'maker fee, ppm of what the maker receives (1000 = 0.1 %)',
  taker_fee_ppm INT UNSIGNED NOT NULL COMMENT 'taker fee, ppm of what the taker receives',
  status ENUM('trading', 'halted') NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) COMMENT 'UTC',
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3) COMMENT 'UTC',
  PRIMARY KEY (symbol),
  CONSTRAINT markets_precision CHECK (base_precision <= 18 AND quote_precision <= 18),
  CONSTRAINT markets_fees CHECK (maker_fee_ppm <= 1000000 AND taker_fee_ppm <= 1000000),
  CONSTRAINT markets_decimals CHECK (
    tick_size REGEXP '^[0-9]+([.][0-9]+)?$'
    AND lot_size REGEXP '^[0-9]+([.][0-9]+)?$'
    AND min_notional REGEXP '^[0-9]+([.][0-9]+)?$'
  )
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'markets and their fee settings (DESIGN.md section 5)';
