-- orders-select-by-ids: the stored state of some orders, by id (migration 0002), for the API's reads
-- (src/persistence/reads/). Their fills are read apart (trades-select-by-orders.sql), filtered by
-- each row's version.
-- The ids travel as one JSON array of decimal strings, so that one fixed statement serves any
-- number of them (JSON_TABLE: MariaDB 10.6+, MySQL 8); each is converted exactly to BIGINT UNSIGNED.
-- Rows come in no particular order; ids that name no order are absent.
-- Parameters: 1 the ids, a JSON array of strings.
SELECT o.order_id, o.client_order_id, o.user_id, o.symbol, o.side, o.type, o.price_ticks,
  o.quantity_lots, o.quote_quantity, o.time_in_force, o.post_only, o.self_trade_prevention, o.status,
  o.filled_quantity, o.filled_quote, o.reject_reason, o.created_at_ms, o.updated_at_ms, o.version
FROM JSON_TABLE(?, '$[*]' COLUMNS (order_id BIGINT UNSIGNED PATH '$')) AS ids
JOIN orders o ON o.order_id = ids.order_id
