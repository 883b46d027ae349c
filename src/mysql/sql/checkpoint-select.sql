-- checkpoint-select: a symbol's checkpoint and fence, read back by the takeover after its bump (in the
-- same transaction, so it sees its own epoch) to know its epoch, where to load and replay from, and
-- the book's fees and last command timestamp at that point (NULL fees: none recorded yet).
-- Parameters: 1 symbol.
SELECT symbol, epoch, last_stream_id, last_seq, maker_fee_ppm, taker_fee_ppm, last_timestamp_ms
FROM symbol_checkpoints
WHERE symbol = ?
