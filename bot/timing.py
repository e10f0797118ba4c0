"""When a channel posts an article (README "Timing"): an embargo (`publish_at` from a
push, or a page's published time in the future) holds every channel until then; per
channel, `delay` minutes after publication, `quiet_hours` (in the channel's `timezone`)
with `quiet_mode` "defer" (held until they end) or "silent" (posted without
notification where the platform can, else deferred), and `min_spacing` seconds between
two posts (a bucket of its own, beside the rate limit). A breaking article (`breaking`
in a push, or one of `breaking_tags` / `breaking_keywords`) skips delay, quiet hours and
spacing; never the embargo.

Pure functions of the article, the channel and the time; the planner (bot.ingest) and
the engine (bot.delivery) apply them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.models import Article
from bot.platforms import ChannelConfig, RateLimit
from bot.routing import matching

EMBARGO_SLACK = timedelta(minutes=1)  # a published time a minute ahead is a clock, not an embargo


@dataclass(frozen=True, slots=True)
class Timing:
    not_before: datetime | None  # None: now
    wait: str  # why it waits: "embargo", "delay", "quiet" ("" when it does not)


def is_breaking(article: Article, channel: ChannelConfig) -> bool:
    if article.breaking:
        return True
    wanted = {t.casefold() for t in channel.breaking_tags}
    if any(tag.casefold() in wanted for tag in article.tags):
        return True
    text = f"{article.title}\n{article.lead}"
    return bool(channel.breaking_keywords and matching(channel.breaking_keywords, text))


def quiet_window(spec: str) -> tuple[time, time]:
    """ "23:00-07:00" as (start, end); ValueError with a sentence otherwise."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in spec.split("-"))
    except ValueError:
        raise ValueError("must look like 23:00-07:00 (from-to, 24-hour clock)") from None
    if start == end:
        raise ValueError("must not start and end at the same minute")
    return start, end


def quiet_until(at: datetime, channel: ChannelConfig, zone: str) -> datetime | None:
    """When the channel's quiet hours around `at` end, or None when `at` is not in them."""
    if not channel.quiet_hours:
        return None
    start, end = quiet_window(channel.quiet_hours)
    local = at.astimezone(ZoneInfo(channel.timezone or zone))
    now = local.timetz().replace(tzinfo=None)
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return None
    day = local.date() if (start < end or now < end) else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=local.tzinfo)


def embargo(article: Article, now: datetime) -> datetime | None:
    """Not before this, on any channel: the push's publish_at, or a page's future time."""
    if article.publish_at is not None and article.publish_at > now:
        return article.publish_at
    published = article.published_at
    if published is not None and published > now + EMBARGO_SLACK:
        return published
    return None


def plan(
    article: Article, channel: ChannelConfig, now: datetime, zone: str, *, silent_ok: bool
) -> Timing:
    """When this channel may post this article, and why it waits. `silent_ok`: the
    platform can post without notification (quiet_mode "silent" does not defer)."""
    held = embargo(article, now)
    at, why = (held, "embargo") if held else (now, "")
    if is_breaking(article, channel):
        return Timing(held, why)
    if channel.delay:
        after = (article.published_at or now) + timedelta(minutes=channel.delay)
        if after > at:
            at, why = after, "delay"
    if channel.quiet_mode == "defer" or not silent_ok:
        end = quiet_until(at, channel, zone)
        if end is not None:
            at, why = end, "quiet"
    return Timing(at, why) if at > now else Timing(None, "")


def silent_now(
    article: Article, channel: ChannelConfig, now: datetime, zone: str, *, silent_ok: bool
) -> bool:
    """Post without notification now: the channel's quiet hours with quiet_mode "silent"
    on a platform that can, for an article that is not breaking."""
    return (
        silent_ok
        and channel.quiet_mode == "silent"
        and quiet_until(now, channel, zone) is not None
        and not is_breaking(article, channel)
    )


def spacing(channel: ChannelConfig) -> RateLimit:
    """The channel's min_spacing as a bucket: one post per `min_spacing` seconds, checked
    beside the platform's own limits and skipped for breaking news (claim.lua)."""
    return RateLimit(f"spacing:{channel.id}", 1 / channel.min_spacing, 1, reserve=False,
                     spacing=True)  # fmt: skip
