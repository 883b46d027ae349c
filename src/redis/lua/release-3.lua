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

check_arity(4)
local symbol = check_id('symbol', ARGV[1])
local position = check_amount('position', ARGV[2], false)
local order_id = check_id('orderId', ARGV[3])
local amount = ARGV[4]
if amount ~= 'all' then
  check_amount('amount', amount, false)
end

if already_applied(KEYS[3], symbol, position) then
  return { 'SKIPPED' }
end

local hold = read_active_hold(KEYS[2], order_id)
local released = amount == 'all' and hold.held or min_amount(amount, hold.held)
local locked_field, available_field = 'l:' .. hold.asset, 'a:' .. hold.asset
if compare(read_amount(KEYS[1], locked_field), released) < 0 then
  fail('CORRUPT_STATE', 'locked ' .. hold.asset .. ' is below the held amount of order ' .. order_id)
end
if not fits(read_amount(KEYS[1], available_field), released) then
  fail('OVERFLOW', 'available ' .. hold.asset .. ' would pass 2^63 - 1')
end

local held = subtract(hold.held, released)
if released ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'v', 1)
  redis.call('HINCRBY', KEYS[1], locked_field, negate(released))
  redis.call('HINCRBY', KEYS[1], available_field, released)
end
if amount == 'all' then
  redis.call('HSET', KEYS[2], order_id, 'X ' .. hold.asset .. ' ' .. hold.amount)
elseif released ~= '0' then
  redis.call('HSET', KEYS[2], order_id, active_record(hold.asset, held, hold.amount))
end
redis.call('HSET', KEYS[3], symbol, position)
return { 'OK', released, held }
