--[[
  The matcher's three balance operations as functions, shared by their own scripts (hold-2.lua,
  settle-3.lua, release-3.lua: one call each) and by balance-batch-0.lua (a batch of them in one
  call). Each checks its arguments before its first write and raises `fail` (an error reply, nothing
  changed) or returns its reply; the scripts' headers document both.
  Needs "amounts", "arguments" and "holds".
]]

local function hold_op(balances, holds, order_id, asset, amount)
  check_id('orderId', order_id)
  check_asset('asset', asset)
  if amount ~= 'all' then
    check_amount('amount', amount, true)
  end

  local hold = parse_hold(redis.call('HGET', holds, order_id))
  if hold then
    if hold.state == 'refused' then
      return { 'DUPLICATE', 'INSUFFICIENT_FUNDS' }
    end
    return { 'DUPLICATE', 'OK', hold.amount }
  end

  local available = read_amount(balances, 'a:' .. asset)
  if amount == 'all' then
    amount = available
  end
  if amount == '0' or compare(available, amount) < 0 then
    redis.call('HSET', holds, order_id, 'R')
    return { 'INSUFFICIENT_FUNDS' }
  end
  if not fits(read_amount(balances, 'l:' .. asset), amount) then
    fail('OVERFLOW', 'locked ' .. asset .. ' would pass 2^63 - 1')
  end

  redis.call('HINCRBY', balances, 'v', 1)
  redis.call('HINCRBY', balances, 'a:' .. asset, negate(amount))
  redis.call('HINCRBY', balances, 'l:' .. asset, amount)
  redis.call('HSET', holds, order_id, active_record(asset, amount, amount))
  return { 'OK', amount }
end

local function settle_op(balances, holds, cursor, symbol, position, order_id, spent_asset, spent,
                         received_asset, received, fee)
  check_id('symbol', symbol)
  check_amount('position', position, false)
  check_id('orderId', order_id)
  check_asset('spentAsset', spent_asset)
  check_amount('spent', spent, false)
  check_asset('receivedAsset', received_asset)
  check_amount('received', received, false)
  check_amount('fee', fee, false)
  if received_asset == spent_asset then
    fail('INVALID_ARGUMENT', 'receivedAsset must differ from spentAsset, both are ' .. spent_asset)
  end
  if compare(fee, received) > 0 then
    fail('INVALID_ARGUMENT', 'fee ' .. fee .. ' exceeds received ' .. received)
  end

  if already_applied(cursor, symbol, position) then
    return { 'SKIPPED' }
  end

  local hold = read_active_hold(holds, order_id)
  if hold.asset ~= spent_asset or compare(spent, hold.held) > 0 then
    fail('EXCEEDS_HOLD', 'order ' .. order_id .. ' holds ' .. hold.held .. ' ' .. hold.asset .. ', cannot spend '
      .. spent .. ' ' .. spent_asset)
  end
  local locked_field, available_field = 'l:' .. spent_asset, 'a:' .. received_asset
  if compare(read_amount(balances, locked_field), spent) < 0 then
    fail('CORRUPT_STATE', 'locked ' .. spent_asset .. ' is below the held amount of order ' .. order_id)
  end
  local net = subtract(received, fee)
  if not fits(read_amount(balances, available_field), net)
    or not fits(read_amount(balances, 'f:' .. received_asset), fee) then
    fail('OVERFLOW', 'available or fees of ' .. received_asset .. ' would pass 2^63 - 1')
  end

  local held = subtract(hold.held, spent)
  if spent ~= '0' or net ~= '0' or fee ~= '0' then
    redis.call('HINCRBY', balances, 'v', 1)
  end
  if spent ~= '0' then
    redis.call('HINCRBY', balances, locked_field, negate(spent))
    redis.call('HSET', holds, order_id, active_record(hold.asset, held, hold.amount))
  end
  if net ~= '0' then
    redis.call('HINCRBY', balances, available_field, net)
  end
  if fee ~= '0' then
    redis.call('HINCRBY', balances, 'f:' .. received_asset, fee)
  end
  redis.call('HSET', cursor, symbol, position)
  return { 'OK', held }
end

local function release_op(balances, holds, cursor, symbol, position, order_id, amount)
  check_id('symbol', symbol)
  check_amount('position', position, false)
  check_id('orderId', order_id)
  if amount ~= 'all' then
    check_amount('amount', amount, false)
  end

  if already_applied(cursor, symbol, position) then
    return { 'SKIPPED' }
  end

  local hold = read_active_hold(holds, order_id)
  local released = amount == 'all' and hold.held or min_amount(amount, hold.held)
  local locked_field, available_field = 'l:' .. hold.asset, 'a:' .. hold.asset
  if compare(read_amount(balances, locked_field), released) < 0 then
    fail('CORRUPT_STATE', 'locked ' .. hold.asset .. ' is below the held amount of order ' .. order_id)
  end
  if not fits(read_amount(balances, available_field), released) then
    fail('OVERFLOW', 'available ' .. hold.asset .. ' would pass 2^63 - 1')
  end

  local held = subtract(hold.held, released)
  if released ~= '0' then
    redis.call('HINCRBY', balances, 'v', 1)
    redis.call('HINCRBY', balances, locked_field, negate(released))
    redis.call('HINCRBY', balances, available_field, released)
  end
  if amount == 'all' then
    redis.call('HSET', holds, order_id, 'X ' .. hold.asset .. ' ' .. hold.amount)
  elseif released ~= '0' then
    redis.call('HSET', holds, order_id, active_record(hold.asset, held, hold.amount))
  end
  redis.call('HSET', cursor, symbol, position)
  return { 'OK', released, held }
end
