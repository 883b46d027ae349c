-- bench-orders-chunk: the orders of the benchmark's users created since the run began, in order_id
-- order, one chunk after another (keyset pagination), to check that each reached a final state.
-- Parameters: first user id, last user id, created since (epoch ms), order_id after, chunk size.
SELECT order_id, status, reject_reason
FROM orders
WHERE user_id BETWEEN ? AND ?
  AND created_at_ms >= ?
  AND order_id > ?
ORDER BY order_id
LIMIT ?
