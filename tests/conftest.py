"""Shared fixtures: a real Redis server (the product's own embedded one, started
once per test session; never the system Redis), the platform sandbox over real
HTTP, and a local feed server."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.app import platforms_for
from bot.config import Config, FeedConfig, Settings, parse_channels, platform_settings
from bot.infra.redis_embedded import EmbeddedRedis
from bot.settings import load
from handlers.settings import EditorsSettings
from sandbox.serving import listen, unlisten

if TYPE_CHECKING:
    from sandbox import Sandbox

FIXTURES = Path(__file__).parent / "fixtures"
BOT_TOKEN = "987654321:TEST-secret-bot-token-ABCDEFGHIJKLMNO"
PAGE_TOKEN = "EAATESTsecretPageToken0123456789abcdef"
PAGE_ID = "100000000000042"


@pytest.fixture(scope="session")
async def redis_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    await server.start()
    yield server
    await server.stop(force=True)


@pytest.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    from sandbox import start_sandbox

    sb = await start_sandbox()
    yield sb
    await sb.close()


@dataclass
class FeedServer:
    url: str = ""
    body: bytes = b""
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:12] + '"'


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer(body=(FIXTURES / "profit-kz-feed.xml").read_bytes())

    async def handle(request: web.Request) -> web.Response:
        server.requests.append(dict(request.headers))
        if server.status != 200:
            return web.Response(status=server.status, text="down")
        if request.headers.get("If-None-Match") == server.etag:
            return web.Response(status=304, headers={"ETag": server.etag})
        return web.Response(
            body=server.body, content_type="application/rss+xml", headers={"ETag": server.etag}
        )

    app = web.Application()
    app.router.add_get("/rss", handle)
    runner, base = await listen(app, "127.0.0.1", 0)
    server.url = f"{base}/rss"
    yield server
    await unlisten(runner)


def make_config(
    redis_url: str,
    sandbox: Sandbox,
    *,
    feeds: list[dict[str, Any]] | None = None,
    channels: list[dict[str, Any]] | None = None,
    **settings: Any,
) -> Config:
    """A config for the service under test: the test session's Redis, the sandbox."""
    values: dict[str, Any] = {
        "_env_file": None,
        "REDIS_URL": redis_url,
        "NEWSBOT_NAMESPACE": f"t{uuid.uuid4().hex[:8]}",
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE": sandbox.telegram_base,
        "FACEBOOK_GRAPH_URL": sandbox.graph_url,
        "NEWSBOT_ALLOW_PRIVATE_NETWORKS": True,
        "NEWSBOT_RETRY_BASE_SECONDS": 0.05,
        "NEWSBOT_WORKERS": 2,
        # article links point at the publisher's real site: tests never reach the internet
        "NEWSBOT_FETCH_PAGES": False,
        "NEWSBOT_HTTP_PORT": 0,  # any free port: never a running service's
        "NEWSBOT_HTTP_HOST": "127.0.0.1",
        # the doctor's watch asks the sandbox at start-up: tests counting its calls would
        # see them (tests/bot/test_doctor.py turns it on)
        "NEWSBOT_DOCTOR_HOURS": 0,
    }
    values.update(settings)
    channels = (
        channels
        if channels is not None
        else [
            {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_test"},
            {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID},
        ]
    )
    core = load(Settings, **values)
    platforms = platforms_for(core)  # NEWSBOT_PLATFORMS may add one (tests/platforms)
    return Config(
        settings=core,
        feeds=tuple(FeedConfig.model_validate(f) for f in feeds or []),
        channels=parse_channels(platforms, channels),
        platform_settings=platform_settings(platforms, **values),
    )


def editors_settings(**values: Any) -> EditorsSettings:
    """The editors' bot's settings for a test, from the test's own values only."""
    return load(EditorsSettings, _env_file=None, **values)


SLOW_FOLDERS = ("chaos",)  # kill -9, faults, Redis restarts: minutes, not seconds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a long suite (run the fast ones: make test-fast)")
    config.addinivalue_line(
        "markers", "install: installs the project into a fresh venv (slow; needs PyPI)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.parts
        if any(folder in parts for folder in SLOW_FOLDERS) or item.get_closest_marker("install"):
            item.add_marker(pytest.mark.slow)
