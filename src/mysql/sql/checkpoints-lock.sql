-- checkpoints-lock: the first statement of every flush of a WriteBuffer that holds symbols (DESIGN.md
-- §2): locks the checkpoint row of each symbol the buffer holds and reads its fence, in one round
-- trip whatever the number of symbols. The flush then compares each epoch with its own in JS: a
-- symbol with no row, or with another epoch (a new owner bumped it), fences the flush, which rolls
-- back before it touched a data table. Otherwise the rows stay locked until COMMIT, so no takeover
-- (checkpoint-bump-epoch.sql) can slip in between this check and checkpoints-advance.sql.
-- Parameters: 1 the symbols, as one list (mysql2's query writes an array as `'a', 'b', ...`).
-- FORCE INDEX: symbol is the primary key, so the range scan locks exactly the listed rows, in key
-- order. Without it MariaDB 10.11 scans the whole table once the list names a fair part of its few
-- rows (from 4 of 8 symbols on, measured), and a scan under FOR UPDATE locks every row it reads,
-- those of the symbols other writers hold included: their flushes would queue behind this one
-- (write-buffer-fence.test.ts checks they do not). A listed symbol with no row leaves a gap lock,
-- released by the rollback its fence triggers.
SELECT symbol, epoch
FROM symbol_checkpoints FORCE INDEX (PRIMARY)
WHERE symbol IN (?)
FOR UPDATE
