-- sending -> sent | retry_wait | failed | queued (released): the outcome of one attempt.
-- Compare-and-set on (state, attempt): a worker whose attempt is no longer the
-- current one changes nothing.
-- KEYS[1] delivery  KEYS[2] events  KEYS[3] work stream  KEYS[4] due
-- ARGV[1] entry id  ARGV[2] now  ARGV[3] group  ARGV[4] article id  ARGV[5] channel
-- ARGV[6] new state  ARGV[7] payload  ARGV[8] remote id  ARGV[9] remote url
-- ARGV[10] error  ARGV[11] next_at ms  ARGV[12] attempt
-- Returns 1 when recorded, 0 when stale.
if ARGV[1] ~= '' then
  redis.call('XACK', KEYS[3], ARGV[3], ARGV[1])
  redis.call('XDEL', KEYS[3], ARGV[1])
end
local cur = redis.call('HMGET', KEYS[1], 'state', 'attempts')
if cur[1] ~= 'sending' or cur[2] ~= ARGV[12] then return 0 end
local now, new, aid, channel = ARGV[2], ARGV[6], ARGV[4], ARGV[5]
redis.call('HSET', KEYS[1], 'state', new, 'updated_at', now, 'lease_until', 0,
  'history', history_with(KEYS[1], now, new, ARGV[10]))
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'payload', ARGV[7]) end
if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'last_error', ARGV[10]) end
if new == 'sent' then
  redis.call('HSET', KEYS[1], 'remote_id', ARGV[8], 'remote_url', ARGV[9])
elseif new == 'retry_wait' or new == 'queued' then
  redis.call('HSET', KEYS[1], 'next_at', ARGV[11])
  redis.call('ZADD', KEYS[4], ARGV[11], 'publish:' .. aid .. ':' .. channel)
end
emit(KEYS[2], 'state', aid, channel, new, ARGV[12], ARGV[10], now)
return 1
