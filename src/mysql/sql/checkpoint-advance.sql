-- checkpoint-advance: records a symbol's durable position, fenced by its owner's epoch (DESIGN.md §2).
-- Runs inside every flush of a WriteBuffer that holds the symbol, for the symbol's latest position,
-- with what a takeover needs to rebuild the book exactly there (migration 0008): the fees in force in
-- the engine and the timestamp of the last command applied (NULL fees: the caller does not track them).
-- Parameters: 1 last_stream_id, 2 last_seq, 3 maker_fee_ppm, 4 taker_fee_ppm, 5 last_timestamp_ms,
-- 6 symbol, 7 epoch (the flushing owner's).
-- Matches no row once a new owner has bumped the epoch: the flush is fenced and rolls back.
UPDATE symbol_checkpoints
SET last_stream_id = ?, last_seq = ?, maker_fee_ppm = ?, taker_fee_ppm = ?, last_timestamp_ms = ?,
  updated_at = CURRENT_TIMESTAMP(3)
WHERE symbol = ? AND epoch = ?
