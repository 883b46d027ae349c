--[[
  Appends a place command to the symbol's stream unless the user already placed an order with the
  same clientOrderId on that symbol (docs/pipeline.md): the check, the record and the append are one
  atomic step, so concurrent repeats create exactly one order. Both keys carry the {SYMBOL} tag.

  Refuses, changing nothing, while the stream holds maxBacklog entries or more: streams are trimmed
  at the symbol's durable checkpoint, so their length is what is not durable yet (docs/pipeline.md,
  "Backlog"). A repeat is answered first, backlog or not: it appends nothing.

  The record is written after the append: a script that fails half-way keeps what it wrote, and an
  XADD refused (a key of the wrong type) must not leave a record that points at nothing.

  Input:
    KEYS[1] clientOrderId  {prefix}:coid:{SYMBOL}:u:ID:<clientOrderId>  -> the first order's id
    KEYS[2] stream         {prefix}:orders:{SYMBOL}

    ARGV[1] orderId        the new order's id
    ARGV[2] maxBacklog     refuse at this many entries in the stream; 0: no bound
    ARGV[3], ARGV[4] ...   the entry's field/value pairs (src/streams/command-codec.ts)

  Output:
    {'APPENDED', entryId}      appended; the clientOrderId now names orderId for 24 hours
    {'DUPLICATE', orderId}     the clientOrderId already names an order (possibly this one, when a
                               call is repeated): its id; nothing appended
    {'BACKLOGGED', length}     the stream holds `length` >= maxBacklog entries; nothing changed
  Errors, nothing changed:
    INVALID_ARGUMENT (no orderId, a maxBacklog that is not an integer >= 0, or no complete
    field/value pair)
]]

local RECORD_SECONDS = 86400

if #ARGV < 4 or #ARGV % 2 == 1 or ARGV[1] == '' then
  return redis.error_reply('INVALID_ARGUMENT expected an orderId, maxBacklog and field/value pairs, got '
    .. #ARGV .. ' arguments')
end
local max_backlog = tonumber(ARGV[2])
if not string.match(ARGV[2], '^%d+$') or not max_backlog then
  return redis.error_reply('INVALID_ARGUMENT maxBacklog must be an integer >= 0, got ' .. ARGV[2])
end

local first = redis.call('GET', KEYS[1])
if first then
  return { 'DUPLICATE', first }
end

if max_backlog > 0 then
  local length = redis.call('XLEN', KEYS[2])
  if length >= max_backlog then
    return { 'BACKLOGGED', tostring(length) }
  end
end

local entry_id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[1], ARGV[1], 'EX', RECORD_SECONDS)
return { 'APPENDED', entry_id }
