--[[
  Appends a command that adds risk (a place without clientOrderId, an amend that is not only a
  smaller quantity) to the symbol's stream, unless the stream holds maxBacklog entries or more:
  the bound check and the append are one atomic step. Streams are trimmed at the symbol's durable
  checkpoint, so their length is what is not durable yet (docs/pipeline.md, "Backlog"). Cancels
  are appended with a plain XADD: they are always taken.

  Input:
    KEYS[1] stream         {prefix}:orders:{SYMBOL}

    ARGV[1] maxBacklog     refuse at this many entries in the stream; 0: no bound
    ARGV[2], ARGV[3] ...   the entry's field/value pairs (src/streams/command-codec.ts)

  Output:
    {'APPENDED', entryId}      appended
    {'BACKLOGGED', length}     the stream holds `length` >= maxBacklog entries; nothing changed
  Errors, nothing changed:
    INVALID_ARGUMENT (a maxBacklog that is not an integer >= 0, or no complete field/value pair)
]]

if #ARGV < 3 or #ARGV % 2 == 0 then
  return redis.error_reply('INVALID_ARGUMENT expected maxBacklog and field/value pairs, got '
    .. #ARGV .. ' arguments')
end
local max_backlog = tonumber(ARGV[1])
if not string.match(ARGV[1], '^%d+$') or not max_backlog then
  return redis.error_reply('INVALID_ARGUMENT maxBacklog must be an integer >= 0, got ' .. ARGV[1])
end

if max_backlog > 0 then
  local length = redis.call('XLEN', KEYS[1])
  if length >= max_backlog then
    return { 'BACKLOGGED', tostring(length) }
  end
end

return { 'APPENDED', redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2)) }
