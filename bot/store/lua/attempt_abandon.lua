-- A process that died with attempts in flight: its successor on the same machine knows
-- it is dead (bot/delivery/predecessors.py) and ends those attempts' leases now, so the
-- claim script treats each as it treats any expired attempt (ambiguous when its call may
-- have reached the platform) without waiting out the lease.
-- KEYS[1] delivery  ARGV[1] the dead process's consumer name  ARGV[2] now ms
local cur = redis.call('HMGET', KEYS[1], 'state', 'worker')
local live = {sending = true, editing = true, retracting = true}
if not live[cur[1]] or not cur[2] then return 0 end
local prefix = ARGV[1] .. '-'  -- its workers are <consumer>-<n> and <consumer>-reclaim
if string.sub(cur[2], 1, #prefix) ~= prefix then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', tonumber(ARGV[2]) - 1)
return 1
