-- Run on every new pooled connection (connection.ts): DATETIME defaults (CURRENT_TIMESTAMP) are
-- written in UTC whatever the server's time zone, and a value that does not fit its column is an
-- error, never silently truncated or clipped, whatever the server's sql_mode.
SET SESSION
  time_zone = '+00:00',
  sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'
