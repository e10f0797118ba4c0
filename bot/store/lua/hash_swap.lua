-- Compare-and-set on a whole hash (bot/store/websub.py): write the new fields (or
-- replace the hash) only if it still holds exactly what the caller read: what
-- WATCH/MULTI did, without a transaction (see count_command.lua for why).
-- KEYS[1] the hash
-- ARGV[1] what the caller read, a JSON object ('' = write whatever it holds)
-- ARGV[2] '1': replace the hash, '0': update it
-- ARGV[3..] field, value pairs to write
-- Returns 1 when written, 0 when the hash changed meanwhile.
if ARGV[1] ~= '' then
  local seen = cjson.decode(ARGV[1])
  local now = redis.call('HGETALL', KEYS[1])
  local n = 0
  for _ in pairs(seen) do n = n + 1 end
  if #now / 2 ~= n then return 0 end
  for i = 1, #now, 2 do
    if seen[now[i]] ~= now[i + 1] then return 0 end
  end
end
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
return 1
