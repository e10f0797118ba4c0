"""Choosing and opening the Redis (bot/infra/redis_connect.py) and confirming writes
on replicas (bot/store/replication.py), without a cluster: bad settings end in one
sentence that names the setting and holds no password; a server without replicas
leaves WAIT off by default and reports a shortfall when it is asked for anyway.
The real cluster and Sentinel are in tests/cluster/."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from bot.app import open_app
from bot.infra.logging import Redactor
from bot.infra.redis_connect import address_list, connect
from bot.infra.redis_embedded import EmbeddedRedis
from bot.settings import ConfigError, Settings, load
from bot.store import Keys
from bot.store.replication import Replication
from sandbox import Sandbox
from tests.bot.test_pipeline import ENV
from tests.conftest import make_config

SECRET = "s3cret-Password-0123"
SENTINEL_SECRET = "sentinel-Secret-4567"


def settings(**values: Any) -> Settings:
    return load(Settings, _env_file=None, **values)


def closed_port() -> int:
    from tests.cluster.servers import free_port

    return free_port()  # nothing listens there once the probe socket is closed


async def refused(**values: Any) -> tuple[str, Redactor]:
    redactor = Redactor()
    async with AsyncExitStack() as stack:
        with pytest.raises(ConfigError) as caught:
            await connect(settings(**values), stack, redactor)
    return str(caught.value), redactor


def test_address_lists_take_ipv6_and_name_the_bad_item() -> None:
    assert address_list("a:1, [::1]:26379", "REDIS_SENTINELS") == [("a", 1), ("::1", 26379)]
    with pytest.raises(ConfigError, match=r"^REDIS_SENTINELS: 'b' is not host:port"):
        address_list("a:1,b", "REDIS_SENTINELS")
    with pytest.raises(ConfigError, match="'a:99999' is not host:port"):
        address_list("a:99999", "REDIS_URL")


async def test_url_and_sentinels_together_are_refused() -> None:
    text, _ = await refused(REDIS_URL="redis://127.0.0.1:1/0", REDIS_SENTINELS="127.0.0.1:2")
    assert text.startswith("REDIS_URL and REDIS_SENTINELS are both set")


async def test_sentinels_without_a_master_name_are_refused() -> None:
    text, _ = await refused(REDIS_SENTINELS="127.0.0.1:26379")
    assert text.startswith("REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS")


async def test_unreachable_cluster_is_one_sentence_without_its_password() -> None:
    url = f"redis+cluster://:{SECRET}@127.0.0.1:{closed_port()},127.0.0.1:{closed_port()}"
    text, redactor = await refused(REDIS_URL=url)
    assert text.startswith("Redis at REDIS_URL cannot be reached (")
    assert text.endswith("start it or fix REDIS_URL") and "\n" not in text
    assert SECRET not in text
    assert SECRET not in redactor.redact(f"connecting to {url}")  # logs never show it


async def test_cluster_url_with_a_database_is_refused() -> None:
    text, _ = await refused(REDIS_URL=f"redis+cluster://127.0.0.1:{closed_port()}/3")
    assert text == "REDIS_URL: Redis Cluster has only database 0: drop the /db part"


async def test_unreachable_sentinels_are_one_sentence_without_passwords() -> None:
    text, redactor = await refused(
        REDIS_SENTINELS=f"127.0.0.1:{closed_port()}",
        REDIS_SENTINEL_MASTER="mymaster",
        REDIS_SENTINEL_PASSWORD=SENTINEL_SECRET,
        REDIS_PASSWORD=SECRET,
    )
    assert text.startswith("Redis at REDIS_SENTINELS cannot be reached (MasterNotFoundError)")
    assert SECRET not in text and SENTINEL_SECRET not in text
    assert redactor.redact(f"{SECRET} {SENTINEL_SECRET}") == "<redacted> <redacted>"


def test_the_embedded_redis_runs_only_when_nothing_is_configured() -> None:
    assert settings().embedded_redis
    assert not settings(REDIS_URL="redis://h:1/0").embedded_redis
    assert not settings(REDIS_SENTINELS="h:26379").embedded_redis


async def test_a_plain_url_leaves_wait_off_by_default(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with open_app(make_config(redis_server.url, sandbox), env=ENV) as app:
        assert app.store.replication.replicas == 0
        assert await app.store.replication.confirm()  # nothing to wait for
        assert await app.redis.exists(app.store.keys.fence) == 0  # and no WAIT was sent


async def test_wait_asked_of_a_server_without_replicas_falls_short_and_says_so(
    redis: Redis,
) -> None:
    keys = Keys("wait")
    replication = Replication(redis, keys.fence, replicas=1, timeout_ms=50)
    with capture_logs() as logs:
        assert not await replication.confirm()
        assert not await replication.confirm()
    assert replication.behind and replication.short == 2 and replication.confirmed == 0
    assert await redis.exists(keys.fence) == 1  # the fence went before each WAIT
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert [e["event"] for e in warnings] == ["redis replicas behind: writes go on unconfirmed"]
    assert warnings[0]["acked"] == 0 and warnings[0]["wanted"] == 1


def test_no_module_uses_multi_exec_which_breaks_a_cluster_client_after_failover() -> None:
    """redis-py's async cluster client queues a transaction's commands through a side
    thread with its own event loop; after a failover that thread re-initialises the
    client, binding its connections to a loop that is then closed (RuntimeError: Event
    loop is closed, not a RedisError). Scripts do the same work in one slot instead."""
    root = Path(__file__).resolve().parents[2]
    found = [
        f"{path.relative_to(root)}:{n}"
        for folder in ("bot", "handlers", "publishers")
        for path in (root / folder).rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "transaction=True" in line or ".watch(" in line or ".multi()" in line
    ]
    assert not found, found
