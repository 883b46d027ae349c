-- Releases get-lock.sql's lock (closing the connection would too).
SELECT RELEASE_LOCK(CONCAT(LEFT(DATABASE(), 53), '.migrations')) AS released
