-- audit-orders-chunk: the next chunk of orders in order_id order (keyset pagination: pass the last
-- order id of the previous chunk, '0' for the first), each with its symbol's checkpoint seq (NULL:
-- no checkpoint row) and the sums of its trades as maker and as taker (the trades_by_*_order
-- indexes, which hold the trades' symbol too). One statement, so orders, trades and checkpoint come
-- from one consistent snapshot: the writer commits an order's row with its trades and checkpoint.
-- Parameters: 1 after order id, 2 chunk size.
SELECT o.order_id, o.symbol, o.user_id, o.status, o.quantity_lots, o.quote_quantity,
  o.filled_quantity, o.filled_quote, o.version, c.last_seq AS checkpoint_seq,
  (SELECT SUM(m.quantity_lots) FROM trades m
    WHERE m.maker_order_id = o.order_id AND m.symbol = o.symbol) AS maker_lots,
  (SELECT SUM(m.quote_quantity) FROM trades m
    WHERE m.maker_order_id = o.order_id AND m.symbol = o.symbol) AS maker_quote,
  (SELECT SUM(t.quantity_lots) FROM trades t
    WHERE t.taker_order_id = o.order_id AND t.symbol = o.symbol) AS taker_lots,
  (SELECT SUM(t.quote_quantity) FROM trades t
    WHERE t.taker_order_id = o.order_id AND t.symbol = o.symbol) AS taker_quote
FROM (
  SELECT order_id, symbol, user_id, status, quantity_lots, quote_quantity, filled_quantity,
    filled_quote, version
  FROM orders
  WHERE order_id > CAST(? AS UNSIGNED)
  ORDER BY order_id
  LIMIT ?
) AS o
LEFT JOIN symbol_checkpoints c ON c.symbol = o.symbol
ORDER BY o.order_id
