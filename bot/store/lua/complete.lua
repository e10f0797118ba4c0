-- The outcome of one attempt: sending -> sent | retry_wait | ambiguous | held | failed.
-- Compare-and-set on (state, attempt): a worker whose attempt is no longer the current
-- one changes nothing; a state the machine does not allow from sending is refused.
-- KEYS[1] delivery  KEYS[2] events  KEYS[3] work stream  KEYS[4] due
-- KEYS[5] cooldown key of the channel's bucket  KEYS[6] its rate key (both only when
--   ARGV[13] > 0; else two unused keys of the same slot)
-- ARGV[1] entry id  ARGV[2] now  ARGV[3] group  ARGV[4] article id  ARGV[5] channel
-- ARGV[6] new state  ARGV[7] post json  ARGV[8] remote id  ARGV[9] remote url
-- ARGV[10] error  ARGV[11] next_at ms  ARGV[12] attempt  ARGV[13] pause ms for the
-- channel's bucket (0 = none)  ARGV[14] note for history and events
-- ARGV[15] failure kind ('' = none)
-- Returns 1 when recorded, 0 when stale or refused.
local pause = tonumber(ARGV[13])
if pause > 0 and redis.call('PTTL', KEYS[5]) < pause then
  redis.call('SET', KEYS[5], ARGV[2], 'PX', pause)
  -- slots booked before the pause are void: the bucket restarts when it ends
  redis.call('HINCRBY', KEYS[6], 'epoch', 1)
  redis.call('HSET', KEYS[6], 'tat', tonumber(ARGV[2]) + pause)
end
local dkey = KEYS[1]
local cur = redis.call('HMGET', dkey, 'state', 'attempts', 'attempt_started', 'ambiguous_since')
local current = cur[1] == 'sending' and cur[2] == ARGV[12]
-- A newer attempt of this delivery owns the same stream entry: leave it to that one.
if ARGV[1] ~= '' and (current or cur[1] ~= 'sending') then
  redis.call('XACK', KEYS[3], ARGV[3], ARGV[1])
  redis.call('XDEL', KEYS[3], ARGV[1])
end
if not current then return 0 end
local now, new, aid, channel = ARGV[2], ARGV[6], ARGV[4], ARGV[5]
local note = ARGV[10]
if note == '' then note = ARGV[14] end
if not move(dkey, KEYS[2], aid, channel, 'sending', new, note, now, ARGV[15]) then return 0 end
redis.call('HSET', dkey, 'lease_until', 0, 'failure', ARGV[15])
if ARGV[7] ~= '' then redis.call('HSET', dkey, 'payload', ARGV[7]) end
if ARGV[10] ~= '' then redis.call('HSET', dkey, 'last_error', ARGV[10]) end
if new == 'sent' then
  redis.call('HSET', dkey, 'remote_id', ARGV[8], 'remote_url', ARGV[9])
  redis.call('HDEL', dkey, 'ambiguous_since')
elseif new == 'retry_wait' or new == 'ambiguous' then
  if new == 'ambiguous' and not cur[4] then
    -- the earliest attempt that may have posted: reconciliation looks from here
    redis.call('HSET', dkey, 'ambiguous_since', cur[3])
  end
  redis.call('HSET', dkey, 'next_at', ARGV[11])
  redis.call('ZADD', KEYS[4], ARGV[11], 'publish:' .. aid .. ':' .. channel)
end
return 1
