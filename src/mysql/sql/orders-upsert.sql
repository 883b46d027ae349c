-- orders-upsert: the latest state of each order (migration 0002), version-guarded.
-- version is the engine seq (of the order's symbol) of the last event that produced the state: a row
-- overwrites the stored one only with a higher version, so a replay after a failover or a late flush
-- never takes an order back to an older state, and writing the same state twice changes nothing.
-- version is assigned last: MySQL evaluates the assignments in order, and the guards before it must
-- still compare against the stored version.
-- What an order is (symbol, user_id, client_order_id, side, type, quote_quantity, time_in_force,
-- post_only, self_trade_prevention, created_at_ms) is written by the insert only, never updated.
-- entry_seq: a NULL (the caller does not know it: the order left the book) keeps the stored value.
-- Parameters: one tuple per row, in the column order below (src/persistence/tables.ts).
INSERT INTO orders (
  order_id, symbol, user_id, client_order_id, side, type, price_ticks, quantity_lots,
  quote_quantity, time_in_force, post_only, self_trade_prevention, status, filled_quantity,
  filled_quote, reject_reason, entry_seq, created_at_ms, updated_at_ms, version
)
VALUES /*:rows*/
ON DUPLICATE KEY UPDATE
  price_ticks = IF(VALUES(version) > version, VALUES(price_ticks), price_ticks),
  quantity_lots = IF(VALUES(version) > version, VALUES(quantity_lots), quantity_lots),
  status = IF(VALUES(version) > version, VALUES(status), status),
  filled_quantity = IF(VALUES(version) > version, VALUES(filled_quantity), filled_quantity),
  filled_quote = IF(VALUES(version) > version, VALUES(filled_quote), filled_quote),
  reject_reason = IF(VALUES(version) > version, VALUES(reject_reason), reject_reason),
  entry_seq = IF(VALUES(version) > version, COALESCE(VALUES(entry_seq), entry_seq), entry_seq),
  updated_at_ms = IF(VALUES(version) > version, VALUES(updated_at_ms), updated_at_ms),
  version = IF(VALUES(version) > version, VALUES(version), version)
