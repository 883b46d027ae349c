-- balances-upsert: each user's balance of each asset (migration 0004), a copy of the hot balances in
-- Redis (docs/balances.md), version-guarded like orders-upsert.sql.
-- version is the `v` of the user's Redis balances hash when it was read: every balance script that
-- changes the hash bumps it. A row overwrites the stored one only with a strictly higher version, so
-- a copy read earlier and written later (two writers: the matchers and the ledger worker; a retried
-- flush) never takes a balance back, and the same copy written twice changes nothing.
-- version is assigned last: MySQL evaluates the assignments in order, and the guards before it must
-- still compare against the stored version.
-- Parameters: one tuple per row, in the column order below (src/persistence/tables.ts).
INSERT INTO balances (user_id, asset, available, locked, fees_paid, version)
VALUES /*:rows*/
ON DUPLICATE KEY UPDATE
  available = IF(VALUES(version) > version, VALUES(available), available),
  locked = IF(VALUES(version) > version, VALUES(locked), locked),
  fees_paid = IF(VALUES(version) > version, VALUES(fees_paid), fees_paid),
  version = IF(VALUES(version) > version, VALUES(version), version)
