"""RSS 2.0 / Atom polling: conditional GET, size and time caps, an error streak
with backoff; the document is read item by item (bot.ingest.feedparse) so one broken
item never stops the rest, and a skipped item is logged once, not on every poll.

A feed seen for the first time delivers only its newest `backfill` items; the
rest are remembered as known so that later polls do not deliver the backlog.

A feed a WebSub hub pushes (bot.ingest.websub) is read here too (`ingest_pushed`): one
path for both. While its subscription holds, polling is the fallback: every
interval x PUSHED_FACTOR, at most PUSHED_MAX_SECONDS (never less than the interval), and
a subscription lost meanwhile brings the next poll within one interval.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import aiohttp
import structlog

from bot.config import FeedConfig
from bot.events import Event, EventType
from bot.ingest.feedparse import parse_feed
from bot.metrics import FEED_POLLS, Metrics
from bot.models import Article, IngestOutcome, IngestResult
from bot.net import FetchError, FetchResult, fetch
from bot.store import Store, now_ms

Submit = Callable[[Article, bool], Awaitable[IngestResult]]
MAX_BACKOFF_SECONDS = 3600.0
FEED_ALERT_STREAK = 3  # failed polls in a row before the editors hear of it
PUSHED_FACTOR = 10
PUSHED_MAX_SECONDS = 1800.0
log = structlog.get_logger("feeds")


class Pushes(Protocol):
    """A push subscriber (bot.ingest.websub), as the poller sees it."""

    async def discovered(self, feed: FeedConfig, result: FetchResult) -> None:
        """A poll's answer, for the hub it may name."""

    async def covers(self, feed_id: str, seconds: float) -> bool:
        """Whether the feed is pushed for at least `seconds` more."""


@dataclass(slots=True)
class PollReport:
    feed: str
    status: int = 0
    not_modified: bool = False
    new: int = 0
    known: int = 0
    duplicates: int = 0
    merged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (item, reason)
    error: str = ""


