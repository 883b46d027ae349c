--[[
  Appends a place command to the symbol's stream unless the user already placed an order with the
  same clientOrderId on that symbol (docs/pipeline.md): the check, the record and the append are one
  atomic step, so concurrent repeats create exactly one order. Both keys carry the {SYMBOL} tag.

  The record is written after the append: a script that fails half-way keeps what it wrote, and an
  XADD refused (a key of the wrong type) must not leave a record that points at nothing.

  Input:
    KEYS[1] clientOrderId  {prefix}:coid:{SYMBOL}:u:ID:<clientOrderId>  -> the first order's id
    KEYS[2] stream         {prefix}:orders:{SYMBOL}

    ARGV[1] orderId        the new order's id
    ARGV[2], ARGV[3] ...   the entry's field/value pairs (src/streams/command-codec.ts)

  Output:
    {'APPENDED', entryId}      appended; the clientOrderId now names orderId for 24 hours
    {'DUPLICATE', orderId}     the clientOrderId already names an order (possibly this one, when a
                               call is repeated): its id; nothing appended
  Errors, nothing changed:
    INVALID_ARGUMENT (no orderId, or no complete field/value pair)
]]

local RECORD_SECONDS = 86400

if #ARGV < 3 or #ARGV % 2 == 0 or ARGV[1] == '' then
  return redis.error_reply('INVALID_ARGUMENT expected an orderId and field/value pairs, got '
    .. #ARGV .. ' arguments')
end

local first = redis.call('GET', KEYS[1])
if first then
  return { 'DUPLICATE', first }
end

local entry_id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[1], ARGV[1], 'EX', RECORD_SECONDS)
return { 'APPENDED', entry_id }
