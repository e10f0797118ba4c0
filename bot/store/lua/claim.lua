-- Take a delivery for one attempt of an operation, after the rate limits of its
-- buckets allow it. A job that may not run yet goes back to the due set with its due
-- time; no worker waits holding it.
-- publish: queued -> sending, or recover a delivery whose worker died (sending with an
--   expired lease -> ambiguous -> queued -> sending: its post may exist).
-- edit, retract: a live post's correction or retraction (state editing, retracting);
--   in flight while its lease lasts; a lost worker's attempt is simply made again (a
--   second edit or delete of the same post changes nothing).
-- KEYS[1] delivery  KEYS[2] article  KEYS[3] events  KEYS[4] work  KEYS[5] due
-- KEYS[6] the namespace's pause switch
-- KEYS[7..] per bucket: rate key (hash: tat, epoch), cooldown key
-- ARGV[1] entry id  ARGV[2] now ms  ARGV[3] lease ms  ARGV[4] consumer  ARGV[5] group
-- ARGV[6] article id  ARGV[7] channel  ARGV[8] crashes before failing
-- ARGV[9] operation: publish | edit | retract
-- ARGV[10..] per bucket: emission interval ms, burst tolerance ms, kind: 1 reserves
--   (the channel's own), 0 is only checked, b is only checked and not at all for a
--   breaking delivery (min_spacing)
-- Returns {1, attempt, article json, payload (the live or planned post), ambiguous_since
--   ms (0 = none), pending post (an edit's new post), cause (who or what asked),
--   remote id, sent at ms}
--      or {2, wait ms} (rescheduled) or {0, state} (nothing to do: job dropped).
local PAUSE_RECHECK_MS = 2000
local dkey, now = KEYS[1], tonumber(ARGV[2])
local aid, channel, op = ARGV[6], ARGV[7], ARGV[9]
local member = op .. ':' .. aid .. ':' .. channel
local function drop()
  redis.call('XACK', KEYS[4], ARGV[5], ARGV[1])
  redis.call('XDEL', KEYS[4], ARGV[1])
end
local function later(wait)
  redis.call('ZADD', KEYS[5], now + wait, member)
  drop()
  return {2, wait}
end

local cur = redis.call('HMGET', dkey, 'state', 'lease_until', 'attempt_started',
  'ambiguous_since', 'slot_at', 'breaking')
local state = cur[1]
local ambiguous_since = tonumber(cur[4]) or 0
local WANTED = {publish = 'queued', edit = 'editing', retract = 'retracting'}
if op ~= 'publish' then
  if state ~= WANTED[op] then
    drop()
    return {0, state or ''}
  end
  if (tonumber(cur[2]) or 0) >= now then return {0, state} end  -- in flight elsewhere
elseif state == 'sending' and (tonumber(cur[2]) or 0) < now then
  -- The worker holding it is gone; its call may have reached the platform.
  local crashes = redis.call('HINCRBY', dkey, 'crashes', 1)
  if crashes >= tonumber(ARGV[8]) then
    local why = 'its worker was lost ' .. crashes .. ' times during an attempt; giving up'
    redis.call('HSET', dkey, 'last_error', why, 'failure', 'unknown')
    move(dkey, KEYS[3], aid, channel, 'sending', 'failed', why, now, 'unknown')
    drop()
    return {0, 'failed'}
  end
  if ambiguous_since == 0 then ambiguous_since = tonumber(cur[3]) or now end
  redis.call('HSET', dkey, 'ambiguous_since', ambiguous_since)
  move(dkey, KEYS[3], aid, channel, 'sending', 'ambiguous', 'worker lost', now, '')
  move(dkey, KEYS[3], aid, channel, 'ambiguous', 'queued', '', now, '')
  state = 'queued'
end
if state == 'sending' then
  -- Its worker still holds a live lease (the reclaimer took the job early): leave the
  -- job pending; it comes back after another idle period, or its owner completes it.
  return {0, state}
end
if state ~= WANTED[op] then
  drop()
  return {0, state or ''}
end

-- Paused by the editors: no delivery starts; the job waits in the due set and is
-- looked at again shortly (ingest, approvals and retries of the schedule go on).
if redis.call('EXISTS', KEYS[6]) == 1 then return later(PAUSE_RECHECK_MS) end

-- Rate limits: GCRA per bucket. A cooldown (after a 429 or a usage warning) stops
-- everything; a reserving bucket (the channel's own) books the job's future slot so
-- a backlog leaves in order at the full rate; other buckets are only checked.
local keys, argv = KEYS, ARGV
if cur[6] == '1' then  -- a breaking delivery: its spacing buckets do not apply
  keys, argv = {KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]}, {}
  for i = 1, 9 do argv[i] = ARGV[i] end
  for i = 0, (#KEYS - 6) / 2 - 1 do
    if ARGV[12 + 3 * i] ~= 'b' then
      table.insert(keys, KEYS[7 + 2 * i]); table.insert(keys, KEYS[8 + 2 * i])
      for j = 10, 12 do table.insert(argv, ARGV[j + 3 * i]) end
    end
  end
end
local KEYS, ARGV = keys, argv  -- luacheck: ignore (the buckets below read these)
local nb = (#KEYS - 6) / 2
local wait = 0
for i = 0, nb - 1 do
  local cd = redis.call('PTTL', KEYS[8 + 2 * i])
  if cd > wait then wait = cd end
end
if wait > 0 then
  redis.call('HDEL', dkey, 'slot_at')
  return later(wait)
end
local tats, epochs = {}, {}
for i = 0, nb - 1 do
  local bucket = redis.call('HMGET', KEYS[7 + 2 * i], 'tat', 'epoch')
  epochs[i] = bucket[2] or '0'
  local tat = tonumber(bucket[1]) or now
  if tat < now then tat = now end
  tats[i] = tat
  local tau = tonumber(ARGV[11 + 3 * i])
  if ARGV[12 + 3 * i] ~= '1' and tat - tau > now then
    local w = tat - tau - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return later(wait) end
-- a booked slot is "<ms>@<epoch>"; a cooldown starts a new epoch, voiding older bookings
local booked = cur[5]
local function set_tat(i, tat, tau)
  redis.call('HSET', KEYS[7 + 2 * i], 'tat', tat)
  redis.call('PEXPIRE', KEYS[7 + 2 * i], math.floor(tat - now + tau + 3600000))
end
for i = 0, nb - 1 do  -- reserving buckets first: they may still send the job away
  local emission, tau = tonumber(ARGV[10 + 3 * i]), tonumber(ARGV[11 + 3 * i])
  if ARGV[12 + 3 * i] == '1' and booked ~= nil and booked ~= false then
    local epoch = string.match(booked, '@(.+)$')
    if epoch ~= epochs[i] then booked = nil end
  end
  if ARGV[12 + 3 * i] == '1' and not booked then
    local slot = math.max(tats[i] - tau, now)
    set_tat(i, math.max(tats[i], slot) + emission, tau)
    if slot > now then
      redis.call('HSET', dkey, 'slot_at', slot .. '@' .. epochs[i])
      return later(slot - now)
    end
  end
end
for i = 0, nb - 1 do
  if ARGV[12 + 3 * i] ~= '1' then
    set_tat(i, tats[i] + tonumber(ARGV[10 + 3 * i]), tonumber(ARGV[11 + 3 * i]))
  end
end

local attempt
redis.call('HDEL', dkey, 'slot_at')
redis.call('HSET', dkey, 'attempt_started', now, 'lease_until', now + tonumber(ARGV[3]),
  'worker', ARGV[4])
if op == 'publish' then
  attempt = redis.call('HINCRBY', dkey, 'attempts', 1)
  move(dkey, KEYS[3], aid, channel, 'queued', 'sending', 'attempt ' .. attempt, now, '')
else
  attempt = redis.call('HINCRBY', dkey, 'op_attempts', 1)
end
local extra = redis.call('HMGET', dkey, 'payload', 'pending_post', 'cause', 'remote_id',
  'sent_at')
return {1, attempt, redis.call('HGET', KEYS[2], 'json') or '', extra[1] or '',
  ambiguous_since, extra[2] or '', extra[3] or '', extra[4] or '', extra[5] or '0'}
