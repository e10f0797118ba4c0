-- An attempt in flight keeps its lease: its worker renews it while the platform call
-- runs, so only a worker that is gone loses its delivery (one short lease after its last
-- renewal). The job's stream entry is claimed again by the same worker, which resets its
-- idle time: the reclaimer, looking for entries idle longer than a lease, finds the job
-- as soon as the lease has run out, not a lease after it was first read.
-- KEYS[1] delivery  KEYS[2] work stream
-- ARGV[1] worker  ARGV[2] attempt_started ms  ARGV[3] lease_until ms  ARGV[4] group
-- ARGV[5] entry id
local cur = redis.call('HMGET', KEYS[1], 'state', 'worker', 'attempt_started')
local live = {sending = true, editing = true, retracting = true}
if not live[cur[1]] or cur[2] ~= ARGV[1] or cur[3] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', ARGV[3])
redis.call('XCLAIM', KEYS[2], ARGV[4], ARGV[1], 0, ARGV[5], 'JUSTID')
return 1
