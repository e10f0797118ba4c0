-- The outcome of one attempt of an operation, compare-and-set on (state, attempt): a
-- worker whose attempt is no longer the current one changes nothing; a state the
-- machine does not allow is refused.
-- publish: sending -> sent | retry_wait | ambiguous | held | failed; a correction or a
--   retraction asked for while it was in flight follows at once.
-- edit: editing -> sent (edited; or failed for good: the post keeps its last version)
--   | editing (tried again later).
-- retract: retracting -> retracted | sent (impossible: the post stays) | retracting.
-- KEYS[1] delivery  KEYS[2] events  KEYS[3] work stream  KEYS[4] due
-- KEYS[5] cooldown key of the channel's bucket  KEYS[6] its rate key (both only when
--   ARGV[13] > 0; else two unused keys of the same slot)
-- ARGV[1] entry id  ARGV[2] now  ARGV[3] group  ARGV[4] article id  ARGV[5] channel
-- ARGV[6] new state  ARGV[7] post json (the post now live, when it changed)
-- ARGV[8] remote id  ARGV[9] remote url  ARGV[10] error  ARGV[11] next_at ms
-- ARGV[12] attempt  ARGV[13] pause ms for the channel's bucket (0 = none)
-- ARGV[14] note for history and events  ARGV[15] failure kind ('' = none)
-- ARGV[16] operation  ARGV[17] the published version ({by, text} json; '' = none)
-- ARGV[18] a worker whose next job is read here, as its XREADGROUP would ('' = none):
--   the outcome and the next read in one round trip while work waits (redis.call never
--   blocks: an empty stream answers nil, and the worker then blocks in its own read)
-- Returns {1 when recorded, 0 when stale or refused; the next job's entry id and its
--   job field, both '' when none was read}.
local function record()
  local pause = tonumber(ARGV[13])
  if pause > 0 and redis.call('PTTL', KEYS[5]) < pause then
    redis.call('SET', KEYS[5], ARGV[2], 'PX', pause)
    -- slots booked before the pause are void: the bucket restarts when it ends
    redis.call('HINCRBY', KEYS[6], 'epoch', 1)
    redis.call('HSET', KEYS[6], 'tat', tonumber(ARGV[2]) + pause)
  end
  local dkey, op = KEYS[1], ARGV[16]
  local IN_FLIGHT = {publish = 'sending', edit = 'editing', retract = 'retracting'}
  local COUNTER = {publish = 'attempts', edit = 'op_attempts', retract = 'op_attempts'}
  local cur = redis.call('HMGET', dkey, 'state', COUNTER[op], 'attempt_started',
    'ambiguous_since', 'lease_until')
  local current = cur[1] == IN_FLIGHT[op] and cur[2] == ARGV[12]
    and (op == 'publish' or (tonumber(cur[5]) or 0) > 0)
  -- A newer attempt of this delivery owns the same stream entry: leave it to that one.
  if ARGV[1] ~= '' and (current or cur[1] ~= IN_FLIGHT[op]) then
    redis.call('XACK', KEYS[3], ARGV[3], ARGV[1])
    redis.call('XDEL', KEYS[3], ARGV[1])
  end
  if not current then return 0 end
  local now, new, aid, channel = ARGV[2], ARGV[6], ARGV[4], ARGV[5]
  local note = ARGV[10]
  if note == '' then note = ARGV[14] end
  if not move(dkey, KEYS[2], aid, channel, cur[1], new, note, now, ARGV[15]) then return 0 end
  redis.call('HSET', dkey, 'lease_until', 0, 'failure', ARGV[15])
  if ARGV[7] ~= '' then redis.call('HSET', dkey, 'payload', ARGV[7]) end
  if ARGV[10] ~= '' then redis.call('HSET', dkey, 'last_error', ARGV[10]) end
  local function again(when, job_op)
    redis.call('HSET', dkey, 'next_at', when)
    redis.call('ZADD', KEYS[4], when, job_op .. ':' .. aid .. ':' .. channel)
  end
  local function follow_up()
    -- what was asked while the post was being made or changed goes out now
    if redis.call('HEXISTS', dkey, 'retract_requested') == 1 then
      redis.call('HDEL', dkey, 'retract_requested', 'pending_post')
      move(dkey, KEYS[2], aid, channel, 'sent', 'retracting', 'retraction asked meanwhile', now, '')
      redis.call('HSET', dkey, 'op_attempts', 0)
      again(now, 'retract')
    elseif redis.call('HGET', dkey, 'pending_mode') == 'edit' then
      redis.call('HDEL', dkey, 'pending_mode')
      move(dkey, KEYS[2], aid, channel, 'sent', 'editing', 'corrected meanwhile', now, '')
      redis.call('HSET', dkey, 'op_attempts', 0)
      again(now, 'edit')
    elseif redis.call('HGET', dkey, 'pending_mode') == 'approve' then
      emit(KEYS[2], 'edit_proposed', aid, channel, 'sent', 0,
        redis.call('HGET', dkey, 'cause') or '', now, '')
    end
  end
  if op == 'publish' then
    if new == 'sent' then
      redis.call('HSET', dkey, 'remote_id', ARGV[8], 'remote_url', ARGV[9], 'sent_at', now)
      redis.call('HDEL', dkey, 'ambiguous_since')
      add_version(dkey, now, ARGV[17])
      follow_up()
    elseif new == 'retry_wait' or new == 'ambiguous' then
      if new == 'ambiguous' and not cur[4] then
        -- the earliest attempt that may have posted: reconciliation looks from here
        redis.call('HSET', dkey, 'ambiguous_since', cur[3])
      end
      again(ARGV[11], 'publish')
    end
  elseif new == IN_FLIGHT[op] then  -- tried again later
    again(ARGV[11], op)
  else  -- done, or impossible: the operation is over
    redis.call('HSET', dkey, 'op_attempts', 0)
    if ARGV[15] == '' then add_version(dkey, now, ARGV[17]) end
    local pending = redis.call('HGET', dkey, 'pending_post')
    if op == 'edit' and new == 'sent' and pending and ARGV[7] ~= '' and pending ~= ARGV[7] then
      -- a newer correction came while this one was in flight: it goes out next
      move(dkey, KEYS[2], aid, channel, 'sent', 'editing', 'a newer correction', now, '')
      again(now, 'edit')
    else
      redis.call('HDEL', dkey, 'pending_post', 'pending_mode')
      if new == 'sent' then follow_up() end
    end
  end
  return 1
end

local recorded = record()
if ARGV[18] == '' then return {recorded, '', ''} end
local read = redis.call('XREADGROUP', 'GROUP', ARGV[3], ARGV[18], 'COUNT', 1,
  'STREAMS', KEYS[3], '>')
if not read then return {recorded, '', ''} end
local entry = read[1][2][1]
for i = 1, #entry[2], 2 do
  if entry[2][i] == 'job' then return {recorded, entry[1], entry[2][i + 1]} end
end
return {recorded, entry[1], ''}
