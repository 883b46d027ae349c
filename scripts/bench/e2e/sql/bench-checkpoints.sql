-- bench-checkpoints: each symbol's durable checkpoint, to tell when MySQL has caught up with its stream.
-- Parameters: none.
SELECT symbol, last_stream_id
FROM symbol_checkpoints
