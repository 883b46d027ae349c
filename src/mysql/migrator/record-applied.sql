-- Records one migration once all its statements succeeded. Params: version, name, checksum,
-- statements, duration_ms. A duplicate version fails: only the lock holder records.
INSERT INTO schema_migrations (version, name, checksum, statements, duration_ms) VALUES (?, ?, ?, ?, ?)
