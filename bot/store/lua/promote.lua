-- Move due jobs to the work stream; retry_wait and ambiguous -> queued on the way, and
-- awaiting_approval -> queued once its approval deadline has passed. Edit and retract
-- jobs go while their delivery is still editing / retracting.
-- KEYS[1] due  KEYS[2] work stream  KEYS[3] events
-- ARGV[1] now ms  ARGV[2] batch size  ARGV[3] key prefix ("{ns}")
-- Delivery keys are built from the prefix exactly as bot/store/keys.py builds them.
-- Returns {jobs moved, ms until the next due job (-1 = none)}.
local now = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local moved = 0
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local op, aid, channel = string.match(member, '^([^:]+):([^:]+):(.+)$')
  local dkey = ARGV[3] .. ':delivery:' .. aid .. ':' .. channel
  local state = redis.call('HGET', dkey, 'state')
  if op ~= 'publish' then
    -- a correction or a retraction: it runs while the delivery still waits for it
    if (op == 'edit' and state == 'editing') or (op == 'retract' and state == 'retracting') then
      state = 'queued'
    else
      state = 'dropped'
    end
  elseif state == 'awaiting_approval' then
    -- an approval deadline (approval_timeout): nobody decided, so it goes out
    local by = tonumber(redis.call('HGET', dkey, 'approve_by')) or 0
    if by > 0 and by <= tonumber(now) then
      local why = 'no editor decided in time: published automatically'
      redis.call('HSET', dkey, 'decided_by', 'timeout')
      if move(dkey, KEYS[3], aid, channel, state, 'queued', why, now, '') then state = 'queued' end
    end
  elseif state == 'retry_wait' or state == 'ambiguous' then
    if move(dkey, KEYS[3], aid, channel, state, 'queued', '', now, '') then state = 'queued' end
  end
  -- anything not waiting to run (sent, cancelled...) was decided meanwhile: drop it
  if state == 'queued' then
    redis.call('XADD', KEYS[2], '*', 'job', member)
    moved = moved + 1
  end
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #nxt == 0 then return {moved, -1} end
return {moved, math.max(0, tonumber(nxt[2]) - tonumber(now))}