class FeedPoller:
    def __init__(
        self,
        feed: FeedConfig,
        *,
        session: aiohttp.ClientSession,
        store: Store,
        submit: Submit,
        allow_private: bool,
        pushes: Pushes | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.feed = feed
        self.session = session
        self.store = store
        self.submit = submit
        self.allow_private = allow_private
        self.pushes = pushes
        self.metrics = metrics or Metrics(enabled=False)
        self.pushed = False  # whether pushes lengthened the last delay
        # one reading of the feed at a time in this process: a hub's deliveries come in
        # bursts, each with the whole feed, and each new item must be fetched only once
        self.reading = asyncio.Lock()

    async def poll_once(self) -> PollReport:
        report = PollReport(self.feed.id)
        state = await self.store.feeds.state(self.feed.id)
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        try:
            result = await fetch(
                self.session,
                str(self.feed.url),
                allow_private=self.allow_private,
                max_bytes=self.feed.max_bytes,
                timeout=self.feed.timeout,
                headers=headers,
            )
            report.status = result.status
            if result.status == 304:
                report.not_modified = True
            elif result.status != 200:
                raise FetchError(f"{self.feed.url} answered HTTP {result.status}")
            else:
                first_poll = not state.get("initialized")
                content_type = result.headers.get("Content-Type")
                await self._read(result.body, content_type, first_poll=first_poll, report=report)
        except (FetchError, ValueError) as exc:
            report.error = str(exc)
            self.metrics.count(FEED_POLLS, self.feed.id, "error")
            await self._record_failure(report, int(state.get("error_streak") or 0) + 1)
            return report
        self.metrics.count(FEED_POLLS, self.feed.id, str(report.status))
        await self._log_skipped(report.skipped)
        mapping: dict[str, str | int] = {
            "last_status": report.status,
            "error_streak": 0,
            "last_error": "",
            "last_ok_at": datetime.now(UTC).isoformat(),
            "initialized": 1,
        }
        if not report.not_modified:
            mapping["etag"] = result.headers.get("ETag", "")
            mapping["last_modified"] = result.headers.get("Last-Modified", "")
        await self.store.feeds.save(self.feed.id, mapping)
        log.info(
            "feed polled",
            feed=self.feed.id,
            status=report.status,
            new=report.new,
            known=report.known,
            duplicates=report.duplicates,
            skipped=len(report.skipped),
        )
        await self._discover(result)
        return report

    async def ingest_pushed(self, body: bytes, content_type: str | None) -> PollReport:
        """A feed document a hub delivered, read as a polled one is (ValueError when it is
        no feed); the poll's own state (validators, error streak) is left alone."""
        report = PollReport(self.feed.id, status=200)
        state = await self.store.feeds.state(self.feed.id)
        first = not state.get("initialized")
        await self._read(body, content_type, first_poll=first, report=report)
        await self._log_skipped(report.skipped)
        # a pushed document is a successful read too (the feed's lag, bot/metrics)
        pushed: dict[str, str | int] = {"last_push_at": datetime.now(UTC).isoformat()}
        if first:
            pushed["initialized"] = 1
        await self.store.feeds.save(self.feed.id, pushed)
        log.info("feed pushed", feed=self.feed.id, new=report.new, known=report.known,
                 duplicates=report.duplicates, skipped=len(report.skipped))  # fmt: skip
        return report

    async def _read(
        self, body: bytes, content_type: str | None, *, first_poll: bool, report: PollReport
    ) -> None:
        parsed = await asyncio.to_thread(
            parse_feed, body, self.feed.id,
            content_type=content_type, allow_private=self.allow_private,
        )  # fmt: skip
        report.skipped, report.merged = parsed.skipped, parsed.merged
        async with self.reading:
            await self._ingest(parsed.articles, first_poll=first_poll, report=report)

    async def _discover(self, result: FetchResult) -> None:
        if self.pushes is None:
            return
        try:
            await self.pushes.discovered(self.feed, result)
        except Exception as exc:  # WebSub is an extra: polling goes on whatever it does
            log.error("websub discovery error", feed=self.feed.id, error=repr(exc))

    async def _log_skipped(self, skipped: list[tuple[str, str]]) -> None:
        """One log line per skipped item, not one per poll: the items already told of
        are remembered in Redis (so a new leader does not repeat them either)."""
        if not skipped:
            return
        first = await self.store.feeds.first_time_skipped(self.feed.id, [i for i, _ in skipped])
        for (_item, reason), new in zip(skipped, first, strict=True):
            if new:
                log.warning("feed item skipped", feed=self.feed.id, reason=reason)

    async def _ingest(
        self, articles: list[Article], *, first_poll: bool, report: PollReport
    ) -> None:
        deliver_from = max(0, len(articles) - self.feed.backfill) if first_poll else 0
        for index, article in enumerate(articles):
            result = await self.submit(article, index >= deliver_from)
            if result.outcome is IngestOutcome.NEW:
                report.new += 1
            elif result.outcome is IngestOutcome.KNOWN:
                report.known += 1
            else:
                report.duplicates += 1

    async def _record_failure(self, report: PollReport, streak: int) -> None:
        failed: dict[str, str | int] = {
            "last_status": report.status, "error_streak": streak, "last_error": report.error,
        }  # fmt: skip
        if streak == 1:  # the feed's lag of one that never succeeded counts from here
            failed["failing_since"] = datetime.now(UTC).isoformat()
        await self.store.feeds.save(self.feed.id, failed)
        log.warning("feed poll failed", feed=self.feed.id, error=report.error, streak=streak)
        if streak == FEED_ALERT_STREAK:  # once per streak: the editors' alert
            failing = Event(EventType.FEED_FAILING, attempt=streak, note=report.error,
                            at_ms=now_ms(), feed=self.feed.id)  # fmt: skip
            await self.store.events.emit(failing)

    async def next_delay(self) -> float:
        """The interval (lengthened while pushed), doubled per failed poll in a row
        (capped), with 10% jitter."""
        streak = await self.store.feeds.error_streak(self.feed.id)
        interval = await self._interval()
        delay = min(interval * 2 ** min(streak, 10), max(MAX_BACKOFF_SECONDS, interval))
        return float(delay * random.uniform(0.9, 1.1))

    async def _interval(self) -> float:
        slow = max(self.feed.interval, min(self.feed.interval * PUSHED_FACTOR, PUSHED_MAX_SECONDS))
        self.pushed = False
        if self.pushes is not None and slow > self.feed.interval:
            # the lease must outlast the wait, jitter included
            self.pushed = await self.pushes.covers(self.feed.id, slow * 1.1)
        return slow if self.pushed else self.feed.interval
