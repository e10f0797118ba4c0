"""Redis as the delivery guarantee needs it (README "Delivery guarantee"): every state
change must survive a crash of Redis (append-only file, fsynced every second) and a
full Redis must refuse writes rather than drop a delivery's state (noeviction).

REDIS_SETTINGS is the one list of what newsbot requires: deploy/compose.yaml starts its
Redis with these (tests/bot/test_doctor.py compares them). On a cluster INFO and
CONFIG GET are sent to every master (redis-py's `target_nodes`; by default it asks one
node): the oldest version, the fullest master and the worst settings are judged, since a
newsroom lives on whichever master owns its slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from redis.exceptions import RedisError, ResponseError

from bot.doctor.model import Check, Level
from bot.store.client import RedisClient, RedisCluster

REDIS_SETTINGS = {
    "appendonly": "yes",  # every transition in the append-only file
    "appendfsync": "everysec",  # at most a second lost on a power cut ("always" is fine too)
    "maxmemory-policy": "noeviction",  # full: refuse writes, never evict a delivery's state
}
STRICTER_FSYNC = "always"
# XAUTOCLAIM, which takes over a dead worker's job, came in Redis 6.2.0
# (https://redis.io/docs/latest/commands/xautoclaim/).
MIN_VERSION = (6, 2)
FULL_SHARE = 0.8  # used_memory / maxmemory from which Redis is "nearly full"
_CONFIG_ADVICE = (
    "set it in redis.conf (or CONFIG SET {name} {value} then CONFIG REWRITE); "
    "deploy/compose.yaml shows the settings newsbot needs"
)


async def redis_checks(redis: RedisClient) -> list[Check]:
    """Version and memory, persistence, eviction."""
    every: dict[str, Any] = {}
    if isinstance(redis, RedisCluster):
        every = {"target_nodes": RedisCluster.PRIMARIES}
    try:
        servers = _nodes(await redis.info("server", **every))
        memories = _nodes(await redis.info("memory", **every))
    except RedisError as exc:
        text = f"Redis did not answer INFO ({type(exc).__name__})"
        return [Check("redis", Level.FAIL, text, "check that Redis runs and REDIS_URL")]
    found = [_version(s, m) for s, m in zip(servers, memories, strict=False)]
    checks = [_worst(found)]
    try:
        config: Any = await redis.config_get("*", **every)
    except ResponseError as exc:  # a managed Redis may rename or forbid CONFIG
        return [*checks, Check(
            "redis settings", Level.WARN, f"Redis refused CONFIG GET ({exc}): its persistence "
            "and eviction settings cannot be read",
            "check with your provider that appendonly is yes and maxmemory-policy noeviction",
        )]  # fmt: skip
    nodes = [{_text(k): _text(v) for k, v in node.items()} for node in _nodes(config)]
    return [*checks, _worst(map(_persistence, nodes)), _worst(map(_eviction, nodes))]


def _worst(checks: Iterable[Check]) -> Check:
    return max(checks, key=lambda c: list(Level).index(c.level))


def _version(server: dict[str, Any], memory: dict[str, Any]) -> Check:
    version = str(server.get("redis_version", "?"))
    try:
        numbers = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        numbers = (0, 0)
    if numbers < MIN_VERSION:
        return Check(
            "redis", Level.FAIL, f"Redis {version} is older than 6.2 (no XAUTOCLAIM)",
            "upgrade Redis to 6.2 or later (7 is what deploy/compose.yaml runs)",
        )  # fmt: skip
    used, limit = int(memory.get("used_memory", 0)), int(memory.get("maxmemory", 0))
    size = f"{used / 2**20:.1f} MiB used" + (f" of {limit / 2**20:.0f} MiB" if limit else "")
    detail = f"Redis {version} ({server.get('redis_mode', 'standalone')}), {size}"
    if limit and used >= limit * FULL_SHARE:
        return Check(
            "redis", Level.WARN, f"{detail}: {used / limit:.0%} full; at 100% it refuses "
            "every write", "raise maxmemory (README \"Production\": about 7.4 KiB per article)",
        )  # fmt: skip
    return Check("redis", Level.OK, detail)


def _persistence(values: dict[str, str]) -> Check:
    aof, fsync = values.get("appendonly", "?"), values.get("appendfsync", "?")
    save = values.get("save", "") or "off"
    detail = f"appendonly {aof}, appendfsync {fsync}, RDB snapshots: {save}"
    if aof != REDIS_SETTINGS["appendonly"]:
        return Check(
            "redis persistence", Level.FAIL, f"{detail}: a Redis crash loses every delivery "
            "state since the last snapshot",
            _CONFIG_ADVICE.format(name="appendonly", value="yes"),
        )  # fmt: skip
    if fsync not in (REDIS_SETTINGS["appendfsync"], STRICTER_FSYNC):
        return Check(
            "redis persistence", Level.WARN, f"{detail}: the OS decides when the file reaches "
            "the disk, a power cut may lose more than a second",
            _CONFIG_ADVICE.format(name="appendfsync", value="everysec"),
        )  # fmt: skip
    return Check("redis persistence", Level.OK, detail)


def _eviction(values: dict[str, str]) -> Check:
    policy = values.get("maxmemory-policy", "?")
    wanted = REDIS_SETTINGS["maxmemory-policy"]
    if policy != wanted:
        return Check(
            "redis eviction", Level.FAIL, f"maxmemory-policy {policy}: a full Redis would "
            "silently drop deliveries' state (a post lost, or posted twice)",
            _CONFIG_ADVICE.format(name="maxmemory-policy", value=wanted),
        )  # fmt: skip
    return Check("redis eviction", Level.OK, f"maxmemory-policy {policy}: full means refused")


def _nodes(answer: Any) -> list[dict[str, Any]]:
    """INFO's answer as one dict per node (a cluster client answers {node: info})."""
    if isinstance(answer, dict) and answer and all(isinstance(v, dict) for v in answer.values()):
        return list(answer.values())
    return [answer if isinstance(answer, dict) else {}]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
