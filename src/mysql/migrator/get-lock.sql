-- Serializes migration runs on one database across processes and pods. Lock names are server-wide
-- and at most 64 characters: the database name, cut to 53, plus '.migrations'.
-- Param: seconds to wait. Result: 1 = held, 0 = timed out, NULL = error.
SELECT GET_LOCK(CONCAT(LEFT(DATABASE(), 53), '.migrations'), ?) AS locked
