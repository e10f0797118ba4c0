-- Record an article and plan one delivery per channel, once, each with its rendering;
-- or, for a known article whose content changed, correct what is planned or posted.
-- KEYS[1] article  KEYS[2] articles index  KEYS[3] events  KEYS[4] work stream
-- KEYS[5] due set  KEYS[5+i] delivery key of the i-th channel
-- ARGV[1] article id  ARGV[2] article json  ARGV[3] content hash  ARGV[4] now ms
-- ARGV[5] deliver (1), only remember (0), or deliver even an article remembered
--   without deliveries (2: an editor's /post of a feed's backfilled item)
-- ARGV[6] canonical url  ARGV[7] cause (what brought it: "feed x", "push", "/refresh by y")
-- ARGV[8] routing: JSON {channel: [chosen, reason]} for every channel looked at ("" = none)
-- ARGV[9..] one JSON object per channel: {ch, post (the rendering, "" when it failed;
--   for a posted delivery, rendered like the live post), approval (null, or ms to wait
--   for an editor, 0 = forever), on_update ("edit" | "approve" | "ignore"),
--   not_before (ms: not earlier; 0 = now), wait (why it waits, for /queue), breaking
--   (true: skips the channel's min_spacing), spacing (the channel's min_spacing, ms)}
-- KEYS[5+n+i] the i-th channel's spacing slot (n channels): when its last post is planned
-- Returns {outcome}: new | duplicate | updated | known
local aid, now = ARGV[1], ARGV[4]
local old_hash = redis.call('HGET', KEYS[1], 'hash')
local replan = ARGV[5] == '2' and redis.call('HGET', KEYS[1], 'delivered') == '0'
local function spec(i) return cjson.decode(ARGV[i]), KEYS[5 + i - 8] end

if old_hash and not replan then
  if old_hash == ARGV[3] then return {'duplicate'} end
  -- The same article with new content is an update, never a new post: deliveries that
  -- have not started take the new rendering; posted ones are corrected in place (or the
  -- correction is proposed to the editors), per channel.
  redis.call('HSET', KEYS[1], 'json', ARGV[2], 'hash', ARGV[3], 'updated_at', now)
  for i = 9, #ARGV do
    local c, dkey = spec(i)
    local state = redis.call('HGET', dkey, 'state')
    local edited = redis.call('HEXISTS', dkey, 'edited_by') == 1  -- an editor's text stays
    local mode = c['on_update']
    if c['post'] == '' or edited then  -- nothing to change
    elseif state == 'queued' or state == 'retry_wait' or state == 'awaiting_approval' then
      redis.call('HSET', dkey, 'payload', c['post'])
    elseif mode ~= 'ignore' and (state == 'sent' or state == 'editing' or state == 'sending') then
      redis.call('HSET', dkey, 'pending_post', c['post'], 'cause', ARGV[7])
      if mode == 'approve' then
        redis.call('HSET', dkey, 'pending_mode', 'approve')
        if state ~= 'sending' then
          emit(KEYS[3], 'edit_proposed', aid, c['ch'], state, 0, ARGV[7], now, '')
        end
      elseif state == 'sending' then
        redis.call('HSET', dkey, 'pending_mode', 'edit')  -- complete.lua follows up
      elseif state == 'sent' then
        redis.call('HSET', dkey, 'op_attempts', 0)
        move(dkey, KEYS[3], aid, c['ch'], 'sent', 'editing', 'corrected: ' .. ARGV[7], now, '')
        redis.call('ZADD', KEYS[5], now, 'edit:' .. aid .. ':' .. c['ch'])
      end  -- editing: the newer pending post goes out when the edit in flight ends
    end
  end
  emit(KEYS[3], 'article_updated', aid, '', '', 0, ARGV[7], now, '')
  return {'updated'}
end
local channels = {}
for i = 9, #ARGV do table.insert(channels, cjson.decode(ARGV[i])['ch']) end
local deliver = ARGV[5] ~= '0'
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'hash', ARGV[3], 'url', ARGV[6],
  'first_seen', now, 'delivered', deliver and '1' or '0', 'channels', table.concat(channels, ','))
redis.call('ZADD', KEYS[2], now, aid)
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'routes', ARGV[8]) end
if not deliver then
  emit(KEYS[3], 'article_known', aid, '', '', 0, 'backfill', now, '')
  return {'known'}
end
for i = 9, #ARGV do
  local c, dkey = spec(i)
  local member = 'publish:' .. aid .. ':' .. c['ch']
  local state = 'queued'
  if c['approval'] ~= nil and c['approval'] ~= cjson.null then state = 'awaiting_approval' end
  local from = redis.call('HGET', dkey, 'state') or ''
  if move(dkey, KEYS[3], aid, c['ch'], from, state, c['wait'] or '', now, '') then
    local at = math.max(tonumber(c['not_before']) or 0, tonumber(now))
    local wait = c['wait'] or ''
    local spacing = tonumber(c['spacing']) or 0
    if spacing > 0 and state == 'queued' and not c['breaking'] then
      -- min_spacing: each post of the channel is planned after the one before it, so a
      -- burst leaves in order, spaced (claim.lua checks the spacing again when sending)
      local skey = KEYS[5 + (#ARGV - 8) + (i - 8)]
      local last = tonumber(redis.call('GET', skey) or '0')
      if last + spacing > at then
        at = last + spacing
        if wait == '' then wait = 'spacing' end
      end
      redis.call('SET', skey, at, 'PX', math.floor(at - tonumber(now) + spacing + 60000))
    end
    redis.call('HSET', dkey, 'attempts', 0, 'created_at', now, 'next_at', at)
    if c['post'] ~= '' then redis.call('HSET', dkey, 'payload', c['post']) end
    if wait ~= '' then redis.call('HSET', dkey, 'wait', wait) end
    if c['breaking'] then redis.call('HSET', dkey, 'breaking', '1') end
    if state == 'queued' and at <= tonumber(now) then
      -- due now: straight to the work stream, no promoter hop on the hot path
      redis.call('XADD', KEYS[4], '*', 'job', member)
    elseif state == 'queued' then
      redis.call('ZADD', KEYS[5], at, member)  -- embargo, delay, quiet hours, spacing
    elseif tonumber(c['approval']) > 0 then
      local by = tonumber(now) + tonumber(c['approval'])
      redis.call('HSET', dkey, 'approve_by', by, 'approval_ms', c['approval'])
      redis.call('ZADD', KEYS[5], by, member)
    end
  end
end
return {'new'}
