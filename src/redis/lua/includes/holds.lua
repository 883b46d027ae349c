--[[
  Hold records: the values of the holds hash, per order id (docs/balances.md).
    '<asset> <held> <amount>'  active: <held> is still locked for the order; <amount> is what the
                               hold decided (the budget a replay must see again)
    'X <asset> <amount>'       released: the order is done
    'R'                        refused for lack of funds
  Needs "amounts".
]]

local function parse_hold(record)
  if not record then
    return nil
  end
  if record == 'R' then
    return { state = 'refused' }
  end
  local asset, amount = string.match(record, '^X (%S+) (%d+)$')
  if asset then
    return { state = 'released', asset = asset, amount = amount }
  end
  local held
  asset, held, amount = string.match(record, '^(%S+) (%d+) (%d+)$')
  if asset and is_amount(held) and is_amount(amount) then
    return { state = 'active', asset = asset, held = held, amount = amount }
  end
  fail('CORRUPT_STATE', 'hold record ' .. record)
end

local function active_record(asset, held, amount)
  return asset .. ' ' .. held .. ' ' .. amount
end

-- The order's hold, which must be active: settling or releasing anything else is a caller's bug.
local function read_active_hold(holds_key, order_id)
  local hold = parse_hold(redis.call('HGET', holds_key, order_id))
  if not hold or hold.state ~= 'active' then
    fail('NO_ACTIVE_HOLD', 'order ' .. order_id .. ' has ' .. (hold and hold.state .. ' hold' or 'no hold'))
  end
  return hold
end

-- Whether `position` was applied already: it is at or below the user's cursor on the symbol.
local function already_applied(cursor_key, symbol, position)
  local cursor = redis.call('HGET', cursor_key, symbol)
  if not cursor then
    return false
  end
  if not is_amount(cursor) then
    fail('CORRUPT_STATE', cursor_key .. ' ' .. symbol .. ' holds ' .. cursor)
  end
  return compare(position, cursor) <= 0
end
