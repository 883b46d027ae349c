-- trades-select-by-user: a user's fills on a symbol, newest first (migration 0003), for
-- GET /v1/trades (src/persistence/reads/). A user is the maker or the taker of a trade (both, for a
-- trade with their own order): each side is a fill of its own. Each half uses its index
-- (trades_by_maker_user, trades_by_taker_user: user, symbol, seq) and stops after the limit.
-- Newest first is seq descending, then the maker's fill before the taker's, as the Redis read model
-- lists them (the maker's side of a trade is pushed last, so it is nearer the head).
-- Parameters: 1 user_id, 2 symbol, 3 limit, 4 user_id, 5 symbol, 6 limit, 7 limit.
(SELECT seq, trade_id, price_ticks, quantity_lots, quote_quantity, taker_side,
   maker_order_id AS order_id, maker_fee AS fee, 'maker' AS liquidity, time_ms
 FROM trades
 WHERE maker_user_id = ? AND symbol = ?
 ORDER BY seq DESC
 LIMIT ?)
UNION ALL
(SELECT seq, trade_id, price_ticks, quantity_lots, quote_quantity, taker_side,
   taker_order_id AS order_id, taker_fee AS fee, 'taker' AS liquidity, time_ms
 FROM trades
 WHERE taker_user_id = ? AND symbol = ?
 ORDER BY seq DESC
 LIMIT ?)
ORDER BY seq DESC, liquidity
LIMIT ?
