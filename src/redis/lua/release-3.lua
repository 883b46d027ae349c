--[[
  Releases funds held for an order back to available: all of them when the order is done
  (mode 'all', which also closes the hold), or part of them when an amend needs less.
  Idempotent by position, like settle: a position at or below the user's cursor on the symbol
  was applied already and is skipped.

  Input:
    KEYS[1] balances    {prefix}:bal:{u:ID}      v (version) bumped when funds move
    KEYS[2] holds       {prefix}:holds:{u:ID}
    KEYS[3] cursor      {prefix}:cursor:{u:ID}   <symbol> -> last position applied

    ARGV[1] symbol      1-128 characters, no whitespace or '#'
    ARGV[2] position    non-negative decimal integer: seq x 2 (role 0)
    ARGV[3] orderId     its hold must be active
    ARGV[4] amount      'all': the order is done, release what it still holds and mark the hold
                        released ('X'); or a non-negative decimal integer: release that much, at
                        most what the order holds, and keep the hold active

  Output:
    {'OK', released, held}   applied; released is what moved back, held what the order still holds
    {'SKIPPED'}              position <= cursor: applied before; nothing changed
  Errors, nothing changed:
    INVALID_ARGUMENT, NO_ACTIVE_HOLD, OVERFLOW, CORRUPT_STATE
]]
--- @include "amounts"
--- @include "arguments"
--- @include "holds"
--- @include "matcher-ops"

check_arity(4)
return release_op(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
