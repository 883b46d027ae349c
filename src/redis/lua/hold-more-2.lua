--[[
  Holds more funds for a resting order that an amend makes dearer (a higher buy price, a larger
  quantity): moves the extra from available to locked and adds it to the order's held amount.
  The outcome is recorded under (orderId, entryId), entryId being the amend's stream entry.
  The matcher calls it for every amend of a resting order, with amount 0 when the amend needs
  nothing more: that decision is recorded too ('A 0', nothing moved), so that a replay, which
  computes the extra against holds that later settlements have lowered, takes the recorded decision
  instead of a new one.

  Input:
    KEYS[1] balances   {prefix}:bal:{u:ID}     v (version) bumped when it holds
    KEYS[2] holds      {prefix}:holds:{u:ID}   <orderId> -> hold record,
                                               <orderId>#<entryId> -> 'A <amount>' or 'R'

    ARGV[1] orderId    1-128 characters, no whitespace or '#'; its hold must be active
    ARGV[2] entryId    1-128 characters, no whitespace or '#'
    ARGV[3] amount     decimal integer, at most 2^63 - 1: the extra amount (0: none needed)

  Output:
    {'OK', amount}                      held the extra amount, in the asset of the order's hold
                                        (0: recorded, nothing moved, v unchanged)
    {'INSUFFICIENT_FUNDS'}              available < amount; refused and recorded
    {'DUPLICATE', <first reply...>}     this (orderId, entryId) was seen before; nothing changed
  Errors, nothing changed:
    INVALID_ARGUMENT, NO_ACTIVE_HOLD (the order has no active hold), OVERFLOW, CORRUPT_STATE
]]
--- @include "amounts"
--- @include "arguments"
--- @include "holds"

check_arity(3)
local order_id = check_id('orderId', ARGV[1])
local entry_field = order_id .. '#' .. check_id('entryId', ARGV[2])
local amount = check_amount('amount', ARGV[3], false)

local recorded = redis.call('HGET', KEYS[2], entry_field)
if recorded then
  if recorded == 'R' then
    return { 'DUPLICATE', 'INSUFFICIENT_FUNDS' }
  end
  local recorded_amount = string.match(recorded, '^A (%d+)$')
  if not recorded_amount then
    fail('CORRUPT_STATE', 'amend hold record ' .. recorded)
  end
  return { 'DUPLICATE', 'OK', recorded_amount }
end

if amount == '0' then
  redis.call('HSET', KEYS[2], entry_field, 'A 0')
  return { 'OK', '0' }
end

local hold = read_active_hold(KEYS[2], order_id)
local available = read_amount(KEYS[1], 'a:' .. hold.asset)
if compare(available, amount) < 0 then
  redis.call('HSET', KEYS[2], entry_field, 'R')
  return { 'INSUFFICIENT_FUNDS' }
end
if not fits(read_amount(KEYS[1], 'l:' .. hold.asset), amount) or not fits(hold.held, amount) then
  fail('OVERFLOW', 'locked ' .. hold.asset .. ' would pass 2^63 - 1')
end

redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HINCRBY', KEYS[1], 'a:' .. hold.asset, negate(amount))
redis.call('HINCRBY', KEYS[1], 'l:' .. hold.asset, amount)
redis.call('HSET', KEYS[2], order_id, active_record(hold.asset, add(hold.held, amount), hold.amount))
redis.call('HSET', KEYS[2], entry_field, 'A ' .. amount)
return { 'OK', amount }
