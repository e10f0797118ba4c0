-- Take an article's delivery down (an editor's /retract, a push "unpublished", a page
-- gone): a live post is retracted by the engine (op retract: deleted, or replaced by
-- the retraction notice); what has not been sent is cancelled; a post in flight is
-- retracted as soon as its attempt ends.
-- KEYS[1] delivery  KEYS[2] events  KEYS[3] due
-- ARGV[1] article id  ARGV[2] channel  ARGV[3] now ms  ARGV[4] who and why
-- Returns {1, the state now} or {0, the state it stays in}.
local dkey, aid, channel, now, why = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local cur = redis.call('HMGET', dkey, 'state', 'lease_until')
local state = cur[1]
if not state then return {0, ''} end
local in_flight = (tonumber(cur[2]) or 0) >= tonumber(now)
redis.call('HSET', dkey, 'cause', why)
if state == 'sending' or (state == 'editing' and in_flight) then
  redis.call('HSET', dkey, 'retract_requested', 1)  -- complete.lua follows up
  return {1, state}
end
if state == 'sent' or state == 'editing' then
  redis.call('HDEL', dkey, 'pending_post', 'pending_mode')
  redis.call('HSET', dkey, 'op_attempts', 0, 'lease_until', 0)
  move(dkey, KEYS[2], aid, channel, state, 'retracting', why, now, '')
  redis.call('ZADD', KEYS[3], now, 'retract:' .. aid .. ':' .. channel)
  return {1, 'retracting'}
end
local WAITING = {awaiting_approval = true, queued = true, retry_wait = true, held = true,
  ambiguous = true}
if WAITING[state] then
  redis.call('ZREM', KEYS[3], 'publish:' .. aid .. ':' .. channel)
  move(dkey, KEYS[2], aid, channel, state, 'cancelled', why, now, '')
  return {1, 'cancelled'}
end
return {0, state}
