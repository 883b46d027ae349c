--[[
  Seeds the market registry at first start (docs/pipeline.md, "Markets"): only when it is empty,
  so that two processes starting together seed it once and an operator's later changes are never
  overwritten by config/markets.json.

  Input:
    KEYS[1] markets   {prefix}:{markets}          hash SYMBOL -> JSON MarketDefinition
    KEYS[2] version   {prefix}:{markets}:version  counter, bumped on every change
    (both tagged {markets}: one slot on a Redis Cluster)

    ARGV[1] channel   {prefix}:markets:changed  told each seeded symbol
    ARGV[2], ARGV[3] ...  symbol, definition JSON, for each market to seed

  Output:
    n      the number of markets seeded (0 when the registry already held any)
  Errors, nothing changed:
    INVALID_ARGUMENT (no channel, or a symbol without its definition)
]]

if #ARGV < 1 or #ARGV % 2 == 0 then
  return redis.error_reply('INVALID_ARGUMENT expected a channel and symbol/definition pairs, got '
    .. #ARGV .. ' arguments')
end

if redis.call('EXISTS', KEYS[1]) == 1 or #ARGV == 1 then
  return 0
end

redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('INCR', KEYS[2])
for i = 2, #ARGV, 2 do
  redis.call('PUBLISH', ARGV[1], ARGV[i])
end
return (#ARGV - 1) / 2
