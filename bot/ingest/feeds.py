"""RSS 2.0 / Atom polling: conditional GET, size and time caps, an error streak
with backoff, and item-by-item conversion so one broken item never stops the rest.

A feed seen for the first time delivers only its newest `backfill` items; the
rest are remembered as known so that later polls do not deliver the backlog.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import aiohttp
import feedparser
import structlog
from redis.asyncio import Redis
from redis.typing import EncodableT

from bot.config import FeedConfig
from bot.keys import Keys
from bot.models import Article, IngestOutcome, IngestResult
from bot.net import FetchError, fetch
from bot.urls import BadUrlError, article_id, clean_url

Submit = Callable[[Article, bool], Awaitable[IngestResult]]
MAX_BACKOFF_SECONDS = 3600.0
FEED_ALERT_STREAK = 3  # failed polls in a row before the editors hear of it
log = structlog.get_logger("feeds")


@dataclass(slots=True)
class PollReport:
    feed: str
    status: int = 0
    not_modified: bool = False
    new: int = 0
    known: int = 0
    duplicates: int = 0
    merged: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str = ""


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _published(entry: Any) -> datetime | None:
    """The item's time, always time-zone aware (a date without an offset is UTC, as
    RFC 822's "-0000" means), so items of one feed always sort together."""
    found = _raw_published(entry)
    if found is not None and found.tzinfo is None:
        return found.replace(tzinfo=UTC)
    return found


def _raw_published(entry: Any) -> datetime | None:
    for key in ("published", "updated"):
        raw = entry.get(key)
        if not raw:
            continue
        with contextlib.suppress(TypeError, ValueError):
            return email.utils.parsedate_to_datetime(raw)  # RSS: keeps the +0500 offset
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))  # Atom
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


def _image(entry: Any) -> str | None:
    for enc in entry.get("enclosures", []):
        if str(enc.get("type", "")).startswith("image/") and enc.get("href"):
            return str(enc["href"])
    for media in entry.get("media_content", []):
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            return str(media["url"]) if media.get("url") else None
    for thumb in entry.get("media_thumbnail", []):
        if thumb.get("url"):
            return str(thumb["url"])
    return None


def entry_to_article(entry: Any, feed_id: str, lang: str | None) -> Article:
    """One feed item as an Article; ValueError with the reason when it is unusable."""
    link = entry.get("link") or ""
    if not link and entry.get("guidislink"):
        link = entry.get("id") or ""
    if not link:
        raise ValueError("it has no link")
    try:
        url = clean_url(link)
    except BadUrlError as exc:
        raise ValueError(str(exc)) from None
    title = plain_text(entry.get("title") or "")
    lead = plain_text(entry.get("summary") or "")
    if not title and not lead:
        raise ValueError("it has neither title nor description")
    tags = tuple(t["term"].strip() for t in entry.get("tags", []) if t.get("term", "").strip())
    return Article(
        id=article_id(url),
        url=url,
        title=title or lead[:120],
        lead=lead if lead != title else "",
        image=_image(entry),
        tags=tags,
        published_at=_published(entry),
        lang=lang,
        source=feed_id,
    )


@dataclass(slots=True)
class ParsedFeed:
    articles: list[Article]  # oldest first
    skipped: list[str]  # one reason per unusable item
    merged: int = 0  # items that were another listing of an article already in the feed


def parse_feed(body: bytes, feed_id: str) -> ParsedFeed:
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no feed element"
        raise ValueError(f"the body is not an RSS or Atom feed ({reason})")
    lang = (parsed.feed.get("language") or "").split("-")[0].lower() or None
    articles: list[Article] = []
    seen: set[str] = set()
    skipped: list[str] = []
    merged = 0
    for index, entry in enumerate(parsed.entries):
        try:
            article = entry_to_article(entry, feed_id, lang)
            # the same article twice in one feed: the first (newest) listing wins
            if article.id in seen:
                merged += 1
            else:
                seen.add(article.id)
                articles.append(article)
        except Exception as exc:  # one odd item must never block the feed
            skipped.append(f"item {index + 1} ({entry.get('title', 'untitled')!r}): {exc}")
    oldest = datetime.min.replace(tzinfo=UTC)
    # newest last, so channels read in publication order; feed order breaks ties
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published_at or oldest, -i))
    return ParsedFeed([articles[i] for i in order], skipped, merged)


class FeedPoller:
    def __init__(
        self,
        feed: FeedConfig,
        *,
        session: aiohttp.ClientSession,
        redis: Redis,
        keys: Keys,
        submit: Submit,
        allow_private: bool,
    ) -> None:
        self.feed = feed
        self.session = session
        self.redis = redis
        self.key = keys.feed(feed.id)
        self.events_key = keys.events
        self.submit = submit
        self.allow_private = allow_private

    async def poll_once(self) -> PollReport:
        report = PollReport(self.feed.id)
        raw_state = await self.redis.hgetall(self.key)
        state = {_str(k): _str(v) for k, v in raw_state.items()}
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
                parsed = await asyncio.to_thread(parse_feed, result.body, self.feed.id)
                report.skipped, report.merged = parsed.skipped, parsed.merged
                first_poll = not state.get("initialized")
                await self._ingest(parsed.articles, first_poll=first_poll, report=report)
        except (FetchError, ValueError) as exc:
            report.error = str(exc)
            await self._record_failure(report, int(state.get("error_streak") or 0) + 1)
            return report
        for reason in report.skipped:
            log.warning("feed item skipped", feed=self.feed.id, reason=reason)
        mapping: dict[EncodableT, EncodableT] = {
            "last_status": report.status,
            "error_streak": 0,
            "last_error": "",
            "last_ok_at": datetime.now(UTC).isoformat(),
            "initialized": 1,
        }
        if not report.not_modified:
            mapping["etag"] = result.headers.get("ETag", "")
            mapping["last_modified"] = result.headers.get("Last-Modified", "")
        await self.redis.hset(self.key, mapping=mapping)
        log.info(
            "feed polled",
            feed=self.feed.id,
            status=report.status,
            new=report.new,
            known=report.known,
            duplicates=report.duplicates,
            skipped=len(report.skipped),
        )
        return report

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
        await self.redis.hset(
            self.key,
            mapping={
                "last_status": report.status,
                "error_streak": streak,
                "last_error": report.error,
            },
        )
        log.warning("feed poll failed", feed=self.feed.id, error=report.error, streak=streak)
        if streak == FEED_ALERT_STREAK:  # once per streak: the editors' alert
            await self.redis.xadd(
                self.events_key,
                {"type": "feed_failing", "feed": self.feed.id, "note": report.error,
                 "attempt": str(streak), "at": str(int(time.time() * 1000))},
                maxlen=100_000, approximate=True,
            )  # fmt: skip

    async def next_delay(self) -> float:
        """The interval, doubled per failed poll in a row (capped), with 10% jitter."""
        streak = int(await self.redis.hget(self.key, "error_streak") or 0)
        delay = min(
            self.feed.interval * 2 ** min(streak, 10), max(MAX_BACKOFF_SECONDS, self.feed.interval)
        )
        return float(delay * random.uniform(0.9, 1.1))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.poll_once()
                delay = await self.next_delay()
            except Exception as exc:  # Redis down or a bug: keep polling, say why
                log.error("feed poller error", feed=self.feed.id, error=repr(exc))
                delay = self.feed.interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
