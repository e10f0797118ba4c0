"""GET /healthz and GET /readyz over real HTTP: liveness follows the event loop,
readiness names each check (Redis, the Lua scripts, this process's workers) and fails
when one does; the HTTP server always listens, and says so when its port is taken."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import open_app
from bot.infra.probes import STALE_SECONDS, Heartbeat
from bot.infra.redis_embedded import EmbeddedRedis
from bot.settings import ConfigError
from bot.store import scripts
from bot.store.probes import ProbeStore
from bot.web import WebServer
from sandbox import Sandbox
from tests.bot.test_lifecycle import running
from tests.bot.test_pipeline import ENV
from tests.conftest import make_config


async def get(port: int, path: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        body = await response.json() if path != "/metrics" else await response.text()
        return response.status, body


async def ready(port: int) -> dict[str, Any]:
    """/readyz once it says ready (the workers start with the service's run)."""
    deadline = time.monotonic() + 10
    while True:
        status, body = await get(port, "/readyz")
        if status == 200:
            return dict(body)
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.05)


def checks(body: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    return {c["name"]: (c["ok"], c["detail"]) for c in body["checks"]}


async def test_healthz_is_ok_while_the_loop_turns_and_says_why_when_not(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)
    async with open_app(config, env=ENV) as app:
        status, body = await get(app.web.port, "/healthz")
        assert status == 503 and "not started" in body["reason"]
        async with running(app):
            await asyncio.sleep(0.1)
            status, body = await get(app.web.port, "/healthz")
            assert status == 200 and body["ok"] is True
    # a heartbeat whose last tick is older than the limit: the loop stalled that long
    stalled = Heartbeat()
    stalled.last = time.monotonic() - 2 * STALE_SECONDS
    server = WebServer("127.0.0.1", 0)
    server.add("GET", "/healthz", stalled.handle)
    await server.start()
    try:
        status, body = await get(server.port, "/healthz")
    finally:
        await server.stop()
    assert status == 503 and body["ok"] is False
    assert "last ticked 10.0 s ago" in body["reason"]


async def test_readyz_names_each_check_and_waits_for_the_workers(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)  # NEWSBOT_WORKERS=2
    async with open_app(config, env=ENV) as app:
        status, body = await get(app.web.port, "/readyz")
        assert status == 503 and body["ready"] is False
        assert checks(body)["workers"] == (False, "0 of 3 delivery tasks running")
        assert checks(body)["redis"][0] and checks(body)["scripts"][0]
        async with running(app):
            body = await ready(app.web.port)
    assert body["ready"] is True
    assert list(checks(body)) == ["redis", "scripts", "workers"]
    assert checks(body)["workers"] == (True, "3 of 3 delivery tasks running")


async def test_readyz_loads_the_scripts_a_restarted_redis_lost(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)
    async with open_app(config, env=ENV) as app, running(app):
        await ready(app.web.port)
        await app.redis.script_flush()
        probe = ProbeStore(app.redis)
        assert set(await probe.missing_scripts()) == set(probe.shas)
        status, body = await get(app.web.port, "/readyz")
        assert status == 200, body
        assert checks(body)["scripts"] == (True, f"{len(probe.shas)} Lua scripts loaded")
        assert await probe.missing_scripts() == []
        # the shas the probe loads are the ones the store runs
        assert probe.shas["claim"] == scripts.load(app.redis, "claim").sha
        assert probe.shas["lease_renew"] == scripts.load(app.redis, "lease_renew").sha


async def test_without_redis_readyz_fails_healthz_holds_and_metrics_say_so(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    url = await server.start()
    config = make_config(url, sandbox)
    try:
        async with open_app(config, env=ENV) as app, running(app):
            await ready(app.web.port)
            await server.stop(force=True)
            status, body = await get(app.web.port, "/readyz")
            assert status == 503 and body["ready"] is False
            redis_ok, detail = checks(body)["redis"]
            assert not redis_ok and "Redis" in detail and url not in detail
            assert checks(body)["scripts"] == (False, "not checked: Redis does not answer")
            # the process itself is alive: it waits Redis out, it must not be restarted
            assert (await get(app.web.port, "/healthz"))[0] == 200
            status, text = await get(app.web.port, "/metrics")
            assert status == 503 and "Redis did not answer" in text
    finally:
        await server.stop(force=True)


async def test_a_taken_port_is_one_sentence_naming_the_setting() -> None:
    with socket.socket() as taken:  # no SO_REUSEPORT: nobody may share it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            await WebServer("127.0.0.1", port).start()
    assert str(caught.value).startswith(f"NEWSBOT_HTTP_HOST:NEWSBOT_HTTP_PORT 127.0.0.1:{port}")
    assert "free that port or choose another" in str(caught.value)
