"""Each channel's template on the fixture article (the first publisher's real article,
the first item of the demo feed, bot/cli/demo_data/feed.xml): it must render, fit the
platform's limit, and keep the post whole (no part dropped, the summary not cut to
less than two sentences). Loading the config already refused templates that do not
compile or make markup a platform refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

from bot.doctor.model import Check, Level
from bot.ingest.feedparse import parse_feed
from bot.models import Article
from bot.platforms import ChannelConfig, Platforms

FIXTURE_ID = "71234"  # profit.kz's article: its URL is /news/71234/...
CRAMPED = frozenset({"parts_dropped", "summary_cut"})  # the template leaves too little room


@cache
def fixture_article() -> Article:
    body = (resources.files("bot.cli") / "demo_data" / "feed.xml").read_bytes()
    articles = parse_feed(body, "doctor").articles
    return next(a for a in articles if f"/news/{FIXTURE_ID}/" in a.url)


def template_checks(channels: Sequence[ChannelConfig], platforms: Platforms) -> list[Check]:
    article = fixture_article()
    return [_template(channel, article, platforms) for channel in channels]


def _template(channel: ChannelConfig, article: Article, platforms: Platforms) -> Check:
    name, where = f"{channel.id} template", (channel.id,)
    fix = f"shorten the template of channel {channel.id} (or its signature, hashtags)"
    try:
        post = platforms.render(article, channel)
    except Exception as exc:  # a template error is the user's to fix, shown in one line
        text = f"the fixture article cannot be rendered: {type(exc).__name__}: {exc}"
        return Check(name, Level.FAIL, text, f"fix the template of channel {channel.id}", where)
    size = f"{post.call.method}, {post.length}/{post.limit} characters"
    if post.length > post.limit:
        return Check(name, Level.FAIL, f"{size}: over the limit", fix, where)
    cramped = [w.message for w in post.warnings if w.code in CRAMPED]
    if cramped:
        text = f"{size}: the fixture article does not fit whole: {cramped[0]}"
        return Check(name, Level.WARN, text, fix, where)
    return Check(name, Level.OK, f"renders the fixture article: {size}", channels=where)
