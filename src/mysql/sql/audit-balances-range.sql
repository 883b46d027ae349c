-- audit-balances-range: the balance rows of a range of users (a chunk of the audit's user list),
-- by primary key range.
-- Parameters: 1 first user id, 2 last user id (inclusive).
SELECT user_id, asset, available, locked, fees_paid, version
FROM balances
WHERE user_id BETWEEN CAST(? AS UNSIGNED) AND CAST(? AS UNSIGNED)
