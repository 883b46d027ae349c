--[[
  Argument checks shared by the balance scripts. Every check runs before the script's first write,
  so a malformed call is an INVALID_ARGUMENT error reply and changes nothing.
  Needs "amounts".
]]

local function check_arity(count)
  if #ARGV ~= count then
    fail('INVALID_ARGUMENT', 'expected ' .. count .. ' arguments, got ' .. #ARGV)
  end
end

-- A canonical non-negative amount; `positive` refuses '0'.
local function check_amount(name, value, positive)
  if not is_amount(value) or (positive and value == '0') then
    local kind = positive and 'a positive' or 'a non-negative'
    fail('INVALID_ARGUMENT', name .. ' must be ' .. kind .. ' integer of at most 2^63 - 1, got ' .. value)
  end
  return value
end

-- Asset codes as markets define them (src/markets/market-rules.ts).
local function check_asset(name, value)
  if #value < 2 or #value > 12 or not string.find(value, '^[A-Z0-9]+$') then
    fail('INVALID_ARGUMENT', name .. ' must be 2-12 characters of A-Z 0-9, got ' .. value)
  end
  return value
end

-- Ids and symbols: 1-128 bytes without whitespace, control characters or '#', which separates
-- an order id from an amend's entry id in the holds hash.
local function check_id(name, value)
  if #value < 1 or #value > 128 or string.find(value, '[%c%s#]') then
    fail('INVALID_ARGUMENT', name .. ' must be 1-128 characters without spaces or #, got ' .. value)
  end
  return value
end
