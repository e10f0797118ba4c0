"""The composition root: loads the platforms, builds every long-lived object, hands
them to each other and closes them in reverse order. Nothing else in the service
loads a platform or creates a Redis client, an HTTP session, a Bot or a platform
client. It only wires: what each piece does is in its own module
(docs/architecture.md "Rooms").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from pydantic_settings import BaseSettings

from bot.board import add_board
from bot.config import Config
from bot.delivery.attempt import RetryPolicy
from bot.delivery.engine import DeliveryEngine
from bot.delivery.predecessors import consumer_name
from bot.doctor.runner import Doctor
from bot.doctor.watch import TokenWatch
from bot.editorial import Editorial
from bot.infra.health import RedisHealth
from bot.infra.leader import LeaderLease
from bot.infra.logging import Redactor
from bot.infra.probes import Heartbeat, Readiness
from bot.infra.redis_connect import Connected, open_replication
from bot.infra.redis_connect import connect as connect_redis
from bot.ingest.feeds import FeedPoller
from bot.ingest.pusher import PushConsumer, ingest_endpoint
from bot.ingest.recheck import PageRecheck
from bot.ingest.service import Ingest
from bot.ingest.websub import open_subscriber
from bot.ingest.websubcallback import add_routes
from bot.metrics import Flusher, Metrics
from bot.metrics.exposition import MetricsEndpoint, Room, scope_of
from bot.net import make_fetch_session
from bot.newsrooms import Newsroom
from bot.platforms import (
    Outlet,
    PlatformContext,
    PlatformHandle,
    Platforms,
    UnknownKind,
    load_platforms,
)
from bot.service import App, EditorsRunner, Service
from bot.settings import ConfigError, Settings, load, load_from, process_env, setting_names
from bot.store import Keys, Store
from bot.store.client import RedisClient
from bot.store.metrics import MetricsStore
from bot.store.probes import ProbeStore
from bot.urls import secrets_in_url
from bot.web import WebServer
from handlers.settings import EditorsSettings

__all__ = ["App", "Service", "open_app", "open_service"]

USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot)"


def platforms_for(settings: Settings) -> Platforms:
    """The platforms NEWSBOT_PLATFORMS names; ConfigError when one cannot be loaded."""
    try:
        return load_platforms(settings.platform_modules)
    except UnknownKind as exc:
        raise ConfigError(f"NEWSBOT_PLATFORMS: {exc}: fix the module name") from None


def default_platforms() -> Platforms:
    """The platforms a new installation has (the default of NEWSBOT_PLATFORMS)."""
    return load_platforms(str(Settings.model_fields["platforms"].default).split(","))


def settings_models(platforms: Platforms) -> list[type[BaseSettings]]:
    """Every settings model the service, the editors' bot and the platforms read."""
    return [Settings, EditorsSettings, *(p.settings_model for p in platforms)]


def known_settings(platforms: Platforms) -> frozenset[str]:
    """Every environment variable the service, the editors' bot and the platforms read."""
    return frozenset().union(*(setting_names(m) for m in settings_models(platforms)))


@dataclass(slots=True)
class Shared:
    """What the newsrooms of one process share: Redis, the HTTP clients, the server."""

    connected: Connected
    http: aiohttp.ClientSession
    fetcher: aiohttp.ClientSession
    web: WebServer
    redactor: Redactor
    consumer: str
    heartbeat: Heartbeat = field(default_factory=Heartbeat)
    bot_tokens: set[str] = field(default_factory=set)  # the editors' bots' so far


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
    """One newsroom's service (`config`'s), with its process's server and probes."""
    env = env if env is not None else process_env()
    room = Newsroom(config.settings.namespace, config, env)
    async with open_service(
        [room], platforms, redactor=redactor, consumer=consumer,
        editors=editors, editors_bot=editors_bot,
    ) as service:  # fmt: skip
        yield service.apps[room.name]


