"""The composition root: builds every long-lived object, hands them to each other
and closes them in reverse order. Nothing else in the service creates a Redis
client, an HTTP session, a Bot or a publisher.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import aiohttp
import structlog
from redis.asyncio import Redis

from bot.config import Config, ConfigError, Settings, process_env
from bot.content.enrich import enrich
from bot.content.guard import cap_fields, vet
from bot.delivery import AfterPublish, DeliveryEngine, RedisHealth, RetryPolicy
from bot.editorial import Editorial
from bot.ingest.feeds import FeedPoller
from bot.keys import Keys
from bot.leader import LeaderLease
from bot.logging import Redactor
from bot.models import Article, IngestOutcome, IngestResult
from bot.net import make_fetch_session
from bot.redis_embedded import EmbeddedRedis
from bot.store import Store
from bot.urls import secrets_in_url
from publishers.base import ChannelConfig, PlatformContext, Publisher, load_platform

log = structlog.get_logger("app")


class EditorsRunner(Protocol):
    """The editors' bot (handlers/), seen from the core: run while leading, close."""

    async def run(self, stop: asyncio.Event) -> None: ...

    async def close(self) -> None: ...


USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot)"


@dataclass(slots=True)
class App:
    config: Config
    redis: Redis
    store: Store
    publishers: Mapping[str, Publisher]
    engine: DeliveryEngine
    pollers: list[FeedPoller]
    redis_url: str
    leader: LeaderLease
    fetcher: aiohttp.ClientSession
    editorial: Editorial = field(init=False)  # built on the app: it submits through it
    editors_bot: EditorsRunner | None = None  # the editors' bot, run by the leader

    async def submit(
        self,
        article: Article,
        deliver: bool = True,
        *,
        channels: Sequence[str] | None = None,
        enriched: bool = False,
        by_editor: bool = False,
    ) -> IngestResult:
        """Ingest one article for every channel that takes its source (or `channels`);
        a new one is first completed from its page (once: feeds resubmit known items
        every poll), unless the caller already did (`enriched`). An editor's article
        (`by_editor`) is delivered even if a feed's backfill remembered it unposted."""
        settings = self.config.settings
        # Dedupe on the source's version: the stored article may be richer (its page),
        # and a feed listing it again unchanged is no update.
        source_hash = article.content_hash()
        if not by_editor and await self.store.content_hash(article.id) == source_hash:
            return IngestResult(article.id, IngestOutcome.DUPLICATE)
        if deliver and settings.fetch_pages and not enriched:  # new or changed: fetch once
            article, _note = await enrich(
                article, self.fetcher, allow_private=settings.allow_private_networks,
                timeout=settings.page_timeout,
            )  # fmt: skip
        targets = self.config.channels_for(article.source) if channels is None else channels
        payloads: dict[str, str] = {}
        if deliver:  # an item a feed's backfill only remembers is never rendered
            article = await vet(article, allow_private=settings.allow_private_networks)
            # rendering is CPU work: off the event loop, which must keep leases alive
            payloads = await asyncio.to_thread(self._render_all, targets, article)
        else:
            article = cap_fields(article)
        result = await self.store.ingest(
            article, targets, deliver=deliver, payloads=payloads, content_hash=source_hash,
            approvals=self.config.approvals(targets), replan=by_editor,
        )  # fmt: skip
        log.info(
            "article ingested",
            article_id=article.id,
            url=article.url,
            outcome=result.outcome.value,
            channels=list(result.channels),
        )
        return result

    def _render_all(self, channels: Sequence[str], article: Article) -> dict[str, str]:
        return {channel: self.render(channel, article) for channel in channels}

    def render(self, channel: str, article: Article) -> str:
        """What the channel will receive, as stored JSON; "" if it cannot be rendered
        now (the worker renders again and fails the delivery with the reason)."""
        publisher = self.publishers.get(channel)
        if publisher is None:
            return ""
        try:
            return publisher.render(article).to_json()
        except Exception:
            log.exception("rendering failed", article_id=article.id, channel=channel)
            return ""

    async def run(self, stop: asyncio.Event, *, poll_feeds: bool = True) -> None:
        """Deliver until `stop` is set; while this process leads, also promote due
        jobs and poll feeds (one leader among all processes on this namespace)."""

        async def lead(leading: asyncio.Event) -> None:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.engine.promote_forever(leading))
                if poll_feeds:
                    for poller in self.pollers:
                        tg.create_task(poller.run(leading))
                if self.editors_bot is not None:
                    tg.create_task(self.editors_bot.run(leading))

        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.engine.run(stop))
            tg.create_task(self.leader.run(stop, lead))


