-- Shared helpers, prepended to every script by bot/store.py.
-- All keys of a namespace share one hash tag, so keys built here from the
-- prefix live in the same cluster slot as the declared KEYS.

local function history_with(key, now, state, note)
  local raw = redis.call('HGET', key, 'history')
  local h = {}
  if raw then h = cjson.decode(raw) end
  table.insert(h, {tonumber(now), state, note or ''})
  -- keep the creation entry and the latest 49: a looping delivery cannot grow without bound
  if #h > 50 then table.remove(h, 2) end
  return cjson.encode(h)
end

local function emit(events, kind, aid, channel, state, attempt, note, now)
  redis.call('XADD', events, 'MAXLEN', '~', 100000, '*',
    'type', kind, 'article_id', aid, 'channel', channel, 'state', state,
    'attempt', tostring(attempt), 'note', note or '', 'at', now)
end
