-- audit-deposits-range: the deposit rows of a range of users, by its primary key
-- (user_id, deposit_id) (migration 0009).
-- Parameters: 1 first user id, 2 last user id (inclusive).
SELECT user_id, deposit_id, asset, amount
FROM deposits
WHERE user_id BETWEEN CAST(? AS UNSIGNED) AND CAST(? AS UNSIGNED)
