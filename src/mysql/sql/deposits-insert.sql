-- deposits-insert: one row per (user_id, depositId) (migrations 0005, 0009), written once: the same
-- idempotency key as the deposit script in Redis, so a repeat changes nothing (the no-op update keeps
-- the first row).
-- Parameters: one tuple per row, in the column order below (src/persistence/tables.ts).
INSERT INTO deposits (deposit_id, user_id, asset, amount)
VALUES /*:rows*/
ON DUPLICATE KEY UPDATE deposit_id = deposit_id
