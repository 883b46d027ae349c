--[[
  Moves a consumer group's last-delivered id: the matcher's read mark (docs/pipeline.md, "Reading").
  A script only so that the stream is its key: ioredis finds no key in XGROUP, so on a Cluster a
  plain XGROUP SETID in a batch reaches a random master and fails with MOVED on the others.

  Input:
    KEYS[1] stream    {prefix}:orders:{SYMBOL}

    ARGV[1] group     the group's name (matchers)
    ARGV[2] entryId   the new last-delivered id

  Output:
    'OK'
  Errors, nothing changed:
    those of XGROUP SETID: no such stream, NOGROUP (no such group), WRONGTYPE
]]

return redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], ARGV[2])
