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

check_arity(8)
local symbol = check_id('symbol', ARGV[1])
local position = check_amount('position', ARGV[2], false)
local order_id = check_id('orderId', ARGV[3])
local spent_asset = check_asset('spentAsset', ARGV[4])
local spent = check_amount('spent', ARGV[5], false)
local received_asset = check_asset('receivedAsset', ARGV[6])
local received = check_amount('received', ARGV[7], false)
local fee = check_amount('fee', ARGV[8], false)
if received_asset == spent_asset then
  fail('INVALID_ARGUMENT', 'receivedAsset must differ from spentAsset, both are ' .. spent_asset)
end
if compare(fee, received) > 0 then
  fail('INVALID_ARGUMENT', 'fee ' .. fee .. ' exceeds received ' .. received)
end

if already_applied(KEYS[3], symbol, position) then
  return { 'SKIPPED' }
end

local hold = read_active_hold(KEYS[2], order_id)
if hold.asset ~= spent_asset or compare(spent, hold.held) > 0 then
  fail('EXCEEDS_HOLD', 'order ' .. order_id .. ' holds ' .. hold.held .. ' ' .. hold.asset .. ', cannot spend '
    .. spent .. ' ' .. spent_asset)
end
local locked_field, available_field = 'l:' .. spent_asset, 'a:' .. received_asset
if compare(read_amount(KEYS[1], locked_field), spent) < 0 then
  fail('CORRUPT_STATE', 'locked ' .. spent_asset .. ' is below the held amount of order ' .. order_id)
end
local net = subtract(received, fee)
if not fits(read_amount(KEYS[1], available_field), net)
  or not fits(read_amount(KEYS[1], 'f:' .. received_asset), fee) then
  fail('OVERFLOW', 'available or fees of ' .. received_asset .. ' would pass 2^63 - 1')
end

local held = subtract(hold.held, spent)
if spent ~= '0' or net ~= '0' or fee ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'v', 1)
end
if spent ~= '0' then
  redis.call('HINCRBY', KEYS[1], locked_field, negate(spent))
  redis.call('HSET', KEYS[2], order_id, active_record(hold.asset, held, hold.amount))
end
if net ~= '0' then
  redis.call('HINCRBY', KEYS[1], available_field, net)
end
if fee ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'f:' .. received_asset, fee)
end
redis.call('HSET', KEYS[3], symbol, position)
return { 'OK', held }
