"""Pages that go away: a posted article's page is checked again, now and then, for as
long as its channels' `recheck_hours` (48 by default); a page that answers 410 Gone, or
404 twice at least CONFIRM_404_MS apart (one 404 can be a deploy or a cache), makes the
article gone. A channel with `auto_retract` retracts its post at once; for the others
the editors get one ARTICLE_GONE alert with a Retract button. Told once per article.

Runs in the leader only, one page at a time and at most NEWSBOT_RECHECK_PER_MINUTE a
minute, so the publisher's site never notices. Pages are fetched like any article page
(bot.net: no private address unless allowed, redirects checked, size capped). A page
that cannot be fetched at all (timeout, DNS) says nothing about the article: it is
only logged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import aiohttp
import structlog

from bot.config import Config
from bot.events import Event, EventType
from bot.models import Delivery
from bot.net import FetchError, fetch
from bot.states import State
from bot.store import Store
from bot.store.keys import now_ms

log = structlog.get_logger("recheck")
CONFIRM_404_MS = 10 * 60 * 1000
MAX_BYTES = 256 * 1024  # the status is what matters; the body is not read further
_LIVE = frozenset({State.SENT, State.EDITING})  # posted, and not being taken down


class PageRecheck:
    def __init__(
        self,
        store: Store,
        config: Config,
        fetcher: aiohttp.ClientSession,
        *,
        confirm_ms: int = CONFIRM_404_MS,
    ) -> None:
        self.store = store
        self.config = config
        self.fetcher = fetcher
        self.confirm_ms = confirm_ms

    async def run(self, stop: asyncio.Event) -> None:
        """A round every NEWSBOT_RECHECK_SECONDS until `stop` (leadership lost)."""
        every = self.config.settings.recheck_seconds
        while every > 0 and not stop.is_set():
            try:
                await self.check_round(stop)
            except Exception as exc:  # Redis down or a bug: the next round tries again
                log.error("page recheck failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    async def check_round(self, stop: asyncio.Event | None = None) -> list[str]:
        """Check every article posted within its channels' recheck window; the ids of
        the articles found gone in this round."""
        hours = {c.id: c.recheck_hours for c in self.config.active_channels}
        window_ms = int(max(hours.values(), default=0) * 3600 * 1000)
        if window_ms <= 0:
            return []
        now = now_ms()
        ids = await self.store.article_ids_since(now - window_ms)
        articles = await self.store.get_articles(ids)
        deliveries = await self.store.deliveries_of(list(articles))
        pause = 60 / self.config.settings.recheck_per_minute
        gone = []
        for aid, article in articles.items():
            live = [d for d in deliveries[aid] if _watched(d, hours, now)]
            if not live or await self.store.pages.gone(aid):
                continue
            if stop is not None and stop.is_set():
                break
            why = await self.check(aid, article.url)
            if why:
                await self.on_gone(aid, live, why)
                gone.append(aid)
            await asyncio.sleep(pause)
        return gone

    async def check(self, article_id: str, url: str) -> str:
        """Why the page is gone ("410", "404"), or "" while it is not (yet) known to be."""
        settings = self.config.settings
        try:
            page = await fetch(
                self.fetcher, url, allow_private=settings.allow_private_networks,
                max_bytes=MAX_BYTES, timeout=settings.page_timeout,
            )  # fmt: skip
        except FetchError as exc:
            log.info("page recheck: no answer", article_id=article_id, error=str(exc))
            return ""
        if page.status == 410:
            return "410"
        if page.status != 404:
            if page.status < 400:
                await self.store.pages.found(article_id)
            return ""
        first = await self.store.pages.missing(article_id, now_ms())
        return "404" if now_ms() - first >= self.confirm_ms else ""

    async def on_gone(self, article_id: str, live: Sequence[Delivery], why: str) -> None:
        if not await self.store.pages.mark_gone(article_id, why):
            return
        note = f"the page answers {why}"
        auto = {c.id for c in self.config.active_channels if c.auto_retract}
        for d in live:
            if d.channel in auto:
                await self.store.retract(article_id, d.channel, f"page gone ({why})")
        asking = [d.channel for d in live if d.channel not in auto]
        log.info("article page gone", article_id=article_id, why=why,
                 retracted=sorted(auto & {d.channel for d in live}), asking=asking)  # fmt: skip
        if asking:
            await self.store.events.emit(
                Event(EventType.ARTICLE_GONE, article_id=article_id, note=note, at_ms=now_ms())
            )


def _watched(d: Delivery, hours: dict[str, float], now: int) -> bool:
    """A live post still within its channel's recheck window."""
    if d.state not in _LIVE or d.channel not in hours or not d.versions:
        return False
    return now - d.versions[0].at_ms <= hours[d.channel] * 3600 * 1000
