"""Ingest: every article, whatever its source (a feed, an editor's /post), goes
dedupe -> enrich -> vet -> render -> store, here and only here.

- Dedupe on the source's own version: the stored article may be richer (its page), and
  a feed listing an article again unchanged is no update.
- A new or changed article is completed once from its page (bot.content.enrich);
  retries never fetch again: deliveries render from the article stored in Redis.
- Every article is vetted (bot.content.guard): fields capped, a refused image dropped.
- Each channel's post is rendered before anything is stored, off the event loop;
  an article a feed's backfill only remembers is never rendered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import aiohttp
import structlog

from bot.config import Config
from bot.content.enrich import enrich
from bot.content.guard import cap_fields, vet
from bot.models import Article, IngestOutcome, IngestResult
from bot.platforms import Outlet
from bot.store import Store

log = structlog.get_logger("ingest")


class Ingest:
    def __init__(
        self,
        store: Store,
        config: Config,
        outlets: Mapping[str, Outlet],
        fetcher: aiohttp.ClientSession,
    ) -> None:
        self.store = store
        self.config = config
        self.outlets = outlets
        self.fetcher = fetcher

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
        a new one is first completed from its page, unless the caller already did
        (`enriched`). An editor's article (`by_editor`) is delivered even if a feed's
        backfill remembered it unposted."""
        settings = self.config.settings
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
        if deliver:
            article = await vet(article, allow_private=settings.allow_private_networks)
            # rendering is CPU work: off the event loop, which must keep leases alive
            payloads = await asyncio.to_thread(self.render_all, targets, article)
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

    def render_all(self, channels: Sequence[str], article: Article) -> dict[str, str]:
        """Each channel's post as stored JSON; "" where it cannot be rendered now (the
        worker renders again and fails the delivery with the reason)."""
        rendered: dict[str, str] = {}
        for channel in channels:
            outlet = self.outlets.get(channel)
            try:
                rendered[channel] = outlet.render(article).to_json() if outlet else ""
            except Exception:
                log.exception("rendering failed", article_id=article.id, channel=channel)
                rendered[channel] = ""
        return rendered
