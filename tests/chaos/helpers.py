"""What the chaos tests share: articles with unique links, the events stream, the
delivery invariants of docs/architecture.md "Delivery", checked against
the sandbox's posts, and the state of the due set and the work stream."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.models import Article, Delivery, State
from bot.store import Store
from bot.store.keys import WORK_GROUP, Keys
from bot.urls import article_id
from sandbox import Sandbox

TG_CHAT = "@newsbot_test"
# Channel limits high enough not to dominate (the models allow at most 6000/min, 100).
FAST = {"rate_per_minute": 6000, "burst": 100}


def make_articles(n: int, tag: str) -> list[Article]:
    """`n` articles whose links differ in a fixed-width number: no link is a prefix of
    another, so a post is matched to its article by its exact link."""
    articles = []
    for i in range(n):
        url = f"https://profit.kz/news/{tag}-{i:05d}/"
        articles.append(Article(id=article_id(url), url=url, title=f"Хаос {tag} №{i}", lead="Лид."))
    return articles


async def read_events(redis: Redis, keys: Keys) -> list[dict[str, str]]:
    """The events stream in order; "id" is the entry id (the order the scripts ran in)."""
    raw = await redis.xrange(keys.events)
    return [
        {"id": entry_id.decode(), **{k.decode(): v.decode() for k, v in fields.items()}}
        for entry_id, fields in raw
    ]


def tg_posts_per_article(
    sandbox: Sandbox, articles: Sequence[Article], *, chat: str | None = None
) -> Counter[str]:
    """Telegram posts per article id, matched by the link in the post's HTML; only in
    the channel @`chat` when given."""
    by_href = {f'href="{a.url}"': a.id for a in articles}
    counts: Counter[str] = Counter()
    for post in sandbox.telegram.posts:
        if chat is not None and post.chat_username != chat:
            continue
        found = [aid for href, aid in by_href.items() if href in post.html]
        assert len(found) == 1, f"a Telegram post matches {len(found)} articles: {post.html!r}"
        counts[found[0]] += 1
    return counts


def fb_posts_per_article(sandbox: Sandbox, articles: Sequence[Article]) -> Counter[str]:
    by_link = {a.url: a.id for a in articles}
    counts: Counter[str] = Counter()
    for post in sandbox.facebook.posts:
        assert post.link in by_link, f"a Facebook post of no article: {post.link!r}"
        counts[by_link[post.link]] += 1
    return counts


@dataclass
class QueueState:
    due: int
    pending: int
    stream_len: int

    @property
    def empty(self) -> bool:
        return self.due == 0 and self.pending == 0


async def queue_state(redis: Redis, keys: Keys) -> QueueState:
    due = await redis.zcard(keys.due)
    pending = (await redis.xpending(keys.work, WORK_GROUP))["pending"]
    return QueueState(int(due), int(pending), int(await redis.xlen(keys.work)))


async def all_deliveries(store: Store, article_ids: Iterable[str]) -> list[Delivery]:
    return [d for aid in article_ids for d in await store.deliveries(aid)]


async def wait_until_settled(
    store: Store,
    article_ids: Sequence[str],
    channels: int,
    timeout: float,
    *,
    quiet_queue: bool = True,
) -> list[Delivery]:
    """Poll (bounded) until every planned delivery has settled and, with `quiet_queue`,
    nothing is left in the due set or pending in the work stream."""
    deadline = time.monotonic() + timeout
    while True:
        found = await all_deliveries(store, article_ids)
        settled = len(found) == len(article_ids) * channels and all(
            d.state.is_settled for d in found
        )
        if settled and (not quiet_queue or (await queue_state(store.redis, store.keys)).empty):
            return found
        if time.monotonic() > deadline:
            states = Counter(d.state.value for d in found)
            queue = await queue_state(store.redis, store.keys)
            raise AssertionError(
                f"not settled after {timeout:.0f} s: {len(found)} deliveries {dict(states)}, "
                f"{queue}; unsettled: {[d for d in found if not d.state.is_settled][:3]}"
            )
        await asyncio.sleep(0.1)


def ambiguous_per_delivery(events: Sequence[dict[str, str]], channel: str) -> Counter[str]:
    """How many times each delivery of `channel` became ambiguous (an answer that may
    have posted, or a worker lost mid-attempt): each may have left one post."""
    return Counter(
        e["article_id"]
        for e in events
        if e["type"] == "state" and e["channel"] == channel and e["state"] == "ambiguous"
    )


def resends(events: Sequence[dict[str, str]], channel: str) -> list[dict[str, str]]:
    return [
        e
        for e in events
        if e.get("channel") == channel and e["state"] == "sent" and e["note"].startswith("resend")
    ]


def check_posts(
    sandbox: Sandbox,
    articles: Sequence[Article],
    events: Sequence[dict[str, str]],
    *,
    tg: str = "tg-main",
    fb: str | None = "fb-page",
) -> dict[str, int]:
    """The post-count invariants; returns figures for the report.

    Facebook: exactly one post per article (an ambiguous attempt is reconciled by reading
    the Page back). Telegram: at least one post per article; more only after ambiguous
    attempts, at most one extra per ambiguous attempt of that delivery, and a delivery
    posted more than once was finished by a resend."""
    tg_posts = tg_posts_per_article(sandbox, articles)
    ambiguous = ambiguous_per_delivery(events, tg)
    resent = {e["article_id"] for e in resends(events, tg)}
    missing = [a.id for a in articles if tg_posts[a.id] == 0]
    assert not missing, f"{len(missing)} articles have no Telegram post: {missing[:5]}"
    over = {
        a.id: (tg_posts[a.id], ambiguous[a.id])
        for a in articles
        if tg_posts[a.id] > 1 + ambiguous[a.id]
    }
    assert not over, f"Telegram posts beyond 1 + ambiguous attempts (posts, ambiguous): {over}"
    unexplained = [a.id for a in articles if tg_posts[a.id] > 1 and a.id not in resent]
    assert not unexplained, f"posted twice on Telegram without a resend event: {unexplained}"
    figures = {
        "articles": len(articles),
        "tg_posts": sum(tg_posts.values()),
        "tg_resend_events": len(resends(events, tg)),
        "tg_ambiguous_events": sum(ambiguous.values()),
        "tg_duplicated_articles": sum(1 for n in tg_posts.values() if n > 1),
    }
    if fb is not None:
        fb_posts = fb_posts_per_article(sandbox, articles)
        wrong = {a.id: fb_posts[a.id] for a in articles if fb_posts[a.id] != 1}
        assert not wrong, f"Facebook posts per article other than 1: {wrong}"
        figures["fb_posts"] = sum(fb_posts.values())
        figures["fb_ambiguous_events"] = sum(ambiguous_per_delivery(events, fb).values())
    return figures


def states(deliveries: Iterable[Delivery]) -> Counter[State]:
    return Counter(d.state for d in deliveries)
