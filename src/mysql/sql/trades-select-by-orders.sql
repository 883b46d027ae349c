-- trades-select-by-orders: the fills of some orders (migration 0003), for the API's reads
-- (src/persistence/reads/): each trade once per side the orders took in it, with that side's fee
-- and liquidity. Uses the indexes trades_by_maker_order and trades_by_taker_order.
-- The ids travel as one JSON array of decimal strings (see orders-select-by-ids.sql), given twice.
-- Oldest first (seq): the order in which the engine made them, as the read model lists them.
-- Parameters: 1 and 2 the order ids, a JSON array of strings.
SELECT ids.order_id, t.seq, t.trade_id, t.price_ticks, t.quantity_lots, t.maker_fee AS fee,
  'maker' AS liquidity
FROM JSON_TABLE(?, '$[*]' COLUMNS (order_id BIGINT UNSIGNED PATH '$')) AS ids
JOIN trades t ON t.maker_order_id = ids.order_id
UNION ALL
SELECT ids.order_id, t.seq, t.trade_id, t.price_ticks, t.quantity_lots, t.taker_fee AS fee,
  'taker' AS liquidity
FROM JSON_TABLE(?, '$[*]' COLUMNS (order_id BIGINT UNSIGNED PATH '$')) AS ids
JOIN trades t ON t.taker_order_id = ids.order_id
ORDER BY seq, liquidity
