--[[
  Creates a consumer group on a stream, and the stream itself when it does not exist yet, unless the
  group exists: XGROUP CREATE ... MKSTREAM with BUSYGROUP as a normal outcome. A script only so that
  the stream is its key: ioredis finds no key in XGROUP, so a Cluster client would send it to a random
  node and follow the MOVED (docs/redis-cluster.md, section 1).

  Input:
    KEYS[1] stream    {prefix}:orders:{SYMBOL}

    ARGV[1] group     the group's name (matchers)
    ARGV[2] startId   the group's last-delivered id when created ('0': the start of the stream)

  Output:
    1      created
    0      the group already existed; nothing changed
  Errors, nothing changed:
    any other error of XGROUP CREATE (WRONGTYPE: the key is not a stream)
]]

local reply = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
if type(reply) == 'table' and reply.err then
  if string.find(reply.err, 'BUSYGROUP', 1, true) then
    return 0
  end
  return redis.error_reply(reply.err)
end
return 1