@asynccontextmanager
async def open_service(
    newsrooms: Sequence[Newsroom],
    platforms: Platforms | None = None,
    *,
    redactor: Redactor | None = None,
    consumer: str | None = None,
    editors: EditorsSettings | None = None,
    editors_bot: bool = True,
) -> AsyncIterator[Service]:
    """Every newsroom's objects on one Redis and one server; `editors` (tests) replaces
    the editors' settings a newsroom reads from its environment."""
    settings = newsrooms[0].config.settings  # the process's settings are every room's
    platforms = platforms or platforms_for(settings)
    redactor = redactor or Redactor()
    async with AsyncExitStack() as stack:
        connected = await connect_redis(settings, stack, redactor)
        http = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        stack.push_async_callback(http.close)
        fetcher = make_fetch_session(
            allow_private=settings.allow_private_networks, user_agent=USER_AGENT
        )
        stack.push_async_callback(fetcher.close)
        consumer = consumer or consumer_name()  # says where it runs: bot/delivery/predecessors.py
        web = WebServer(settings.http_host, settings.http_port)
        shared = Shared(connected, http, fetcher, web, redactor, consumer)
        apps: dict[str, App] = {}
        rooms: list[Room] = []
        for room in newsrooms:
            chosen = editors if editors is not None else editors_of(room, editors_bot)
            app = await _open_newsroom(shared, room, platforms, chosen, editors_bot, stack)
            apps[room.name] = app
            assert app.flusher is not None
            label = room.name if room.prefix else None
            rooms.append(Room(label, app.flusher, scope_of(app.config, app.outlets)))
        engines = [app.engine for app in apps.values()]
        web.add("GET", "/healthz", shared.heartbeat.handle)
        ready = Readiness(ProbeStore(connected.client), lambda: _tasks(engines))
        web.add("GET", "/readyz", ready.handle)
        web.add("GET", "/metrics", MetricsEndpoint(rooms).handle)
        await web.start()
        stack.push_async_callback(web.stop)
        labelled = any(room.prefix for room in newsrooms)
        yield Service(apps, web, shared.heartbeat, labelled)


def _tasks(engines: Sequence[DeliveryEngine]) -> tuple[int, int]:
    """The delivery tasks running and expected, over every newsroom's engine."""
    counts = [engine.tasks_running() for engine in engines]
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def editors_of(room: Newsroom, wanted: bool) -> EditorsSettings | None:
    """A newsroom's editors' settings: its own .env's when there are several."""
    if not wanted:
        return None
    if room.prefix:
        return load_from(EditorsSettings, room.env, f"newsroom {room.name}")
    return load(EditorsSettings)


async def _open_newsroom(
    shared: Shared,
    room: Newsroom,
    platforms: Platforms,
    editors: EditorsSettings | None,
    editors_bot: bool,
    stack: AsyncExitStack,
) -> App:
    config, settings, redactor = room.config, room.config.settings, shared.redactor
    connected, fetcher, consumer = shared.connected, shared.fetcher, shared.consumer
    redis, keys, routes = connected.client, Keys(settings.namespace), shared.web.under(room.prefix)
    replication = await open_replication(connected, settings, keys.fence, stack)
    store = Store(redis, keys, replication)
    await store.ensure_groups()
    handles: dict[str, PlatformHandle] = {}
    outlets = await open_outlets(config, platforms, shared.http, room.env, redactor, stack, handles)
    for feed in config.feeds:
        for secret in secrets_in_url(str(feed.url)):
            redactor.add(secret)
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
    push_secret = settings.ingest_secret.get_secret_value() if settings.ingest_secret else None
    redactor.add(push_secret)
    routes.add("POST", "/ingest", ingest_endpoint(store, push_secret))
    board_token = settings.board_token.get_secret_value() if settings.board_token else None
    redactor.add(board_token)  # /board/login carries it in its query string
    title = room.name if room.prefix else ""  # several newsrooms: the board names its own
    add_board(routes, store, outlets, board_token, settings.timezone, title)
    diagnosers = [h.diagnose for h in handles.values() if h.diagnose is not None]
    doctor = Doctor(config, platforms, fetcher, redis, diagnosers, editors)
    bot = None
    if editors_bot:
        bot = _open_editors_bot(config, editorial, shared, editors, metrics)
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
        add_routes(routes, websub, {p.feed.id: p for p in pollers})
        stack.push_async_callback(websub.close)  # after the server stops, before the rest
    pusher = PushConsumer(store, ingest, consumer, health)
    recheck = PageRecheck(store, config, fetcher)
    return App(
        config, platforms, redis, store, outlets, ingest, engine, leader, pollers,
        editorial, bot, connected.where, shared.web, pusher, recheck, websub,
        shared.heartbeat, flusher, watch=TokenWatch(doctor, store, settings.doctor_hours),
        name=room.name,
    )  # fmt: skip


def _open_editors_bot(
    config: Config,
    editorial: Editorial,
    shared: Shared,
    editors: EditorsSettings | None,
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
    if token in shared.bot_tokens:  # two bots reading one token's updates lose half of them
        raise ConfigError(
            f"newsroom {config.settings.namespace!r} has the same TELEGRAM_BOT_TOKEN as another "
            "newsroom with editors: give each newsroom with editors its own bot"
        )
    shared.bot_tokens.add(token)
    shared.redactor.add(token)
    if settings.webhook_secret is not None:
        shared.redactor.add(settings.webhook_secret.get_secret_value())
    bot = make_bot(token, telegram.api_base, html=True)
    return open_editors_bot(
        bot, editorial, settings, config.settings, shared.connected.client, shared.consumer,
        shared.web, metrics,
    )  # fmt: skip
