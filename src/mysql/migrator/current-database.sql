-- The connection's database: migrations apply to it and its name scopes the lock.
SELECT DATABASE() AS name
