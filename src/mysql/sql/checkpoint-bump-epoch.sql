-- checkpoint-bump-epoch: a new owner takes the symbol's fence (DESIGN.md §2). From its commit on,
-- every flush of an older owner finds another epoch than its own (checkpoints-lock.sql) and rolls
-- back. Runs after checkpoint-create.sql, in its transaction.
-- Parameters: 1 symbol.
UPDATE symbol_checkpoints
SET epoch = epoch + 1, updated_at = CURRENT_TIMESTAMP(3)
WHERE symbol = ?
