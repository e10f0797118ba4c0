"""What editors can do, as one core service: the editors' bot (handlers/) calls it and
never touches Redis or a platform itself.

Every change of a delivery is a compare-and-set script (bot/store/lua/decide.lua): two
editors pressing "Publish" and "Skip" at once get one decision and one "already
decided". Every decision records who made it, in the delivery's history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import aiohttp

from bot.config import Config
from bot.events import Event, EventType
from bot.ingest.service import Ingest
from bot.models import Article, Delivery, IngestOutcome, State
from bot.platforms import Capability, Outlet, Platforms, Post, PublishError
from bot.preview import ChannelPreview, load_url, preview
from bot.store import Store
from bot.text import shorten

COMMANDS_PER_MINUTE = 20
ECHO_CHARS = 300  # an argument quoted back in a reply, at most
EVENTS_SCANNED = 5000  # recent events read for a channel's health
WAITING = (
    State.AWAITING_APPROVAL,
    State.QUEUED,
    State.SENDING,
    State.RETRY_WAIT,
    State.AMBIGUOUS,
    State.HELD,
)

MESSAGES = {
    "no_channel": "there is no active channel {channel!r}: use one of {names}",
    "not_a_link": "{url!r} is neither a link nor an article id: send an https://... "
    "address or an id from /queue",
    "unknown_article": "no article {ref!r} is known: send its link or id from /queue",
    "no_delivery": "article {article} has no delivery to {channel!r}: it has {names}",
    "no_post_to_edit": "article {article} has no post for {channel!r} to edit",
    "text_refused": "{reason}; the post was not changed",
}


class EditorError(Exception):
    """A request an editor made that cannot be done; the message says why and what to do.
    `key` and `values` let the editors' bot say it in the editors' language."""

    def __init__(self, key: str, **values: str) -> None:
        # an editor's argument is echoed back cut: a reply must fit Telegram's limit
        values = {name: shorten(value, ECHO_CHARS) for name, value in values.items()}
        super().__init__(MESSAGES[key].format(**values))
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Decision:
    channel: str
    applied: bool
    state: str  # the delivery's state now
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Waiting:
    article: Article
    delivery: Delivery
    due_ms: int | None


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    id: str
    kind: str
    enabled: bool
    approval: bool
    last_sent_ms: int | None
    last_error: str
    last_error_ms: int | None
    cooldown_seconds: float


class Editorial:
    def __init__(
        self,
        store: Store,
        config: Config,
        platforms: Platforms,
        outlets: Mapping[str, Outlet],
        fetcher: aiohttp.ClientSession,
        ingest: Ingest,
    ) -> None:
        self.store = store
        self.config = config
        self.platforms = platforms
        self.outlets = outlets
        self.fetcher = fetcher
        self.ingest = ingest

    # --- access ----------------------------------------------------------

    async def count_command(self, user_id: int) -> int:
        """This user's commands in the current minute, this one included (flood limit:
        COMMANDS_PER_MINUTE for editors; strangers are answered once a minute)."""
        return await self.store.editors.count_command(user_id)

    async def cached_member(self, user_id: int) -> bool | None:
        return await self.store.editors.cached_member(user_id)

    async def remember_member(self, user_id: int, member: bool) -> None:
        await self.store.editors.remember_member(user_id, member)

    async def audit(self, entry: Mapping[str, str]) -> None:
        await self.store.editors.audit(entry)

    # --- articles --------------------------------------------------------

    def channel_ids(self, wanted: Sequence[str]) -> tuple[str, ...]:
        """`wanted` checked against the configured channels (all active when empty)."""
        active = [c.id for c in self.config.active_channels]
        unknown = [c for c in wanted if c not in active]
        if unknown:
            raise EditorError("no_channel", channel=unknown[0], names=", ".join(active))
        return tuple(wanted) or tuple(active)

    async def fetch(self, url: str) -> Article:
        """The article at an http(s) URL. Only URLs: the editors' bot never reads the
        server's disk, nor says whether a path exists there."""
        settings = self.config.settings
        return await load_url(
            url, self.fetcher, allow_private=settings.allow_private_networks,
            timeout=settings.page_timeout, timezone=settings.timezone,
        )  # fmt: skip

    async def _article(self, ref: str) -> tuple[Article, list[Delivery], bool]:
        """A known article by id or URL, else the article fetched from its URL (the
        last value says whether its page was just read)."""
        known = await self.store.find_article(ref)
        if known is not None:
            return (*await self.find(known), False)
        if not ref.startswith(("http://", "https://")):
            raise EditorError("not_a_link", url=ref)
        article = await self.fetch(ref)
        return article, await self.store.deliveries(article.id), True

    async def post(
        self, ref: str, channels: Sequence[str], who: str
    ) -> tuple[Article, list[Delivery], bool]:
        """Ingest an article (a link, or the id of one a feed only remembered) now:
        (article, its deliveries, new?). A delivered article is not posted again:
        its deliveries say where and when it went."""
        targets = self.channel_ids(channels)
        article, deliveries, fetched = await self._article(ref)
        if deliveries:
            return article, deliveries, False
        article = replace(article, source=f"editor:{who}")
        # one a feed only remembered was never read from its page: the submit reads it
        await self.ingest.submit(article, channels=targets, enriched=fetched, by_editor=True)
        return article, await self.store.deliveries(article.id), True

    async def preview(self, ref: str) -> tuple[Article, list[ChannelPreview]]:
        """Each active channel's post for a link, or for a known article's id."""
        article, _deliveries, _fetched = await self._article(ref)
        return article, preview(article, self.config.active_channels, self.platforms)

    async def find(self, ref: str) -> tuple[Article, list[Delivery]]:
        aid = await self.store.find_article(ref)
        article = await self.store.get_article(aid) if aid else None
        if aid is None or article is None:
            raise EditorError("unknown_article", ref=ref)
        return article, await self.store.deliveries(aid)

    async def post_of(self, article_id: str, channel: str) -> tuple[Article, Delivery, Post | None]:
        """What a delivery will send (its stored payload, None if not rendered yet)."""
        article, posts = await self.posts_of(article_id, [channel])
        if not posts:
            names = ", ".join(d.channel for d in (await self.find(article_id))[1]) or "none"
            raise EditorError("no_delivery", article=article_id, channel=channel, names=names)
        delivery, payload = posts[0]
        return article, delivery, payload

    async def posts_of(
        self, article_id: str, channels: Sequence[str]
    ) -> tuple[Article, list[tuple[Delivery, Post | None]]]:
        """The deliveries of `channels` that exist, with what each will send."""
        article, deliveries = await self.find(article_id)
        by_channel = {d.channel: d for d in deliveries}
        posts = [
            (d, Post.from_json(d.payload) if d.payload else None)
            for d in (by_channel.get(c) for c in channels)
            if d is not None
        ]
        return article, posts

    async def pending_correction(self, article_id: str, channel: str) -> Post | None:
        """The correction of a live post that awaits the editors, if one does."""
        return await self.store.pending_post(article_id, channel)

    async def next_events(
        self, consumer: str, count: int = 100, block_ms: int = 1000
    ) -> list[Event]:
        return await self.store.events.next_for_editors(consumer, count, block_ms)

    async def routes(self, article_id: str) -> dict[str, tuple[bool, str, dict[str, str]]]:
        """Why each channel was or was not chosen when the article came in."""
        return await self.store.routes(article_id)

    async def queue(self, scan: int = 500) -> list[Waiting]:
        """Deliveries not settled yet, among the `scan` most recent articles, by due time."""
        ids = await self.store.recent_article_ids(scan)
        articles = await self.store.get_articles(ids)
        deliveries = await self.store.deliveries_of(list(articles))
        found = [
            (articles[aid], d) for aid in articles for d in deliveries[aid] if d.state in WAITING
        ]
        due = await self.store.due_times([(a.id, d.channel) for a, d in found])
        waiting = [Waiting(a, d, when) for (a, d), when in zip(found, due, strict=True)]
        waiting.sort(key=lambda w: w.due_ms or w.delivery.created_ms)
        return waiting

    # --- decisions -------------------------------------------------------

    async def decide(
        self, ref: str, channel: str | None, action: str, who: str, value: str | int = ""
    ) -> list[Decision]:
        """One decision on one channel's delivery, or on every channel of the article."""
        article, deliveries = await self.find(ref)
        if channel is not None and channel not in {d.channel for d in deliveries}:
            names = ", ".join(d.channel for d in deliveries) or "none"
            raise EditorError("no_delivery", article=article.id, channel=channel, names=names)
        decisions = []
        for d in deliveries:
            if channel is None or d.channel == channel:
                applied, state = await self.store.decide(article.id, d.channel, action, who, value)
                decisions.append(Decision(d.channel, applied, state))
        return decisions

    async def edit_text(self, ref: str, channel: str, text: str, who: str) -> Decision:
        """An editor's own text for a delivery awaiting approval, checked first against
        the platform's limits and markup rules (EditorError says what is wrong)."""
        article, deliveries = await self.find(ref)
        delivery = next((d for d in deliveries if d.channel == channel), None)
        config = self.config.channel(channel)
        if delivery is None or config is None or not delivery.payload:
            raise EditorError("no_post_to_edit", article=article.id, channel=channel)
        try:
            post = self.platforms.get(config.kind).with_text(Post.from_json(delivery.payload), text)
        except ValueError as exc:
            raise EditorError("text_refused", reason=str(exc)) from None
        applied, state = await self.store.decide(article.id, channel, "edit", who, post.to_json())
        return Decision(channel, applied, state)

    async def delete(self, ref: str, channel: str | None, who: str) -> list[Decision]:
        """Retract what was posted; the platform's refusal is the decision's detail."""
        article, deliveries = await self.find(ref)
        decisions = []
        for d in deliveries:
            if channel is not None and d.channel != channel:
                continue
            outlet = self.outlets.get(d.channel)
            if d.state is not State.SENT or outlet is None or not outlet.can(Capability.DELETE):
                decisions.append(Decision(d.channel, False, d.state.value))
                continue
            sent_at = next((t.at_ms for t in reversed(d.history) if t.state == "sent"), 0)
            try:
                await outlet.publisher.delete(d.remote_id, sent_at)
            except PublishError as exc:
                decisions.append(Decision(d.channel, False, d.state.value, exc.message))
                continue
            applied, state = await self.store.decide(article.id, d.channel, "deleted", who)
            decisions.append(Decision(d.channel, applied, state))
        if channel is not None and not decisions:
            names = ", ".join(d.channel for d in deliveries) or "none"
            raise EditorError("no_delivery", article=article.id, channel=channel, names=names)
        return decisions

    async def retract(
        self, ref: str, channels: Sequence[str], who: str, why: str = ""
    ) -> list[Decision]:
        """Take an article down on `channels` (all its deliveries when empty): live posts
        are deleted or replaced by the retraction notice, unsent ones cancelled."""
        article, deliveries = await self.find(ref)
        wanted = set(channels) or {d.channel for d in deliveries}
        unknown = wanted - {d.channel for d in deliveries}
        if unknown:
            names = ", ".join(d.channel for d in deliveries) or "none"
            raise EditorError("no_delivery", article=article.id, channel=min(unknown), names=names)
        cause = f"retracted by {who}" + (f": {why}" if why else "")
        decisions = []
        for d in deliveries:
            if d.channel in wanted:
                applied, state = await self.store.retract(article.id, d.channel, cause)
                decisions.append(Decision(d.channel, applied, state))
        return decisions

    async def refresh(self, ref: str, who: str) -> tuple[Article, list[Delivery], bool]:
        """Read a known article's page again; a change corrects its posts (each channel's
        `on_update`). (article, deliveries, changed?)."""
        article, _deliveries = await self.find(ref)
        fetched = await self.fetch(article.url)
        fresh = replace(fetched, id=article.id, url=article.url, source=article.source)
        result = await self.ingest.submit(fresh, enriched=True, cause=f"/refresh by {who}")
        changed = result.outcome is not IngestOutcome.DUPLICATE
        return fresh, await self.store.deliveries(article.id), changed

    async def pause(self, who: str) -> None:
        await self.store.editors.set_paused(who)

    async def resume(self) -> None:
        await self.store.editors.set_paused(None)

    async def paused_by(self) -> str | None:
        return await self.store.editors.paused_by()

    # --- overview --------------------------------------------------------

    async def channels(self) -> list[ChannelHealth]:
        sent: dict[str, int] = {}
        failed: dict[str, tuple[str, int]] = {}
        for event in await self.store.events.recent(EVENTS_SCANNED):
            if event.type is not EventType.STATE:
                continue
            if event.state == State.SENT:
                sent.setdefault(event.channel, event.at_ms)
            elif event.state in (State.FAILED, State.RETRY_WAIT, State.HELD):
                failed.setdefault(event.channel, (event.note or event.state, event.at_ms))
        rows = []
        for c in self.config.channels:
            outlet = self.outlets.get(c.id)
            cooldown = 0.0
            if outlet is not None and outlet.publisher.rate_limits():
                bucket = outlet.publisher.rate_limits()[0].name
                cooldown = await self.store.cooldown_seconds(bucket)
            error, error_at = failed.get(c.id, ("", None))
            rows.append(
                ChannelHealth(
                    c.id, c.kind, c.enabled, c.approval, sent.get(c.id), error, error_at, cooldown
                )
            )
        return rows

    async def stats(self, since_ms: int) -> dict[str, Counter[str]]:
        """Deliveries of articles first seen since `since_ms`, by channel and state."""
        counts: dict[str, Counter[str]] = {}
        ids = await self.store.article_ids_since(since_ms)
        for deliveries in (await self.store.deliveries_of(ids)).values():
            for d in deliveries:
                counts.setdefault(d.channel, Counter())[d.state.value] += 1
        return counts
