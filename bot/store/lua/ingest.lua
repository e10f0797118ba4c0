-- Record an article and plan one delivery per channel, once, each with its rendering.
-- KEYS[1] article  KEYS[2] articles index  KEYS[3] events  KEYS[4] work stream
-- KEYS[4+i] delivery key of the i-th channel, then the due set
-- ARGV[1] article id  ARGV[2] article json  ARGV[3] content hash  ARGV[4] now ms
-- ARGV[5] deliver (1), only remember (0), or deliver even an article remembered
--   without deliveries (2: an editor's /post of a feed's backfilled item)
-- ARGV[6] canonical url
-- ARGV[7..] triples: channel id, rendered payload ("" when rendering failed),
--   approval: "" none, else ms to wait for an editor before publishing ("0" = forever)
-- Returns {outcome}: new | duplicate | updated | known
local aid, now = ARGV[1], ARGV[4]
local old_hash = redis.call('HGET', KEYS[1], 'hash')
local replan = ARGV[5] == '2' and redis.call('HGET', KEYS[1], 'delivered') == '0'
if old_hash and not replan then
  if old_hash == ARGV[3] then return {'duplicate'} end
  -- The same article with new content is an update, never a new post: deliveries
  -- that have not started take the new rendering.
  redis.call('HSET', KEYS[1], 'json', ARGV[2], 'hash', ARGV[3], 'updated_at', now)
  for i = 7, #ARGV, 3 do
    local dkey = KEYS[4 + (i - 4) / 3]
    local state = redis.call('HGET', dkey, 'state')
    local edited = redis.call('HEXISTS', dkey, 'edited_by') == 1  -- an editor's text stays
    if ARGV[i + 1] ~= '' and not edited and (state == 'queued' or state == 'retry_wait'
        or state == 'awaiting_approval') then
      redis.call('HSET', dkey, 'payload', ARGV[i + 1])
    end
  end
  emit(KEYS[3], 'article_updated', aid, '', '', 0, '', now, '')
  return {'updated'}
end
local channels = {}
for i = 7, #ARGV, 3 do table.insert(channels, ARGV[i]) end
local deliver = ARGV[5] ~= '0'
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'hash', ARGV[3], 'url', ARGV[6],
  'first_seen', now, 'delivered', deliver and '1' or '0', 'channels', table.concat(channels, ','))
redis.call('ZADD', KEYS[2], now, aid)
if not deliver then
  emit(KEYS[3], 'article_known', aid, '', '', 0, 'backfill', now, '')
  return {'known'}
end
for i = 7, #ARGV, 3 do
  local channel, dkey = ARGV[i], KEYS[4 + (i - 4) / 3]
  local member = 'publish:' .. aid .. ':' .. channel
  local state = 'queued'
  if ARGV[i + 2] ~= '' then state = 'awaiting_approval' end
  local from = redis.call('HGET', dkey, 'state') or ''
  if move(dkey, KEYS[3], aid, channel, from, state, '', now, '') then
    redis.call('HSET', dkey, 'attempts', 0, 'created_at', now, 'next_at', now)
    if ARGV[i + 1] ~= '' then redis.call('HSET', dkey, 'payload', ARGV[i + 1]) end
    if state == 'queued' then
      -- due now: straight to the work stream, no promoter hop on the hot path
      redis.call('XADD', KEYS[4], '*', 'job', member)
    elseif tonumber(ARGV[i + 2]) > 0 then
      local by = tonumber(now) + tonumber(ARGV[i + 2])
      redis.call('HSET', dkey, 'approve_by', by, 'approval_ms', ARGV[i + 2])
      redis.call('ZADD', KEYS[5 + (#ARGV - 6) / 3], by, member)
    end
  end
end
return {'new'}
