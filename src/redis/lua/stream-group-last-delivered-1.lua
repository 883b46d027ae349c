--[[
  A consumer group's last-delivered id, from XINFO GROUPS reduced in place to the one field the
  matcher needs (where a takeover's replay ends). A script only so that the stream is its key:
  ioredis finds no key in XINFO, so a Cluster client would send it to a random node and follow the
  MOVED, refreshing its whole slot table each time.

  Input:
    KEYS[1] stream    {prefix}:orders:{SYMBOL}

    ARGV[1] group     the group's name (matchers)

  Output:
    id       the group's last-delivered id
    '0-0'    the stream has no such group
  Errors:
    those of XINFO GROUPS: no such key, WRONGTYPE
]]

local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
for _, group in ipairs(groups) do
  local name, last_delivered
  for i = 1, #group - 1, 2 do
    if group[i] == 'name' then
      name = group[i + 1]
    elseif group[i] == 'last-delivered-id' then
      last_delivered = group[i + 1]
    end
  end
  if name == ARGV[1] then
    return last_delivered
  end
end
return '0-0'
