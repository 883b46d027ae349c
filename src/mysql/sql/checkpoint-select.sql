-- checkpoint-select: a symbol's checkpoint and fence, read back by the takeover after its bump (in the
-- same transaction, so it sees its own epoch) to know its epoch and where to load and replay from.
-- Parameters: 1 symbol.
SELECT symbol, epoch, last_stream_id, last_seq
FROM symbol_checkpoints
WHERE symbol = ?
