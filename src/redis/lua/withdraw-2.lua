--[[
  Debits a withdrawal from the user's available balance, never from locked funds, once per
  withdrawal id; a refusal is recorded too, so a repeat gets the same answer.

  Input:
    KEYS[1] balances      {prefix}:bal:{u:ID}          v (version) bumped when it debits
    KEYS[2] withdrawals   {prefix}:withdrawals:{u:ID}  <withdrawalId> -> '<asset> <amount>' or
                                                       'R <asset> <amount>' (refused)

    ARGV[1] withdrawalId  1-128 characters, no whitespace or '#'
    ARGV[2] asset         2-12 characters of A-Z 0-9
    ARGV[3] amount        positive decimal integer, at most 2^63 - 1

  Output:
    {'OK', asset, amount}                   debited
    {'INSUFFICIENT_FUNDS', asset, amount}   available < amount; refused and recorded
    {'DUPLICATE', <first reply...>}         the id was seen before: 'DUPLICATE' followed by the
                                            first call's reply (recorded asset and amount);
                                            nothing changed
  Errors, nothing changed:
    INVALID_ARGUMENT, CORRUPT_STATE
]]
--- @include "amounts"
--- @include "arguments"

check_arity(3)
local withdrawal_id = check_id('withdrawalId', ARGV[1])
local asset = check_asset('asset', ARGV[2])
local amount = check_amount('amount', ARGV[3], true)

local recorded = redis.call('HGET', KEYS[2], withdrawal_id)
if recorded then
  local outcome = 'OK'
  local recorded_asset, recorded_amount = string.match(recorded, '^R (%S+) (%d+)$')
  if recorded_asset then
    outcome = 'INSUFFICIENT_FUNDS'
  else
    recorded_asset, recorded_amount = string.match(recorded, '^(%S+) (%d+)$')
  end
  if not recorded_asset then
    fail('CORRUPT_STATE', 'withdrawal record ' .. recorded)
  end
  return { 'DUPLICATE', outcome, recorded_asset, recorded_amount }
end

local field = 'a:' .. asset
if compare(read_amount(KEYS[1], field), amount) < 0 then
  redis.call('HSET', KEYS[2], withdrawal_id, 'R ' .. asset .. ' ' .. amount)
  return { 'INSUFFICIENT_FUNDS', asset, amount }
end

redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HINCRBY', KEYS[1], field, negate(amount))
redis.call('HSET', KEYS[2], withdrawal_id, asset .. ' ' .. amount)
return { 'OK', asset, amount }
