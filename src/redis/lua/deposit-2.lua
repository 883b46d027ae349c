--[[
  Credits a deposit to the user's available balance, once per deposit id.

  Input:
    KEYS[1] balances     {prefix}:bal:{u:ID}       a:<ASSET> available, l:<ASSET> locked, f:<ASSET> fees,
                                                   v version (bumped by every call that changes the hash)
    KEYS[2] deposits     {prefix}:deposits:{u:ID}  <depositId> -> '<asset> <amount>'

    ARGV[1] depositId    1-128 characters, no whitespace or '#'
    ARGV[2] asset        2-12 characters of A-Z 0-9
    ARGV[3] amount       positive decimal integer, at most 2^63 - 1

  Output:
    {'OK', asset, amount}                  credited; the balances' version v is bumped
    {'DUPLICATE', 'OK', asset, amount}     the id was seen before: its recorded asset and amount;
                                           nothing changed
  Errors, nothing changed:
    INVALID_ARGUMENT, OVERFLOW (available would pass 2^63 - 1), CORRUPT_STATE
]]
--- @include "amounts"
--- @include "arguments"

check_arity(3)
local deposit_id = check_id('depositId', ARGV[1])
local asset = check_asset('asset', ARGV[2])
local amount = check_amount('amount', ARGV[3], true)

local recorded = redis.call('HGET', KEYS[2], deposit_id)
if recorded then
  local recorded_asset, recorded_amount = string.match(recorded, '^(%S+) (%d+)$')
  if not recorded_asset then
    fail('CORRUPT_STATE', 'deposit record ' .. recorded)
  end
  return { 'DUPLICATE', 'OK', recorded_asset, recorded_amount }
end

local field = 'a:' .. asset
if not fits(read_amount(KEYS[1], field), amount) then
  fail('OVERFLOW', 'available ' .. asset .. ' would pass 2^63 - 1')
end

-- The version first: should it fail (v corrupted by hand), nothing has changed yet.
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HINCRBY', KEYS[1], field, amount)
redis.call('HSET', KEYS[2], deposit_id, asset .. ' ' .. amount)
return { 'OK', asset, amount }
