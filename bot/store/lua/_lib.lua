-- Shared helpers, prepended to every delivery script by bot/store/store.py.
-- All keys of a namespace share one hash tag, so keys built here from the
-- prefix live in the same cluster slot as the declared KEYS.

-- The state machine: from -> the states it may move to. It mirrors TRANSITIONS in
-- bot/states.py (a test checks that they agree); '' is a delivery not created yet.
local ALLOWED = {
  [''] = {queued = true, awaiting_approval = true},
  awaiting_approval = {queued = true, cancelled = true, awaiting_approval = true},
  queued = {sending = true, cancelled = true},
  sending = {sent = true, retry_wait = true, ambiguous = true, held = true, failed = true,
    queued = true},
  retry_wait = {queued = true, cancelled = true},
  ambiguous = {queued = true, cancelled = true},
  held = {queued = true, sent = true, cancelled = true},
  failed = {queued = true},
  cancelled = {queued = true},
  sent = {deleted = true, editing = true, retracting = true},
  editing = {sent = true, editing = true, retracting = true},
  retracting = {retracted = true, sent = true, retracting = true},
  deleted = {},
  retracted = {},
}

local function history_with(key, now, state, note)
  local raw = redis.call('HGET', key, 'history')
  local h = {}
  if raw then h = cjson.decode(raw) end
  table.insert(h, {tonumber(now), state, note or ''})
  -- keep the creation entry and the latest 49: a looping delivery cannot grow without bound
  if #h > 50 then table.remove(h, 2) end
  return cjson.encode(h)
end

-- One record of the events stream; its schema is bot/events.py's Event.
local function emit(events, kind, aid, channel, state, attempt, note, now, failure)
  redis.call('XADD', events, 'MAXLEN', '~', 100000, '*',
    'type', kind, 'article_id', aid, 'channel', channel, 'state', state,
    'attempt', tostring(attempt), 'note', note or '', 'at', now, 'failure', failure or '',
    'feed', '')
end

-- Append a published version (the first post, each edit, the retraction) to the
-- delivery's `versions`: {v, at, by, text}, the latest 20 kept.
local function add_version(dkey, now, entry)
  if entry == nil or entry == '' then return end
  local raw = redis.call('HGET', dkey, 'versions')
  local list = {}
  if raw then list = cjson.decode(raw) end
  local item = cjson.decode(entry)
  item['v'] = (tonumber(redis.call('HGET', dkey, 'version')) or 0) + 1
  item['at'] = tonumber(now)
  redis.call('HSET', dkey, 'version', item['v'])
  table.insert(list, item)
  if #list > 20 then table.remove(list, 2) end  -- the first version always stays
  redis.call('HSET', dkey, 'versions', cjson.encode(list))
end

-- Move the delivery at dkey from `from` to `to` (the caller has read `from`), with a
-- history line and a state event; refused (false, and a `refused` event) when the state
-- machine does not allow it. `failure` is a FailureKind value or ''.
local function move(dkey, events, aid, channel, from, to, note, now, failure)
  if not ALLOWED[from or ''] or not ALLOWED[from or ''][to] then
    emit(events, 'refused', aid, channel, to, redis.call('HGET', dkey, 'attempts') or 0,
      'not allowed from ' .. (from or 'nothing') .. ' to ' .. to, now, '')
    return false
  end
  redis.call('HSET', dkey, 'state', to, 'updated_at', now,
    'history', history_with(dkey, now, to, note))
  emit(events, 'state', aid, channel, to, redis.call('HGET', dkey, 'attempts') or 0, note, now,
    failure)
  return true
end
