-- audit-trades-chunk: the next chunk of one symbol's trades in seq order (keyset pagination on the
-- primary key: pass the last seq of the previous chunk, '0' for the first), each with the
-- symbol's checkpoint seq (NULL: no checkpoint row) and the symbol and owner of its maker and
-- taker orders (NULL: no such order row), all from one consistent snapshot.
-- Parameters: 1 symbol, 2 after seq, 3 chunk size.
SELECT t.seq, t.maker_order_id, t.taker_order_id, t.maker_user_id, t.taker_user_id,
  c.last_seq AS checkpoint_seq, m.symbol AS maker_symbol, m.user_id AS maker_owner,
  k.symbol AS taker_symbol, k.user_id AS taker_owner
FROM (
  SELECT symbol, seq, maker_order_id, taker_order_id, maker_user_id, taker_user_id
  FROM trades
  WHERE symbol = ? AND seq > CAST(? AS UNSIGNED)
  ORDER BY seq
  LIMIT ?
) AS t
LEFT JOIN symbol_checkpoints c ON c.symbol = t.symbol
LEFT JOIN orders m ON m.order_id = t.maker_order_id
LEFT JOIN orders k ON k.order_id = t.taker_order_id
ORDER BY t.seq
