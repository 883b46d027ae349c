-- withdrawals-insert: one row per (user_id, withdrawalId) (migrations 0006, 0009), refused ones
-- included, written once: Redis records the outcome of a withdrawal, so a repeat has the same status
-- and changes nothing.
-- Parameters: one tuple per row, in the column order below (src/persistence/tables.ts).
INSERT INTO withdrawals (withdrawal_id, user_id, asset, amount, status)
VALUES /*:rows*/
ON DUPLICATE KEY UPDATE withdrawal_id = withdrawal_id
