--[[
  Renews a shard lease if this owner still holds it (compare-and-set): a lease that expired and was
  taken by another owner is never extended by the old one.

  KEYS[1] the lease key (ex:lease:{shard:N})
  ARGV[1] the owner's token
  ARGV[2] the new time to live, in milliseconds

  Output: 1 renewed, 0 not held (expired or owned by someone else)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
