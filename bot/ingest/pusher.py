"""Pushes become articles: every process reads the push stream (`{ns}:ingest`, group
`ingest`) and hands each push to Ingest, so a pushed article is one with the same
article polled later (one id: its canonical URL).

- published / updated: the article as the push describes it, completed from its page.
  A push that names only a URL waits for its page: the page is tried again with backoff
  (the CMS may push before its cache serves the page) while the entry stays pending, its
  idle time reset, so no other process takes it over; after MAX_TRIES it goes with what
  the push gave, or, with no title, is given up with a log line.
- unpublished: every delivery of the article is retracted.
A process that dies leaves its entries pending: another takes them over after
TAKE_OVER_MS of silence. An entry is acknowledged only when done.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiohttp import web

from bot.infra.health import REDIS_ERRORS, RedisHealth, sleep_unless
from bot.ingest.push import Push, PushRejected, parse_body, parse_fields, verify
from bot.ingest.service import Ingest, PageNotReady
from bot.models import Article
from bot.store import Store
from bot.urls import article_id
from bot.web import Handler

log = structlog.get_logger("push")
MAX_TRIES = 6
BACKOFF_SECONDS = (2.0, 5.0, 15.0, 30.0, 60.0)
TAKE_OVER_MS = 60_000
KEEP_EVERY_SECONDS = 15.0


def article_of(push: Push) -> Article:
    return Article(
        id=article_id(push.url), url=push.url, title=push.title, lead=push.summary,
        image=push.image or None, tags=push.tags, published_at=push.published_at,
        lang=push.language or None, source="push", section=push.section,
        publish_at=push.publish_at, breaking=push.breaking,
    )  # fmt: skip


class PushConsumer:
    def __init__(self, store: Store, ingest: Ingest, consumer: str, health: RedisHealth) -> None:
        self.store = store
        self.ingest = ingest
        self.consumer = f"{consumer}-push"
        self.health = health
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                entries = await self.store.pushes.read(self.consumer, 20, 500)
                entries += await self.store.pushes.take_over(self.consumer, TAKE_OVER_MS)
                self.health.ok()
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                await sleep_unless(stop, 0.5)
                continue
            for entry_id, fields in entries:
                task = asyncio.create_task(self.handle(entry_id, fields, stop))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        for task in list(self.tasks):  # an unfinished push stays pending for another process
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def handle(self, entry_id: str, fields: dict[str, str], stop: asyncio.Event) -> None:
        try:
            push = parse_fields(dict(fields))
        except PushRejected as exc:
            log.warning("push refused", entry=entry_id, reason=str(exc))
            await self.store.pushes.done(entry_id)
            return
        try:
            if push.event == "unpublished":
                await self.unpublish(push)
            else:
                await self.publish(entry_id, push, stop)
            await self.store.pushes.done(entry_id)
        except REDIS_ERRORS as exc:  # the entry stays pending: taken over later
            self.health.failed(exc)
        except Exception:
            log.exception("push failed", entry=entry_id, url=push.url)

    async def publish(self, entry_id: str, push: Push, stop: asyncio.Event) -> None:
        article = article_of(push)
        for attempt in range(MAX_TRIES):
            last = attempt == MAX_TRIES - 1
            try:
                result = await self.ingest.submit(
                    article, cause=f"push {push.event}", page_required=not push.title
                )
            except PageNotReady as exc:
                if last:
                    log.warning("push given up: its page cannot be read and it has no title",
                                url=push.url, reason=str(exc))  # fmt: skip
                    return
                log.info("pushed page not ready, retrying", url=push.url, reason=str(exc))
                backoff = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
                await self._wait(entry_id, backoff, stop)
                continue
            log.info(
                "push ingested", url=push.url, push_event=push.event, outcome=result.outcome.value
            )
            return

    async def _wait(self, entry_id: str, seconds: float, stop: asyncio.Event) -> None:
        """Wait, resetting the entry's idle time so that no other process takes it over."""
        left = seconds
        while left > 0 and not stop.is_set():
            step = min(left, KEEP_EVERY_SECONDS)
            await sleep_unless(stop, step)
            left -= step
            await self.store.pushes.keep(self.consumer, entry_id)

    async def unpublish(self, push: Push) -> None:
        aid = article_id(push.url)
        for delivery in await self.store.deliveries(aid):
            await self.store.retract(aid, delivery.channel, "unpublished (push)")
        log.info("push unpublished", url=push.url, article_id=aid)


def ingest_endpoint(store: Store, secret: str | None) -> Handler:
    """POST /ingest (bot/ingest/push.py has the protocol): 401 unsigned, 400 unreadable,
    202 once the push is in the stream."""

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        problem = verify(
            secret,
            request.headers.get("X-Newsbot-Timestamp", ""),
            request.headers.get("X-Newsbot-Signature", ""),
            body,
        )
        if problem is not None:
            return web.json_response({"error": problem}, status=401)
        try:
            push = parse_body(body)
        except PushRejected as exc:
            return web.json_response({"error": str(exc)}, status=400)
        entry = await store.pushes.add(push.fields())
        return web.json_response({"accepted": entry, "event": push.event}, status=202)

    return handle
