"""What the delivery board shows, read through the Store: one row per delivery of the
recent articles (title, channel, state, attempts, latency, the post's link, the last
error in the platform's words, the post's current version, why it waits) and the
queue's counts. Plain values, ready for the template; nothing here writes to Redis.

Latency is the one `newsbot status` and the demo print: from when newsbot planned the
delivery (the article came in) to the platform's acceptance of the first post.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.models import Article, Delivery
from bot.platforms import Outlet, Post
from bot.states import State
from bot.store import Store, now_ms
from bot.store.board import QueueCounts

# The filter's groups of states (a row matches its exact state or its group).
GROUPS: Mapping[State, str] = {
    State.AWAITING_APPROVAL: "waiting", State.QUEUED: "waiting", State.SENDING: "waiting",
    State.RETRY_WAIT: "waiting", State.AMBIGUOUS: "waiting", State.HELD: "waiting",
    State.SENT: "posted", State.EDITING: "posted", State.RETRACTING: "posted",
    State.FAILED: "failed",
    State.CANCELLED: "ended", State.DELETED: "ended", State.RETRACTED: "ended",
}  # fmt: skip
GROUP_NAMES = ("waiting", "posted", "failed", "ended")
# Why a delivery waits, in words (the codes of bot/timing.py and ingest.lua, and the
# board's own: what /queue shows, plus approval, cooldowns, retries and a pause).
WAIT_WORDS: Mapping[str, str] = {
    "approval": "awaiting an editor's approval",
    "correction": "a correction awaits the editors",
    "embargo": "embargo",
    "delay": "the channel's delay",
    "quiet": "quiet hours",
    "spacing": "spacing between posts",
    "cooldown": "cooldown: the platform asked to wait",
    "rate": "rate limit",
    "retry": "retry after backoff",
    "held": "held for an editor's decision",
    "check": "checking whether the last attempt posted",
    "paused": "paused by an editor",
}
_DUE_STATES = (State.QUEUED, State.RETRY_WAIT, State.AWAITING_APPROVAL, State.AMBIGUOUS)


@dataclass(frozen=True, slots=True)
class Version:
    label: str  # "v2", or "planned" for a post not made yet
    by: str
    text: str


@dataclass(frozen=True, slots=True)
class Row:
    article_id: str
    channel: str
    kind: str  # the channel's platform, "" when the channel is no longer configured
    title: str
    article_url: str  # "" unless http(s): a feed's link is hostile input
    state: str
    group: str
    attempts: int
    seen_ms: int  # when the delivery was planned
    updated_ms: int
    latency_ms: int | None
    post_url: str  # the post's public link, "" when none (or not http(s))
    last_error: str  # in the platform's words
    failure: str  # its FailureKind
    version: Version | None
    wait: str  # a WAIT_WORDS code, "" when it does not wait
    wait_until_ms: int | None
    wait_note: str  # who paused it, which bucket cools down...

    @property
    def key(self) -> str:
        return f"{self.article_id}:{self.channel}"

    @property
    def wait_words(self) -> str:
        words = WAIT_WORDS.get(self.wait, self.wait)
        return f"{words} ({self.wait_note})" if self.wait_note else words


@dataclass(frozen=True, slots=True)
class Snapshot:
    rows: list[Row]
    queue: QueueCounts


class BoardModel:
    """Reads rows for the page and its live stream. `outlets`: the active channels
    (their platform, and the rate-limit buckets whose cooldowns make a delivery wait)."""

    def __init__(self, store: Store, outlets: Mapping[str, Outlet]) -> None:
        self.store = store
        self.kinds = {cid: o.channel.kind for cid, o in outlets.items()}
        self.buckets = {
            cid: tuple(limit.name for limit in o.publisher.rate_limits())
            for cid, o in outlets.items()
        }

    @property
    def channels(self) -> list[str]:
        return list(self.kinds)

    async def recent(self, limit: int) -> Snapshot:
        ids = await self.store.recent_article_ids(limit)
        return Snapshot(await self.rows_of(ids), await self.store.board.queue())

    async def rows_of(self, article_ids: Sequence[str]) -> list[Row]:
        """The rows of these articles' deliveries, articles in the order given."""
        articles = await self.store.get_articles(article_ids)
        deliveries = await self.store.deliveries_of(list(articles))
        found = [(articles[aid], d) for aid in article_ids if aid in articles
                 for d in deliveries[aid]]  # fmt: skip
        timed = [(a.id, d.channel) for a, d in found if d.state in _DUE_STATES]
        due = dict(zip(timed, await self.store.due_times(timed), strict=True))
        if any(d.state is State.QUEUED for _a, d in found):
            buckets = sorted({b for bs in self.buckets.values() for b in bs})
            cooling = await self.store.board.cooldowns(buckets)
            paused = await self.store.editors.paused_by()
        else:
            cooling, paused = {}, None
        now = now_ms()
        return [self._row(a, d, due.get((a.id, d.channel)), cooling, paused, now) for a, d in found]

    def _row(
        self,
        article: Article,
        d: Delivery,
        due_ms: int | None,
        cooling: Mapping[str, int],
        paused: str | None,
        now: int,
    ) -> Row:
        wait, until, note = self._wait(d, due_ms, cooling, paused, now)
        sent_at = next((t.at_ms for t in d.history if t.state == State.SENT), None)
        return Row(
            article_id=article.id,
            channel=d.channel,
            kind=self.kinds.get(d.channel, ""),
            title=article.title,
            article_url=_web_link(article.url),
            state=d.state.value,
            group=GROUPS.get(d.state, ""),
            attempts=d.attempts,
            seen_ms=d.created_ms,
            updated_ms=d.updated_ms,
            latency_ms=None if sent_at is None or not d.created_ms else sent_at - d.created_ms,
            post_url=_web_link(d.remote_url) if d.state.is_live else "",
            last_error=d.last_error,
            failure=d.failure,
            version=_version(d),
            wait=wait,
            wait_until_ms=until,
            wait_note=note,
        )

    def _wait(
        self,
        d: Delivery,
        due_ms: int | None,
        cooling: Mapping[str, int],
        paused: str | None,
        now: int,
    ) -> tuple[str, int | None, str]:
        """Why the delivery waits: (code, until when if known, a detail)."""
        if d.state is State.AWAITING_APPROVAL:
            return "approval", due_ms, ""  # due: when the approval times out
        if d.state is State.EDITING and d.correction_waits:
            return "correction", None, ""
        if d.state is State.HELD:
            return "held", None, ""
        if d.state is State.RETRY_WAIT:
            return "retry", due_ms or d.next_at_ms or None, ""
        if d.state is State.AMBIGUOUS:
            return "check", due_ms, ""
        if d.state is not State.QUEUED:
            return "", None, ""
        if paused:
            return "paused", None, paused
        cold = {b: ms for b in self.buckets.get(d.channel, ()) if (ms := cooling.get(b, 0)) > 0}
        if cold:
            bucket = max(cold, key=lambda b: cold[b])
            if due_ms is None or now + cold[bucket] >= due_ms:  # else timing holds it longer
                return "cooldown", now + cold[bucket], bucket
        if due_ms is not None and due_ms > now:
            # timing (embargo, delay, quiet hours, spacing) or a rate limit deferred it
            return (d.wait or "rate"), due_ms, ""
        return "", None, ""


def _version(d: Delivery) -> Version | None:
    """The post's current version; for a post not made yet, the text it will have."""
    if d.versions:
        last = d.versions[-1]
        return Version(f"v{last.number}", last.by, last.text)
    if d.payload:
        try:
            return Version("planned", "", Post.from_json(d.payload).plain)
        except (ValueError, KeyError):
            return None
    return None


def _web_link(url: str) -> str:
    """`url` when it is an http(s) address, else "" (never a javascript: link)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""
