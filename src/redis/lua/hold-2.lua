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

check_arity(3)
local order_id = check_id('orderId', ARGV[1])
local asset = check_asset('asset', ARGV[2])
local amount = ARGV[3]
if amount ~= 'all' then
  check_amount('amount', amount, true)
end

local hold = parse_hold(redis.call('HGET', KEYS[2], order_id))
if hold then
  if hold.state == 'refused' then
    return { 'DUPLICATE', 'INSUFFICIENT_FUNDS' }
  end
  return { 'DUPLICATE', 'OK', hold.amount }
end

local available = read_amount(KEYS[1], 'a:' .. asset)
if amount == 'all' then
  amount = available
end
if amount == '0' or compare(available, amount) < 0 then
  redis.call('HSET', KEYS[2], order_id, 'R')
  return { 'INSUFFICIENT_FUNDS' }
end
if not fits(read_amount(KEYS[1], 'l:' .. asset), amount) then
  fail('OVERFLOW', 'locked ' .. asset .. ' would pass 2^63 - 1')
end

redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HINCRBY', KEYS[1], 'a:' .. asset, negate(amount))
redis.call('HINCRBY', KEYS[1], 'l:' .. asset, amount)
redis.call('HSET', KEYS[2], order_id, active_record(asset, amount, amount))
return { 'OK', amount }
