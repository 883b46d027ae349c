-- checkpoints-advance: records the durable position of every symbol a flush holds, in one statement,
-- right after checkpoints-lock.sql (DESIGN.md §2). One row per symbol, sorted by symbol, each its
-- latest position with what a takeover needs to rebuild the book exactly there (migration 0008): the
-- fees in force in the engine (NULL: the caller does not track them) and the timestamp of the last
-- command applied.
-- Always updates: checkpoints-lock.sql found every row, with this owner's epoch, and holds its lock
-- until COMMIT, so no row can have gone or changed owner since. The insert branch never runs (it is
-- there because an upsert is the one statement that writes N rows with N different values); epoch
-- is in the column list for that branch only and is never updated.
-- Parameters: one tuple per checkpoint, in the column order below (write-buffer-transaction.ts).
INSERT INTO symbol_checkpoints (
  symbol, epoch, last_stream_id, last_seq, maker_fee_ppm, taker_fee_ppm, last_timestamp_ms
)
VALUES /*:rows*/
ON DUPLICATE KEY UPDATE
  last_stream_id = VALUES(last_stream_id),
  last_seq = VALUES(last_seq),
  maker_fee_ppm = VALUES(maker_fee_ppm),
  taker_fee_ppm = VALUES(taker_fee_ppm),
  last_timestamp_ms = VALUES(last_timestamp_ms),
  updated_at = CURRENT_TIMESTAMP(3)
