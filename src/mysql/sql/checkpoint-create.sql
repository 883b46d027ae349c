-- checkpoint-create: the takeover's first step (DESIGN.md §2): a symbol's checkpoint row, if missing.
-- A new row starts at epoch 0, stream id 0-0, seq 0: nothing durable yet, no owner yet.
-- An existing row is left as it is (the no-op update still locks it until the takeover commits,
-- so concurrent takeovers of one symbol run one after the other). Unlike INSERT IGNORE, a bad value
-- still fails.
-- Parameters: 1 symbol.
INSERT INTO symbol_checkpoints (symbol, epoch, last_stream_id, last_seq)
VALUES (?, 0, '0-0', 0)
ON DUPLICATE KEY UPDATE symbol = symbol
