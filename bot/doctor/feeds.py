"""Each feed as the poller would read it: fetched with the same rules (bot.net: public
addresses only unless allowed, redirects checked, size and time caps), parsed item by
item (bot.ingest.feedparse), and judged by its newest item. Nothing is stored: the
poller's conditional-GET state and known articles are left alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC

import aiohttp

from bot.config import FeedConfig
from bot.doctor.model import Check, Level
from bot.ingest.feedparse import parse_feed
from bot.net import FetchError, fetch

MAX_SECONDS = 20.0  # per feed, whatever its own timeout
CONCURRENCY = 16  # feeds fetched at once (thousands of feeds: not thousands of requests)
STALE_DAYS = 7  # a newsroom's feed whose newest item is older looks wrong


async def feed_checks(
    feeds: Sequence[FeedConfig], session: aiohttp.ClientSession, *, allow_private: bool, now: float
) -> list[Check]:
    room = asyncio.Semaphore(CONCURRENCY)

    async def one(feed: FeedConfig) -> Check:
        async with room:  # a fetch's timeout must not run while it waits for a connection
            return await _feed(feed, session, allow_private, now)

    return list(await asyncio.gather(*(one(f) for f in feeds if f.enabled)))


async def _feed(
    feed: FeedConfig, session: aiohttp.ClientSession, allow_private: bool, now: float
) -> Check:
    name, url = f"feed {feed.id}", str(feed.url)
    fix = f"check url of feed {feed.id} in the config file (open it in a browser)"
    try:
        result = await fetch(
            session, url, allow_private=allow_private, max_bytes=feed.max_bytes,
            timeout=min(feed.timeout, MAX_SECONDS),
        )  # fmt: skip
    except FetchError as exc:
        return Check(name, Level.FAIL, str(exc), fix)
    if result.status != 200:
        return Check(name, Level.FAIL, f"{url} answered HTTP {result.status}", fix)
    try:
        parsed = await asyncio.to_thread(
            parse_feed, result.body, feed.id,
            content_type=result.headers.get("Content-Type"), allow_private=allow_private,
        )  # fmt: skip
    except ValueError as exc:
        return Check(name, Level.FAIL, f"{url}: {exc}", f"{fix}: it must be RSS 2.0 or Atom")
    items = len(parsed.articles)
    skipped = f" ({len(parsed.skipped)} unusable)" if parsed.skipped else ""
    if not items:
        text = f"reachable, but no usable item{skipped}"
        return Check(name, Level.WARN, text, f"{fix}: is it the news feed?")
    dates = [a.published_at for a in parsed.articles if a.published_at is not None]
    if not dates:
        return Check(name, Level.OK, f"{items} items{skipped}, none dated")
    newest = max(dates)
    age_days = (now - newest.timestamp()) / 86400
    shown = f"{newest.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    detail = f"{items} items{skipped}, newest {shown} ({_age(age_days)})"
    if age_days > STALE_DAYS:
        text = f"{detail}: nothing new for over {STALE_DAYS} days"
        return Check(name, Level.WARN, text, f"{fix}: is it still updated?")
    return Check(name, Level.OK, detail)


def _age(days: float) -> str:
    if days < 0:
        return "in the future"
    if days < 1:
        return f"{days * 24:.0f} h ago"
    return f"{days:.0f} days ago"
