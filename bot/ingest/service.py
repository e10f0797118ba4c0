"""Ingest: every article, whatever its source (a feed, a push, an editor's /post or
/refresh), goes dedupe -> enrich -> vet -> render -> store, here and only here.

- Dedupe on the source's own version: the stored article may be richer (its page), and
  a feed listing an article again unchanged is no update.
- A new or changed article is completed once from its page (bot.content.enrich);
  retries never fetch again: deliveries render from the article stored in Redis.
- Every article is vetted (bot.content.guard): fields capped, a refused image dropped.
- A new article goes to the channels whose routing takes it (bot.routing), each
  reason kept with the article; a known one keeps the channels it was planned for.
- Each channel's post is rendered before anything is stored, off the event loop; a
  known article's correction is rendered like the post it will replace (an edit keeps
  a post's form). An article a feed's backfill only remembers is never rendered.
- Each new delivery is timed (bot.timing): embargo, delay, quiet hours; breaking news
  skips all but the embargo.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import aiohttp
import structlog

from bot import routing, timing
from bot.config import Config
from bot.content.enrich import enrich
from bot.content.guard import cap_fields, vet
from bot.metrics import ARTICLES_INGESTED, Metrics
from bot.models import Article, Delivery, IngestOutcome, IngestResult
from bot.platforms import Capability, Outlet, Post
from bot.states import State
from bot.store import ChannelPlan, Store

log = structlog.get_logger("ingest")


class PageNotReady(Exception):
    """The article's page could not be read, and the article cannot go without it (a
    push that named only its URL); the message says why. Try again later."""


# a correction is rendered like the post it replaces while one exists or is being made
_LIVE_OR_SENDING = frozenset({State.SENT, State.EDITING, State.SENDING})


class Ingest:
    def __init__(
        self,
        store: Store,
        config: Config,
        outlets: Mapping[str, Outlet],
        fetcher: aiohttp.ClientSession,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.outlets = outlets
        self.fetcher = fetcher
        self.metrics = metrics or Metrics(enabled=False)

    async def submit(
        self,
        article: Article,
        deliver: bool = True,
        *,
        channels: Sequence[str] | None = None,
        enriched: bool = False,
        by_editor: bool = False,
        cause: str = "",
        page_required: bool = False,
    ) -> IngestResult:
        """Ingest one article for every channel that takes its source (or `channels`);
        a new one is first completed from its page, unless the caller already did
        (`enriched`). An editor's article (`by_editor`) is delivered even if a feed's
        backfill remembered it unposted. A known article whose content changed corrects
        its deliveries (`cause` says what brought the change, for the versions)."""
        result = await self._submit(
            article, deliver, channels=channels, enriched=enriched, by_editor=by_editor,
            cause=cause, page_required=page_required,
        )  # fmt: skip
        source = source_of(article, by_editor=by_editor, cause=cause)
        self.metrics.count(ARTICLES_INGESTED, source, result.outcome.value)
        return result

    async def _submit(
        self,
        article: Article,
        deliver: bool,
        *,
        channels: Sequence[str] | None,
        enriched: bool,
        by_editor: bool,
        cause: str,
        page_required: bool,
    ) -> IngestResult:
        settings = self.config.settings
        source_hash = article.content_hash()
        stored = await self.store.content_hash(article.id)
        if not by_editor and article.has_content_hash(stored):
            return IngestResult(article.id, IngestOutcome.DUPLICATE)
        if deliver and settings.fetch_pages and not enriched:  # new or changed: fetch once
            article, note = await enrich(
                article, self.fetcher, allow_private=settings.allow_private_networks,
                timeout=settings.page_timeout, timezone=settings.timezone,
            )  # fmt: skip
            if note and page_required:
                raise PageNotReady(note)
        plans: list[ChannelPlan] = []
        known: list[Delivery] = []
        if deliver:
            article = await vet(article, allow_private=settings.allow_private_networks)
            if stored is not None and not by_editor and await self._same_as_stored(article):
                # another source's version of what is already posted (a push, then the
                # feed listing it): no correction; this source's version is remembered
                await self.store.set_content_hash(article.id, source_hash)
                return IngestResult(article.id, IngestOutcome.DUPLICATE)
            known = await self.store.deliveries(article.id) if stored is not None else []
        else:
            article = cap_fields(article)
        targets, routes = self._targets(article, channels, known)
        if deliver:
            # rendering is CPU work: off the event loop, which must keep leases alive
            plans = await asyncio.to_thread(self.plan_all, targets, article, known)
        else:
            plans = [ChannelPlan(channel, "") for channel in targets]
        result = await self.store.ingest(
            article, plans, deliver=deliver, content_hash=source_hash,
            replan=by_editor, cause=cause or article.source,
            routes={r.channel: r.stored() for r in routes},
        )  # fmt: skip
        log.info(
            "article ingested",
            article_id=article.id,
            url=article.url,
            outcome=result.outcome.value,
            channels=list(result.channels),
        )
        return result

    async def _same_as_stored(self, article: Article) -> bool:
        """The article, completed from its page, says what the stored one says."""
        old = await self.store.get_article(article.id)
        return old is not None and old.content_hash() == article.content_hash()

    def _targets(
        self, article: Article, channels: Sequence[str] | None, known: Sequence[Delivery]
    ) -> tuple[tuple[str, ...], list[routing.Route]]:
        """The channels to plan and why each channel was or was not chosen: a known
        article keeps the channels it was planned for; a new one goes to those asked for
        (an editor's), else to the channels whose routing takes it."""
        if known:
            return tuple(d.channel for d in known), []
        if channels is not None:
            return tuple(channels), [routing.Route(ch, True, "editor") for ch in channels]
        found = routing.routes(article, self.config.active_channels)
        return tuple(r.channel for r in found if r.chosen), found

    def plan_all(
        self, channels: Sequence[str], article: Article, known: Sequence[Delivery]
    ) -> list[ChannelPlan]:
        """Each channel's plan with its post rendered ("" where it cannot be rendered
        now: the worker renders again and fails the delivery with the reason)."""
        live = {d.channel: d for d in known if d.state in _LIVE_OR_SENDING and d.payload}
        approvals = self.config.approvals(channels)
        now = datetime.now(UTC)
        plans = []
        for channel in channels:
            outlet = self.outlets.get(channel)
            like = Post.from_json(live[channel].payload) if channel in live else None
            try:
                post = outlet.render(article, like).to_json() if outlet else ""
            except Exception:
                log.exception("rendering failed", article_id=article.id, channel=channel)
                post = ""
            if outlet is None:
                plans.append(ChannelPlan(channel, post, approvals.get(channel), "ignore"))
                continue
            config = outlet.channel
            on_update = config.on_update if outlet.can(Capability.EDIT) else "ignore"
            when = timing.plan(article, config, now, self.config.settings.timezone,
                               silent_ok=outlet.can(Capability.SILENT))  # fmt: skip
            plans.append(ChannelPlan(
                channel, post, approvals.get(channel), on_update,
                not_before_ms=int(when.not_before.timestamp() * 1000) if when.not_before else 0,
                wait=when.wait, breaking=timing.is_breaking(article, config),
                spacing_ms=int(config.min_spacing * 1000),
            ))  # fmt: skip
        return plans


def source_of(article: Article, *, by_editor: bool, cause: str) -> str:
    """Where an article came from, as a metric label: editor (/post, /refresh), push (the
    CMS), else feed (polled, or pushed by a WebSub hub: the feed's document either way)."""
    if by_editor or cause.startswith("/") or article.source.startswith("editor"):
        return "editor"
    return "push" if article.source == "push" else "feed"
