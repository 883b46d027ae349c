-- audit-users: the next page of user ids that have a balance, deposit or withdrawal row, in id
-- order (keyset pagination: pass the last id of the previous page, '0' for the first). Each branch
-- reads a primary key that starts with user_id (migration 0009 for deposits and withdrawals) and
-- stops after its own page, so a page costs O(page) whatever the tables' sizes.
-- Parameters: 1 after user id, 2 page size, 3 after, 4 page size, 5 after, 6 page size,
-- 7 page size.
SELECT user_id
FROM (
  (SELECT user_id FROM balances WHERE user_id > CAST(? AS UNSIGNED)
    GROUP BY user_id ORDER BY user_id LIMIT ?)
  UNION
  (SELECT user_id FROM deposits WHERE user_id > CAST(? AS UNSIGNED)
    GROUP BY user_id ORDER BY user_id LIMIT ?)
  UNION
  (SELECT user_id FROM withdrawals WHERE user_id > CAST(? AS UNSIGNED)
    GROUP BY user_id ORDER BY user_id LIMIT ?)
) AS users
ORDER BY user_id
LIMIT ?
