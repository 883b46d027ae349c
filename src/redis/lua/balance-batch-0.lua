--[[
  A batch of the matcher's holds, settlements and releases in one call, run in the order given,
  each exactly as its own script would run it (hold-2.lua, settle-3.lua, release-3.lua: the same
  functions, includes/matcher-ops.lua). One operation's error does not stop the others, as in a
  pipeline of the single scripts: it is that operation's reply. One Redis only: the keys span
  users, so they are passed in ARGV (a Cluster's matcher pipelines the single scripts instead).

  Input: ARGV is a sequence of operations, each an opcode followed by its operands:
    H balances holds orderId asset amount                                        hold-2.lua
    S balances holds cursor symbol position orderId spentAsset spent
      receivedAsset received fee                                                 settle-3.lua
    R balances holds cursor symbol position orderId amount                       release-3.lua

  Output:
    one reply per operation, in order: the single script's reply, or {'ERROR', '<CODE> <message>'}
    for its error reply (nothing of that operation changed, as with the single script)
  Errors, nothing changed:
    INVALID_ARGUMENT (an unknown opcode, or an operation cut short), found before any operation runs
]]
--- @include "amounts"
--- @include "arguments"
--- @include "holds"
--- @include "matcher-ops"

local OPERATIONS = { H = { hold_op, 5 }, S = { settle_op, 11 }, R = { release_op, 7 } }

local i, count = 1, 0
while i <= #ARGV do
  local operation = OPERATIONS[ARGV[i]]
  count = count + 1
  if not operation then
    return redis.error_reply('INVALID_ARGUMENT operation ' .. count .. ': unknown opcode ' .. ARGV[i])
  end
  if i + operation[2] > #ARGV then
    return redis.error_reply('INVALID_ARGUMENT operation ' .. count .. ' (' .. ARGV[i] .. ') is cut short')
  end
  i = i + 1 + operation[2]
end

local replies = {}
i = 1
while i <= #ARGV do
  local operation = OPERATIONS[ARGV[i]]
  local ok, reply = pcall(operation[1], unpack(ARGV, i + 1, i + operation[2]))
  if ok then
    replies[#replies + 1] = reply
  else
    -- `fail` raises { err = 'CODE message' }; a failed redis.call raises its error reply too.
    local message = type(reply) == 'table' and reply.err or tostring(reply)
    replies[#replies + 1] = { 'ERROR', message }
  end
  i = i + 1 + operation[2]
end
return replies
