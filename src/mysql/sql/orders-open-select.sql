-- orders-open-select: the open orders of a symbol as stored (migration 0002), for a takeover to rebuild
-- its book as of the symbol's checkpoint (src/persistence/book-loader.ts). Uses the index
-- orders_by_symbol_status. Ordered by entry_seq (time priority; NULLs first, which the loader
-- refuses), then order_id so that the order of rows never depends on the plan.
-- Parameters: 1 symbol.
SELECT order_id, user_id, side, type, price_ticks, quantity_lots, quote_quantity, time_in_force,
  post_only, self_trade_prevention, status, filled_quantity, filled_quote, entry_seq,
  created_at_ms, updated_at_ms, version
FROM orders
WHERE symbol = ? AND status IN ('new', 'partially_filled')
ORDER BY entry_seq, order_id
