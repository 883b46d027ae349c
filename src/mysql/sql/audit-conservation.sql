-- audit-conservation: per asset, what MySQL holds and what came in and went out (docs/mysql.md,
-- "Audit"; DESIGN.md invariant 1: held = deposited - withdrawn). One statement, so InnoDB reads the
-- three tables in one consistent snapshot even while the writer commits.
-- The sums are DECIMAL (a SUM of BIGINT UNSIGNED) and read back as decimal strings; available,
-- locked and fees_paid are summed apart, since their sum on one row can pass BIGINT UNSIGNED.
-- Only 'ok' withdrawals were debited. source: 'balances' | 'deposits' | 'withdrawals'.
-- Parameters: none.
SELECT 'balances' AS source, asset, SUM(available) AS available, SUM(locked) AS locked,
  SUM(fees_paid) AS fees_paid
FROM balances
GROUP BY asset
UNION ALL
SELECT 'deposits', asset, SUM(amount), 0, 0
FROM deposits
GROUP BY asset
UNION ALL
SELECT 'withdrawals', asset, SUM(amount), 0, 0
FROM withdrawals
WHERE status = 'ok'
GROUP BY asset
