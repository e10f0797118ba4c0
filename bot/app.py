"""The composition root: loads the platforms, builds every long-lived object, hands
them to each other and closes them in reverse order. Nothing else in the service
loads a platform or creates a Redis client, an HTTP session, a Bot or a platform
client. It only wires: what each piece does is in its own module
(docs/architecture.md "Rooms").
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from bot.board import add_board
from bot.config import Config
from bot.delivery.attempt import RetryPolicy
from bot.delivery.engine import DeliveryEngine
from bot.doctor.endpoints import EditorsView
from bot.doctor.runner import Doctor
from bot.doctor.watch import TokenWatch
from bot.editorial import Editorial
from bot.infra.health import RedisHealth
from bot.infra.leader import LeaderLease
from bot.infra.logging import Redactor
from bot.infra.probes import Heartbeat, Readiness
from bot.infra.redis_connect import connect as connect_redis
from bot.infra.redis_connect import open_replication
from bot.ingest.feeds import FeedPoller
from bot.ingest.pusher import PushConsumer, ingest_endpoint
from bot.ingest.recheck import PageRecheck
from bot.ingest.schedule import FeedSchedule
from bot.ingest.service import Ingest
from bot.ingest.websub import Subscriber, open_subscriber
from bot.ingest.websubcallback import add_routes
from bot.metrics import Flusher, Metrics
from bot.metrics.exposition import MetricsEndpoint, scope_of
from bot.net import make_fetch_session
from bot.platforms import (
    Outlet,
    PlatformContext,
    PlatformHandle,
    Platforms,
    UnknownKind,
    load_platforms,
)
from bot.settings import ConfigError, Settings, load, process_env, setting_names
from bot.store import Keys, Store
from bot.store.client import RedisClient
from bot.store.metrics import MetricsStore
from bot.store.probes import ProbeStore
from bot.urls import secrets_in_url
from bot.web import WebServer
from handlers.settings import EditorsSettings

USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot)"


class EditorsRunner(Protocol):
    """The editors' bot (handlers/), seen from the core: run while leading, close."""

    async def run(self, stop: asyncio.Event) -> None: ...

    async def close(self) -> None: ...


def platforms_for(settings: Settings) -> Platforms:
    """The platforms NEWSBOT_PLATFORMS names; ConfigError when one cannot be loaded."""
    try:
        return load_platforms(settings.platform_modules)
    except UnknownKind as exc:
        raise ConfigError(f"NEWSBOT_PLATFORMS: {exc}: fix the module name") from None


def default_platforms() -> Platforms:
    """The platforms a new installation has (the default of NEWSBOT_PLATFORMS)."""
    return load_platforms(str(Settings.model_fields["platforms"].default).split(","))


def known_settings(platforms: Platforms) -> frozenset[str]:
    """Every environment variable the service, the editors' bot and the platforms read."""
    names = setting_names(Settings) | setting_names(EditorsSettings)
    for platform in platforms:
        names |= setting_names(platform.settings_model)
    return names


