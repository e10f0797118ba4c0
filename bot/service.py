"""What a running process holds and runs: a newsroom's objects (App) and every newsroom
of the deployment side by side (Service). bot/app.py, the composition root, builds them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from bot.config import Config
from bot.delivery.engine import DeliveryEngine
from bot.doctor.watch import TokenWatch
from bot.editorial import Editorial
from bot.infra.leader import LeaderLease
from bot.infra.probes import Heartbeat
from bot.ingest.feeds import FeedPoller
from bot.ingest.pusher import PushConsumer
from bot.ingest.recheck import PageRecheck
from bot.ingest.schedule import FeedSchedule
from bot.ingest.service import Ingest
from bot.ingest.websub import Subscriber
from bot.metrics import Flusher
from bot.platforms import Outlet, Platforms
from bot.store import Store
from bot.store.client import RedisClient
from bot.web import WebServer


class EditorsRunner(Protocol):
    """The editors' bot (handlers/), seen from the core: run while leading, close."""

    async def run(self, stop: asyncio.Event) -> None: ...

    async def close(self) -> None: ...


@dataclass(slots=True)
class App:
    """Everything a newsroom holds in a running process; `run` is the service."""

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
    name: str = ""  # the newsroom's name (bot/newsrooms.py)

    async def run(self, stop: asyncio.Event, *, poll_feeds: bool = True) -> None:
        """This newsroom's work and the process's heartbeat, until `stop` is set."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.heartbeat.run(stop))
            tg.create_task(self.work(stop, poll_feeds=poll_feeds))

    async def work(self, stop: asyncio.Event, *, poll_feeds: bool = True) -> None:
        """Deliver until `stop` is set; while this process leads the newsroom, also
        promote due jobs, poll feeds and run the editors' bot (one leader per namespace)."""

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
            if self.flusher is not None:
                tg.create_task(self.flusher.run(stop))
            tg.create_task(self.engine.run(stop))
            tg.create_task(self.pusher.run(stop))
            tg.create_task(self.leader.run(stop, lead))


@dataclass(slots=True)
class Service:
    """A process serving every newsroom of the deployment (one, or NEWSBOT_NEWSROOMS')."""

    apps: dict[str, App]  # by newsroom name
    web: WebServer
    heartbeat: Heartbeat
    labelled: bool = False  # several newsrooms (NEWSBOT_NEWSROOMS): lines name theirs

    async def run(self, stop: asyncio.Event, *, poll_feeds: bool = True) -> None:
        """Every newsroom's work, side by side: each has its own delivery workers, so a
        flood in one never takes another's (fair by construction); their log lines carry
        the newsroom's name when there are several."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.heartbeat.run(stop))
            for name, app in self.apps.items():
                with structlog.contextvars.bound_contextvars(
                    **({"newsroom": name} if self.labelled else {})
                ):  # a task copies the context it is created in
                    tg.create_task(app.work(stop, poll_feeds=poll_feeds))
