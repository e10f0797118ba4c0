"""The Redis client the store and the leader lease are given: a plain client (one
server by URL, or the master Sentinel names) or a cluster client. Both run every
command the store sends: each script and each MULTI/EXEC touches keys of one
`{namespace}` slot only (bot/store/keys.py), which a cluster needs; redis-py routes an
EVALSHA by its first key and loads a script on every master after NOSCRIPT
(https://redis.readthedocs.io/en/stable/lua_scripting.html#cluster-mode), and runs a
transaction on one slot's master since 6.2
(https://github.com/redis/redis-py/releases/tag/v6.2.0)."""

from __future__ import annotations

from typing import TypeAlias

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

RedisClient: TypeAlias = Redis | RedisCluster

__all__ = ["Redis", "RedisClient", "RedisCluster"]
