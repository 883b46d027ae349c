--[[
  Holds funds for an order before the engine sees it: moves them from available to locked and
  records the outcome under the order id, so a replay reaches the same accept/reject decision.

  Input:
    KEYS[1] balances   {prefix}:bal:{u:ID}     v (version) bumped when it holds
    KEYS[2] holds      {prefix}:holds:{u:ID}   <orderId> -> hold record (see includes/holds.lua)

    ARGV[1] orderId    1-128 characters, no whitespace or '#'
    ARGV[2] asset      2-12 characters of A-Z 0-9
    ARGV[3] amount     positive decimal integer, at most 2^63 - 1; or 'all': the whole available
                       balance (a market buy by base quantity: its budget)

  Output:
    {'OK', amount}                      held; amount is what was held (in mode 'all', the balance)
    {'INSUFFICIENT_FUNDS'}              available < amount, or available is 0 in mode 'all';
                                        refused and recorded
    {'DUPLICATE', <first reply...>}     the order was seen before: 'DUPLICATE' followed by the first
                                        call's reply, even after settlements or the release;
                                        nothing changed
  Errors, nothing changed:
    INVALID_ARGUMENT, OVERFLOW (locked would pass 2^63 - 1), CORRUPT_STATE
]]
--- @include "amounts"
--- @include "arguments"
--- @include "holds"
--- @include "matcher-ops"

check_arity(3)
return hold_op(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