async def open_redis(
    settings: Settings, stack: AsyncExitStack, redactor: Redactor
) -> tuple[Redis, str]:
    """The configured Redis, or the embedded one in the data folder."""
    if settings.redis_url is not None:
        url = settings.redis_url.get_secret_value()
        redactor.add(urlsplit(url).password)
        redactor.add(parse_qs(urlsplit(url).query).get("password", [""])[0])
    else:
        embedded = EmbeddedRedis(settings.data_dir)
        url = await embedded.start()
        stack.push_async_callback(embedded.stop)
    try:
        redis = Redis.from_url(
            url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30
        )
    except ValueError as exc:
        raise ConfigError(
            f"REDIS_URL is not a valid Redis URL ({exc}): use redis://host:port/db"
        ) from None
    stack.push_async_callback(redis.aclose)
    try:
        await redis.ping()
    except Exception as exc:
        # the class only: redis-py's texts can quote a malformed URL, password included
        where = "at REDIS_URL" if settings.redis_url is not None else f"in {settings.data_dir}"
        fix = (
            "start it or fix REDIS_URL" if settings.redis_url is not None else "see redis.log there"
        )
        raise ConfigError(
            f"Redis {where} cannot be reached ({type(exc).__name__}): {fix}"
        ) from None
    return redis, url


async def open_publishers(
    config: Config, ctx: PlatformContext, stack: AsyncExitStack
) -> dict[str, Publisher]:
    by_kind: dict[str, list[ChannelConfig]] = {}
    for channel in config.active_channels:
        by_kind.setdefault(channel.kind, []).append(channel)
    publishers: dict[str, Publisher] = {}
    for kind, channels in by_kind.items():
        try:
            handle = load_platform(kind).create_publishers(channels, ctx)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        stack.push_async_callback(handle.close)
        publishers.update(handle.publishers)
    return publishers


@asynccontextmanager
async def open_app(
    config: Config,
    *,
    redactor: Redactor | None = None,
    env: Mapping[str, str] | None = None,
    consumer: str | None = None,
    after_publish: AfterPublish | None = None,
    editors_bot: bool = True,
) -> AsyncIterator[App]:
    settings = config.settings
    redactor = redactor or Redactor()
    for configured in (settings.telegram_bot_token, settings.telegram_webhook_secret):
        if configured is not None:
            redactor.add(configured.get_secret_value())
    async with AsyncExitStack() as stack:
        redis, redis_url = await open_redis(settings, stack, redactor)
        store = Store(redis, Keys(settings.namespace))
        await store.ensure_group()
        http = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        stack.push_async_callback(http.close)
        ctx = PlatformContext(
            settings=settings,
            http=http,
            env=env if env is not None else process_env(),
            register_secret=redactor.add,
        )
        publishers = await open_publishers(config, ctx, stack)
        for feed in config.feeds:
            for secret in secrets_in_url(str(feed.url)):
                redactor.add(secret)
        fetcher = make_fetch_session(
            allow_private=settings.allow_private_networks, user_agent=USER_AGENT
        )
        stack.push_async_callback(fetcher.close)
        consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        health = RedisHealth()
        engine = DeliveryEngine(
            store,
            publishers,
            consumer=consumer,
            concurrency=settings.workers,
            retry=RetryPolicy(
                settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds
            ),
            lease_ms=int(settings.lease_seconds * 1000),
            max_crashes=settings.max_crashes,
            rate_limits=settings.rate_limits,
            health=health,
            after_publish=after_publish,
        )
        leader = LeaderLease(redis, store.keys.lock("leader"), consumer, health=health)
        app = App(config, redis, store, publishers, engine, [], redis_url, leader, fetcher)
        app.editorial = Editorial(store, config, publishers, fetcher, submit=app.submit)
        has_editors = bool(settings.editors or settings.editors_chat_id)
        if editors_bot and settings.editors_bot and has_editors and settings.telegram_bot_token:
            from handlers import open_editors_bot

            app.editors_bot = open_editors_bot(app.editorial, settings, redis, consumer)
            stack.push_async_callback(app.editors_bot.close)
        app.pollers = [
            FeedPoller(
                feed,
                session=fetcher,
                redis=redis,
                keys=store.keys,
                submit=app.submit,
                allow_private=settings.allow_private_networks,
            )
            for feed in config.feeds
            if feed.enabled
        ]
        yield app
