-- markets-upsert: a market as its operator defined it (migration 0001); the latest definition wins.
-- Markets are not versioned: the operator's definition is the only writer, and the WriteBuffer keeps
-- the last row added for a symbol. created_at keeps the first insert's time.
-- Parameters: one tuple per row, in the column order below (src/persistence/tables.ts).
INSERT INTO markets (
  symbol, base, quote, base_precision, quote_precision, tick_size, lot_size, min_notional,
  maker_fee_ppm, taker_fee_ppm, status
)
VALUES /*:rows*/
ON DUPLICATE KEY UPDATE
  base = VALUES(base),
  quote = VALUES(quote),
  base_precision = VALUES(base_precision),
  quote_precision = VALUES(quote_precision),
  tick_size = VALUES(tick_size),
  lot_size = VALUES(lot_size),
  min_notional = VALUES(min_notional),
  maker_fee_ppm = VALUES(maker_fee_ppm),
  taker_fee_ppm = VALUES(taker_fee_ppm),
  status = VALUES(status)
