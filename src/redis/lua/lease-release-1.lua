--[[
  Releases a shard lease if this owner still holds it (compare-and-delete), so that releasing late
  never frees a lease another owner has taken since.

  KEYS[1] the lease key (ex:lease:{shard:N})
  ARGV[1] the owner's token

  Output: 1 released, 0 not held
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
