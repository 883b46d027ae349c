-- orders-select-by-user: one page of a user's orders on a symbol, newest first (migration 0002), for
-- GET /v1/orders (src/persistence/reads/). Uses the index orders_by_user (user_id, symbol,
-- created_at_ms), whose rows InnoDB also orders by the primary key order_id: newest first is
-- created_at_ms, then order_id, both descending, with no sort.
-- Keyset paging: the page starts strictly after the cursor (created_at_ms, order_id); the first
-- page gives values above any stored one. order_id is cast from its decimal string so that it
-- compares as an exact integer, not as a double.
-- statuses: NULL for every status, else a comma-separated list (new,partially_filled).
-- Parameters: 1 user_id, 2 symbol, 3 and 4 the cursor's created_at_ms, 5 the cursor's order_id,
-- 6 and 7 statuses, 8 the page size.
SELECT order_id, client_order_id, user_id, symbol, side, type, price_ticks, quantity_lots,
  quote_quantity, time_in_force, post_only, self_trade_prevention, status, filled_quantity,
  filled_quote, reject_reason, created_at_ms, updated_at_ms, version
FROM orders
WHERE user_id = ? AND symbol = ?
  AND (created_at_ms < ? OR (created_at_ms = ? AND order_id < CAST(? AS UNSIGNED)))
  AND (? IS NULL OR FIND_IN_SET(status, ?) > 0)
ORDER BY created_at_ms DESC, order_id DESC
LIMIT ?