@dataclass(slots=True)
class App:
    """Everything a running process holds; `run` is the service."""

    config: Config
    platforms: Platforms
    redis: RedisClient
    store: Store
    outlets: dict[str, Outlet]  # by channel id: the active channels and their clients
    ingest: Ingest
    engine: DeliveryEngine
    leader: LeaderLease
    pollers: list[FeedPoller]
    editorial: Editorial
    editors_bot: EditorsRunner | None
    redis_url: str
    web: WebServer
    pusher: PushConsumer
    recheck: PageRecheck
    websub: Subscriber | None = None  # WebSub, when NEWSBOT_PUBLIC_URL is set
    heartbeat: Heartbeat = field(default_factory=Heartbeat)  # /healthz
    flusher: Flusher | None = None  # the metrics' counts to Redis
    watch: TokenWatch | None = None  # the doctor's checks, daily (NEWSBOT_DOCTOR_HOURS)

    async def run(self, stop: asyncio.Event, *, poll_feeds: bool = True) -> None:
        """Deliver until `stop` is set; while this process leads, also promote due
        jobs, poll feeds and run the editors' bot (one leader per namespace)."""

        async def lead(leading: asyncio.Event) -> None:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.engine.promote_forever(leading))
                if poll_feeds:
                    schedule = FeedSchedule(self.store, {p.feed.id: p for p in self.pollers})
                    tg.create_task(schedule.run(leading))
                    if self.websub is not None:
                        tg.create_task(self.websub.run(leading))
                    tg.create_task(self.recheck.run(leading))
                    if self.watch is not None:
                        tg.create_task(self.watch.run(leading))
                if self.editors_bot is not None:
                    tg.create_task(self.editors_bot.run(leading))

        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.heartbeat.run(stop))
            if self.flusher is not None:
                tg.create_task(self.flusher.run(stop))
            tg.create_task(self.engine.run(stop))
            tg.create_task(self.pusher.run(stop))
            tg.create_task(self.leader.run(stop, lead))


async def open_redis(
    settings: Settings, stack: AsyncExitStack, redactor: Redactor
) -> tuple[RedisClient, str]:
    """The configured Redis (a URL, a cluster, Sentinel) or the embedded one."""
    connected = await connect_redis(settings, stack, redactor)
    return connected.client, connected.where


async def open_outlets(
    config: Config,
    platforms: Platforms,
    http: aiohttp.ClientSession,
    env: Mapping[str, str],
    redactor: Redactor,
    stack: AsyncExitStack,
    handles: dict[str, PlatformHandle] | None = None,
) -> dict[str, Outlet]:
    """A client for every active channel, opened by its platform; `handles` collects
    each platform's handle by kind (its checks, for the doctor)."""
    outlets: dict[str, Outlet] = {}
    for platform in platforms:
        channels = [c for c in config.active_channels if c.kind == platform.kind]
        if not channels:
            continue
        ctx = PlatformContext(
            config.platform_settings[platform.kind], http, env, register_secret=redactor.add
        )
        try:
            handle = platform.open(channels, ctx)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        stack.push_async_callback(handle.close)
        if handles is not None:
            handles[platform.kind] = handle
        for channel in channels:
            outlets[channel.id] = Outlet(channel, platform, handle.publishers[channel.id])
    return outlets


