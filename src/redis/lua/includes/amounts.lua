--[[
  Exact arithmetic on amounts written as decimal strings of non-negative integers (docs/balances.md).

  Redis Lua numbers are doubles, exact only below 2^53, so an amount is never turned into one whole.
  Balances change by HINCRBY (exact, 64-bit); these helpers do what HINCRBY cannot: validate,
  compare, keep the held amount inside a hold record, and find the headroom below 2^63 - 1.
  They work on two limbs of at most ten digits, so every intermediate value is an exact integer.
]]

local MAX_AMOUNT = '9223372036854775807'

-- Raises an error reply `CODE message`. Scripts call it only before their first write.
local function fail(code, message)
  error({ err = code .. ' ' .. message })
end

-- Amounts have at most 19 digits (MAX_AMOUNT; a sum of two, 20). The arithmetic splits them in two
-- limbs at 10^10: every limb, and every sum or difference of two, stays far below 2^53, where Lua's
-- doubles are exact. (A digit-by-digit loop did the same at several times the cost: it was most of
-- a settlement's time in Redis.)
local LIMB = 10000000000

-- high, low of a canonical amount (or of a sum of two): the value is high * 10^10 + low.
local function limbs(s)
  local n = #s
  if n <= 10 then
    return 0, tonumber(s)
  end
  return tonumber(string.sub(s, 1, n - 10)), tonumber(string.sub(s, n - 9))
end

-- The canonical decimal string of high * 10^10 + low, for 0 <= low < 10^10.
local function join(high, low)
  if high == 0 then
    return string.format('%d', low)
  end
  return string.format('%d%010d', high, low)
end

-- -1, 0 or 1 as a < b, a == b, a > b, for canonical amounts. Compares numbers, never strings with
-- Lua's `<`, which follows the server's locale.
local function compare(a, b)
  if #a ~= #b then
    return #a < #b and -1 or 1
  end
  if a == b then
    return 0
  end
  local ah, al = limbs(a)
  local bh, bl = limbs(b)
  if ah ~= bh then
    return ah < bh and -1 or 1
  end
  return al < bl and -1 or 1
end

-- '0', or a digit 1-9 followed by digits, no larger than MAX_AMOUNT.
local function is_amount(s)
  if type(s) ~= 'string' or not string.find(s, '^%d+$') then
    return false
  end
  if #s > 1 and string.byte(s, 1) == 48 then
    return false
  end
  return #s < 19 or (#s == 19 and compare(s, MAX_AMOUNT) <= 0)
end

local function add(a, b)
  local ah, al = limbs(a)
  local bh, bl = limbs(b)
  local low, high = al + bl, ah + bh
  if low >= LIMB then
    low, high = low - LIMB, high + 1
  end
  return join(high, low)
end

-- a - b, for a >= b.
local function subtract(a, b)
  local ah, al = limbs(a)
  local bh, bl = limbs(b)
  local low, high = al - bl, ah - bh
  if low < 0 then
    low, high = low + LIMB, high - 1
  end
  return join(high, low)
end

local function min_amount(a, b)
  return compare(a, b) <= 0 and a or b
end

-- Whether current + delta stays within MAX_AMOUNT (HINCRBY's limit). Below 10^18 each, the sum is
-- below 2 * 10^18: no need to look closer.
local function fits(current, delta)
  if #current < 19 and #delta < 19 then
    return true
  end
  return compare(delta, subtract(MAX_AMOUNT, current)) <= 0
end

-- A balance field, '0' when absent; anything the scripts never write is CORRUPT_STATE.
local function read_amount(key, field)
  local value = redis.call('HGET', key, field)
  if not value then
    return '0'
  end
  if not is_amount(value) then
    fail('CORRUPT_STATE', key .. ' ' .. field .. ' holds ' .. tostring(value))
  end
  return value
end

-- The decrement HINCRBY takes ('-0' is not an integer to Redis).
local function negate(amount)
  return amount == '0' and '0' or '-' .. amount
end
