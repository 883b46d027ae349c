-- audit-checkpoints: every symbol's durable checkpoint, to hold against its stream in Redis.
-- Parameters: none.
SELECT symbol, last_stream_id, last_seq
FROM symbol_checkpoints
ORDER BY symbol