@asynccontextmanager
async def open_app(
    config: Config,
    platforms: Platforms | None = None,
    *,
    redactor: Redactor | None = None,
    env: Mapping[str, str] | None = None,
    consumer: str | None = None,
    editors: EditorsSettings | None = None,
    editors_bot: bool = True,
) -> AsyncIterator[App]:
    settings = config.settings
    platforms = platforms or platforms_for(settings)
    redactor = redactor or Redactor()
    env = env if env is not None else process_env()
    async with AsyncExitStack() as stack:
        connected = await connect_redis(settings, stack, redactor)
        redis, redis_url, keys = connected.client, connected.where, Keys(settings.namespace)
        replication = await open_replication(connected, settings, keys.fence, stack)
        store = Store(redis, keys, replication)
        await store.ensure_groups()
        http = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        stack.push_async_callback(http.close)
        handles: dict[str, PlatformHandle] = {}
        outlets = await open_outlets(config, platforms, http, env, redactor, stack, handles)
        for feed in config.feeds:
            for secret in secrets_in_url(str(feed.url)):
                redactor.add(secret)
        fetcher = make_fetch_session(
            allow_private=settings.allow_private_networks, user_agent=USER_AGENT
        )
        stack.push_async_callback(fetcher.close)
        consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        health = RedisHealth()
        metrics = Metrics(enabled=settings.metrics)
        flusher = Flusher(metrics, MetricsStore(redis, store.keys), consumer, health)
        stack.push_async_callback(flusher.flush_quietly)  # the last counts, before Redis closes
        engine = DeliveryEngine(
            store,
            outlets,
            consumer=consumer,
            concurrency=settings.workers,
            retry=RetryPolicy(
                settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds
            ),
            lease_ms=int(settings.lease_seconds * 1000),
            max_crashes=settings.max_crashes,
            rate_limits=settings.rate_limits,
            health=health,
            timezone=settings.timezone,
            metrics=metrics,
        )
        leader = LeaderLease(redis, store.keys.lock("leader"), consumer, health=health)
        ingest = Ingest(store, config, outlets, fetcher, metrics)
        editorial = Editorial(store, config, platforms, outlets, fetcher, ingest)
        web = WebServer(settings.http_host, settings.http_port)
        heartbeat = Heartbeat()
        web.add("GET", "/healthz", heartbeat.handle)
        web.add("GET", "/readyz", Readiness(ProbeStore(redis), engine.tasks_running).handle)
        scope = scope_of(config, outlets)
        web.add("GET", "/metrics", MetricsEndpoint(flusher, flusher.store, scope).handle)
        push_secret = settings.ingest_secret.get_secret_value() if settings.ingest_secret else None
        redactor.add(push_secret)
        web.add("POST", "/ingest", ingest_endpoint(store, push_secret))
        board_token = settings.board_token.get_secret_value() if settings.board_token else None
        redactor.add(board_token)  # /board/login carries it in its query string
        add_board(web, store, outlets, board_token, settings.timezone)
        editors = (editors or load(EditorsSettings)) if editors_bot else None
        diagnosers = [h.diagnose for h in handles.values() if h.diagnose is not None]
        doctor = Doctor(config, platforms, fetcher, redis, diagnosers, editors)
        bot = None
        if editors_bot:
            bot = _open_editors_bot(
                config, editorial, redis, consumer, editors, redactor, web, metrics
            )
            if bot is not None:
                stack.push_async_callback(bot.close)
        websub = open_subscriber(config, store, fetcher)
        pollers = [
            FeedPoller(
                feed,
                session=fetcher,
                store=store,
                submit=ingest.submit,
                allow_private=settings.allow_private_networks,
                pushes=websub,
                metrics=metrics,
            )
            for feed in config.feeds
            if feed.enabled
        ]
        if websub is not None:
            add_routes(web, websub, {p.feed.id: p for p in pollers})
            stack.push_async_callback(websub.close)  # after the server stops, before the rest
        pusher = PushConsumer(store, ingest, consumer, health)
        recheck = PageRecheck(store, config, fetcher)
        await web.start()
        stack.push_async_callback(web.stop)
        yield App(
            config, platforms, redis, store, outlets, ingest, engine, leader, pollers,
            editorial, bot, redis_url, web, pusher, recheck, websub, heartbeat, flusher,
            watch=TokenWatch(doctor, store, settings.doctor_hours),
        )  # fmt: skip


def load_editors() -> EditorsView:
    """The editors' bot's settings (handlers/), as the doctor reads them."""
    return load(EditorsSettings)


def _open_editors_bot(
    config: Config,
    editorial: Editorial,
    redis: RedisClient,
    consumer: str,
    editors: EditorsSettings | None,
    redactor: Redactor,
    web: WebServer,
    metrics: Metrics,
) -> EditorsRunner | None:
    """The editors' bot, when editors are configured and the Telegram platform is loaded
    (the bot is the channels' own Telegram bot). aiogram is imported only then."""
    from handlers.bot import open_editors_bot
    from publishers.telegram import TelegramSettings, bot_token
    from publishers.telegram.client import make_bot

    settings = editors or load(EditorsSettings)
    telegram = config.platform_settings.get("telegram")
    if not settings.configured or not isinstance(telegram, TelegramSettings):
        return None
    if telegram.bot_token is None:
        return None
    try:
        token = bot_token(telegram)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    redactor.add(token)
    if settings.webhook_secret is not None:
        redactor.add(settings.webhook_secret.get_secret_value())
    bot = make_bot(token, telegram.api_base, html=True)
    return open_editors_bot(
        bot, editorial, settings, config.settings, redis, consumer, web, metrics
    )
