-- An editor's decision on one delivery, compare-and-set on its state.
-- KEYS[1] delivery  KEYS[2] events  KEYS[3] work  KEYS[4] due
-- ARGV[1] article id  ARGV[2] channel  ARGV[3] action  ARGV[4] now ms  ARGV[5] who
-- ARGV[6] action's value: publish_at ms (delay), payload json (edit), note
-- Returns {1, new state} or {0, current state ("" when there is no such delivery)}.
--
-- The actions below move only along bot/states.py's table (move() refuses the rest).
-- action      from                                         to
-- approve     awaiting_approval                            queued (now)
-- delay       awaiting_approval                            queued at ARGV[6]
-- skip        awaiting_approval                            cancelled
-- edit        awaiting_approval                            awaiting_approval, new payload
-- cancel      awaiting_approval queued retry_wait held     cancelled
-- retry       failed cancelled held                        queued (attempts from 0)
-- resend      held                                         queued (the Resend button)
-- confirm     held                                         sent (the editor saw the post)
-- deleted     sent                                         deleted (retracted on the platform)
-- edit_apply  sent with a proposed correction                editing (the correction goes out)
-- edit_keep   sent with a proposed correction                sent (the post stays as it is)
local dkey, now, action, who = KEYS[1], ARGV[4], ARGV[3], ARGV[5]
local aid, channel = ARGV[1], ARGV[2]
local member = 'publish:' .. aid .. ':' .. channel
local FROM = {
  approve = {awaiting_approval = true},
  delay = {awaiting_approval = true},
  skip = {awaiting_approval = true},
  edit = {awaiting_approval = true},
  cancel = {awaiting_approval = true, queued = true, retry_wait = true, held = true},
  retry = {failed = true, cancelled = true, held = true},
  resend = {held = true},
  confirm = {held = true},
  deleted = {sent = true},
  edit_apply = {sent = true},
  edit_keep = {sent = true},
}
local state = redis.call('HGET', dkey, 'state')
if not state or not FROM[action] or not FROM[action][state] then return {0, state or ''} end

if (action == 'edit_apply' or action == 'edit_keep')
    and redis.call('HGET', dkey, 'pending_mode') ~= 'approve' then
  return {0, state}  -- no correction waits for a decision
end
if action == 'edit_keep' then
  redis.call('HDEL', dkey, 'pending_post', 'pending_mode')
  redis.call('HSET', dkey, 'decided_by', who,
    'history', history_with(dkey, now, state, 'correction kept out by ' .. who))
  return {1, state}
end
local TO = {approve = 'queued', delay = 'queued', skip = 'cancelled', edit = state,
  cancel = 'cancelled', retry = 'queued', resend = 'queued', confirm = 'sent', deleted = 'deleted',
  edit_apply = 'editing'}
local to, note = TO[action], action .. ' by ' .. who
if not ALLOWED[state][to] then  -- move() refuses it, and says so in the events
  move(dkey, KEYS[2], aid, channel, state, to, note, now, '')
  return {0, state}
end
if action == 'approve' or action == 'retry' or action == 'resend' then
  if action ~= 'approve' then
    -- an editor's resend of a held delivery is a decision: do not hold it again
    redis.call('HSET', dkey, 'attempts', 0, 'crashes', 0)
    redis.call('HDEL', dkey, 'ambiguous_since')
  end
  redis.call('ZREM', KEYS[4], member)
  redis.call('XADD', KEYS[3], '*', 'job', member)
elseif action == 'delay' then
  redis.call('HSET', dkey, 'next_at', ARGV[6])
  redis.call('ZADD', KEYS[4], ARGV[6], member)
elseif action == 'skip' or action == 'cancel' then
  redis.call('ZREM', KEYS[4], member)
elseif action == 'edit' then
  redis.call('HSET', dkey, 'payload', ARGV[6], 'edited_by', who)
  -- the editors get the full approval time again to read the new text
  local wait = tonumber(redis.call('HGET', dkey, 'approval_ms')) or 0
  if wait > 0 then
    redis.call('HSET', dkey, 'approve_by', tonumber(now) + wait)
    redis.call('ZADD', KEYS[4], tonumber(now) + wait, member)
  end
elseif action == 'edit_apply' then
  redis.call('HDEL', dkey, 'pending_mode')
  redis.call('HSET', dkey, 'op_attempts', 0, 'cause', 'correction approved by ' .. who)
  redis.call('ZADD', KEYS[4], now, 'edit:' .. aid .. ':' .. channel)
elseif action == 'confirm' then
  redis.call('HSET', dkey, 'last_error', '', 'failure', '')
  redis.call('HDEL', dkey, 'ambiguous_since')
end
move(dkey, KEYS[2], aid, channel, state, to, note, now, '')
redis.call('HSET', dkey, 'decided_by', who)
return {1, to}
