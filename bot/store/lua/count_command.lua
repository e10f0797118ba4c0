-- An editor's commands in the current minute, this one included (the flood limit,
-- bot/store/editors.py): the minute starts with the first command. One script, not
-- MULTI/EXEC: redis-py's cluster client runs a transaction's commands on a side thread
-- with its own event loop, which breaks its connections after a failover.
-- KEYS[1] the editor's counter  ARGV[1] how long the minute lasts, seconds
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
