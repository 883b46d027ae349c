-- Run on every new pooled connection (connection.ts): DATETIME defaults (CURRENT_TIMESTAMP) are
-- written in UTC whatever the server's time zone, and a value that does not fit its column is an
-- error, never silently truncated or clipped, whatever the server's sql_mode.
--
-- idle_transaction_timeout: a transaction left idle for 5 s has lost its client, or its client is
-- paused (a zombie matcher under SIGSTOP or a long GC, DESIGN.md §2): the server closes the connection
-- and rolls it back, so its locks on a symbol's checkpoint row cannot hold a new owner's claim back
-- for long. Our transactions never wait on their client between statements for anything near that.
-- innodb_lock_wait_timeout: a claim or flush blocked that long fails (1205) and is retried, instead
-- of waiting the server's default 50 s.
--
-- sql_mode must never include NO_BACKSLASH_ESCAPES: the WriteBuffer sends its values through the
-- text protocol, escaped by mysql2 with backslashes (write-buffer-transaction.ts), which only holds
-- while the server reads `\'` as a quote. A flush checks the mode in its START TRANSACTION's status
-- flags and refuses to run without it.
SET SESSION
  time_zone = '+00:00',
  sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
  idle_transaction_timeout = 5,
  innodb_lock_wait_timeout = 15
