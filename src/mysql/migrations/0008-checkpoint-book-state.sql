-- What a takeover needs beyond the open orders to rebuild a symbol's book exactly as it stood at the
-- checkpoint (docs/mysql.md "Takeover"): the fees in force in the engine (a setFees command changes
-- them in the book only, and the market directory may already show a newer value whose setFees entry
-- comes after the checkpoint) and the timestamp of the last command applied (part of the book's
-- snapshot hash). Written by every flush with the checkpoint it belongs to.
ALTER TABLE symbol_checkpoints
  ADD COLUMN IF NOT EXISTS maker_fee_ppm INT UNSIGNED NULL COMMENT 'maker fee in force in the engine at last_stream_id, ppm; NULL before the first checkpoint' AFTER last_seq,
  ADD COLUMN IF NOT EXISTS taker_fee_ppm INT UNSIGNED NULL COMMENT 'taker fee in force in the engine at last_stream_id, ppm; NULL before the first checkpoint' AFTER maker_fee_ppm,
  ADD COLUMN IF NOT EXISTS last_timestamp_ms BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'epoch ms of the last command applied at last_stream_id' AFTER taker_fee_ppm
