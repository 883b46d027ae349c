--[[
  Applies a batch's read-model writes (src/read-model/read-model-writer.ts) in one call, in the
  order given: the same commands the writer otherwise sends one by one, for a fraction of the
  client's and the server's cost per command. One Redis only: the keys span users and orders, so
  they are passed in ARGV (a Cluster's writer sends the plain commands instead).

  Input: ARGV is a sequence of operations, each an opcode followed by its operands:
    S key value                  SET key value
    E key value seconds          SET key value EX seconds
    Z key score member           ZADD key score member
    R key member                 ZREM key member
    L key cap count v1 ... vN    LPUSH key v1 ... vN, then LTRIM key 0 cap-1 (count = N >= 1)

  Output:
    the number of operations applied
  Errors, nothing changed:
    INVALID_ARGUMENT (an unknown opcode, an operation cut short, a count or cap that is not a
    positive integer), found before the first write
]]

local OPERANDS = { S = 2, E = 3, Z = 3, R = 2 }

local function invalid(message)
  return redis.error_reply('INVALID_ARGUMENT ' .. message)
end

local function positive_integer(value)
  return value ~= nil and string.find(value, '^[1-9]%d*$') ~= nil
end

-- Every operation is checked before the first write.
local i, count = 1, 0
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'L' then
    local cap, n = ARGV[i + 2], ARGV[i + 3]
    if not positive_integer(cap) or not positive_integer(n) or i + 3 + tonumber(n) > #ARGV then
      return invalid('operation ' .. (count + 1) .. ' (L) needs a key, a cap, a count and that many values')
    end
    i = i + 4 + tonumber(n)
  elseif OPERANDS[op] then
    if i + OPERANDS[op] > #ARGV then
      return invalid('operation ' .. (count + 1) .. ' (' .. op .. ') is cut short')
    end
    if op == 'E' and not positive_integer(ARGV[i + 3]) then
      return invalid('operation ' .. (count + 1) .. ' (E) needs a positive number of seconds')
    end
    i = i + 1 + OPERANDS[op]
  else
    return invalid('operation ' .. (count + 1) .. ': unknown opcode ' .. tostring(op))
  end
  count = count + 1
end

i = 1
while i <= #ARGV do
  local op, key = ARGV[i], ARGV[i + 1]
  if op == 'S' then
    redis.call('SET', key, ARGV[i + 2])
    i = i + 3
  elseif op == 'E' then
    redis.call('SET', key, ARGV[i + 2], 'EX', ARGV[i + 3])
    i = i + 4
  elseif op == 'Z' then
    redis.call('ZADD', key, ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'R' then
    redis.call('ZREM', key, ARGV[i + 2])
    i = i + 3
  else
    local cap, n = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
    redis.call('LPUSH', key, unpack(ARGV, i + 4, i + 3 + n))
    redis.call('LTRIM', key, 0, cap - 1)
    i = i + 4 + n
  end
end
return count
