--[[
  Settles one user's side of one trade: what the order spends leaves its hold and the locked
  balance; what it receives, less the fee, becomes available; the fee joins the user's fees paid,
  which count in conservation (the fee account). Idempotent by position: a position at or below
  the user's cursor on the symbol was applied already and is skipped.

  Input:
    KEYS[1] balances        {prefix}:bal:{u:ID}      v (version) bumped when an amount moves
    KEYS[2] holds           {prefix}:holds:{u:ID}
    KEYS[3] cursor          {prefix}:cursor:{u:ID}   <symbol> -> last position applied

    ARGV[1] symbol          1-128 characters, no whitespace or '#'
    ARGV[2] position        non-negative decimal integer: seq x 2 + role (0 maker, 1 taker)
    ARGV[3] orderId         the user's order in the trade; its hold must be active
    ARGV[4] spentAsset      the asset of the order's hold
    ARGV[5] spent           non-negative decimal integer, at most the order's held amount
    ARGV[6] receivedAsset   the other asset of the trade
    ARGV[7] received        non-negative decimal integer
    ARGV[8] fee             non-negative decimal integer, at most received, in receivedAsset

  Output:
    {'OK', held}            applied; held is what the order still holds
    {'SKIPPED'}             position <= cursor: applied before; nothing changed
  Errors, nothing changed:
    INVALID_ARGUMENT, NO_ACTIVE_HOLD, EXCEEDS_HOLD (spent > held, or the hold is in another asset),
    OVERFLOW, CORRUPT_STATE
]]
--- @include "amounts"
--- @include "arguments"
--- @include "holds"
--- @include "matcher-ops"

check_arity(8)
return settle_op(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
