-- audit-withdrawals-range: the withdrawal rows (refused ones too) of a range of users, by its
-- primary key (user_id, withdrawal_id) (migration 0009).
-- Parameters: 1 first user id, 2 last user id (inclusive).
SELECT user_id, withdrawal_id, asset, amount, status
FROM withdrawals
WHERE user_id BETWEEN CAST(? AS UNSIGNED) AND CAST(? AS UNSIGNED)
