-- One process's metric increments and its heartbeat, all or nothing
-- (bot/store/metrics.py); a script rather than MULTI/EXEC (see count_command.lua).
-- KEYS[1] the counters hash  KEYS[2] the processes hash
-- ARGV[1] the process  ARGV[2] when it flushed (ms)  ARGV[3] how many counts follow
-- ARGV[4..] name, integer count pairs, then name, float sum pairs
local i = 4
for _ = 1, tonumber(ARGV[3]) do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i < #ARGV do
  redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
