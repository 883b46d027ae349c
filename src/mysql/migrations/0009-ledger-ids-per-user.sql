-- Deposit and withdrawal ids are idempotency keys per user: Redis keeps them in each user's hash
-- (docs/balances.md), so two users may use the same id for two different operations. The keys of
-- 0005/0006 (the id alone) would keep only the first of them; the key is now (user_id, id).
-- Each statement swaps the key in one ALTER, so running it again (a run that stopped between the
-- two) leaves the same key.
ALTER TABLE deposits DROP PRIMARY KEY, ADD PRIMARY KEY (user_id, deposit_id);

ALTER TABLE withdrawals DROP PRIMARY KEY, ADD PRIMARY KEY (user_id, withdrawal_id);
