-- trades-upsert: one row per trade (migration 0003), written once and never changed.
-- (symbol, seq) is the trade event's place in the symbol's engine: a replay reproduces the same key,
-- and the no-op update makes the second write change nothing (an insert-or-ignore that, unlike
-- INSERT IGNORE, still fails on a bad value or a violated CHECK).
-- Parameters: one tuple per row, in the column order below (src/persistence/tables.ts).
INSERT INTO trades (
  symbol, seq, trade_id, price_ticks, quantity_lots, quote_quantity, taker_side, maker_order_id,
  taker_order_id, maker_user_id, taker_user_id, maker_fee, taker_fee, time_ms
)
VALUES /*:rows*/
ON DUPLICATE KEY UPDATE seq = seq
