-- queued -> sending: a worker takes a delivery before calling the platform.
-- KEYS[1] delivery  KEYS[2] article  KEYS[3] events  KEYS[4] work stream
-- ARGV[1] stream entry id  ARGV[2] now ms  ARGV[3] lease ms  ARGV[4] consumer
-- ARGV[5] group  ARGV[6] article id  ARGV[7] channel
-- Returns {1, attempt, article json, stored payload} or {0, current state} (job dropped).
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' then
  redis.call('XACK', KEYS[4], ARGV[5], ARGV[1])
  redis.call('XDEL', KEYS[4], ARGV[1])
  return {0, state or ''}
end
local now = ARGV[2]
local attempt = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'state', 'sending', 'updated_at', now,
  'lease_until', tonumber(now) + tonumber(ARGV[3]), 'worker', ARGV[4],
  'history', history_with(KEYS[1], now, 'sending', 'attempt ' .. attempt))
emit(KEYS[3], 'state', ARGV[6], ARGV[7], 'sending', attempt, '', now)
return {1, attempt, redis.call('HGET', KEYS[2], 'json') or '',
  redis.call('HGET', KEYS[1], 'payload') or ''}
