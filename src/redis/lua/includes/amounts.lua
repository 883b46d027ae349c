--[[
  Exact arithmetic on amounts written as decimal strings of non-negative integers (docs/balances.md).

  Redis Lua numbers are doubles, exact only below 2^53, so an amount is never turned into one.
  Balances change by HINCRBY (exact, 64-bit); these helpers do what HINCRBY cannot: validate,
  compare, keep the held amount inside a hold record, and find the headroom below 2^63 - 1.
  Digits are handled one at a time, so every intermediate value is a small integer.
]]

local MAX_AMOUNT = '9223372036854775807'

-- Raises an error reply `CODE message`. Scripts call it only before their first write.
local function fail(code, message)
  error({ err = code .. ' ' .. message })
end

-- -1, 0 or 1 as a < b, a == b, a > b, for canonical amounts. Compares bytes rather than using
-- Lua's `<` on strings, which follows the server's locale.
local function compare(a, b)
  if #a ~= #b then
    return #a < #b and -1 or 1
  end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y and -1 or 1
    end
  end
  return 0
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
  local digits, carry = {}, 0
  local i, j = #a, #b
  while i > 0 or j > 0 or carry > 0 do
    local d = carry
    if i > 0 then
      d = d + string.byte(a, i) - 48
      i = i - 1
    end
    if j > 0 then
      d = d + string.byte(b, j) - 48
      j = j - 1
    end
    carry = d >= 10 and 1 or 0
    digits[#digits + 1] = d - carry * 10
  end
  return string.reverse(table.concat(digits))
end

-- a - b, for a >= b.
local function subtract(a, b)
  local digits, borrow = {}, 0
  local j = #b
  for i = #a, 1, -1 do
    local d = string.byte(a, i) - 48 - borrow
    if j > 0 then
      d = d - (string.byte(b, j) - 48)
      j = j - 1
    end
    borrow = d < 0 and 1 or 0
    digits[#digits + 1] = d + borrow * 10
  end
  local s = (string.gsub(string.reverse(table.concat(digits)), '^0+', ''))
  return s == '' and '0' or s
end

local function min_amount(a, b)
  return compare(a, b) <= 0 and a or b
end

-- Whether current + delta stays within MAX_AMOUNT (HINCRBY's limit).
local function fits(current, delta)
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
