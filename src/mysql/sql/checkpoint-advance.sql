-- checkpoint-advance: records a symbol's durable position, fenced by its owner's epoch (DESIGN.md §2).
-- Runs inside every flush of a WriteBuffer that holds the symbol, for the symbol's latest position.
-- Parameters: 1 last_stream_id, 2 last_seq, 3 symbol, 4 epoch (the flushing owner's).
-- Matches no row once a new owner has bumped the epoch: the flush is fenced and rolls back.
UPDATE symbol_checkpoints
SET last_stream_id = ?, last_seq = ?, updated_at = CURRENT_TIMESTAMP(3)
WHERE symbol = ? AND epoch = ?
