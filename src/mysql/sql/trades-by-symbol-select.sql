-- trades-by-symbol-select: every trade of a symbol in seq order, every column, for the stream-replay
-- audit (src/audit/stream-replay.ts), which compares them with what a fresh engine makes of the stream.
-- Parameters: 1 symbol.
SELECT symbol, seq, trade_id, price_ticks, quantity_lots, quote_quantity, taker_side, maker_order_id,
  taker_order_id, maker_user_id, taker_user_id, maker_fee, taker_fee, time_ms
FROM trades
WHERE symbol = ?
ORDER BY seq
