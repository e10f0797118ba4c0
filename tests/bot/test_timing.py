"""Timing: embargo, delay, quiet hours (deferred or silent), min_spacing, breaking news
(bot/timing.py). The rules are pure; the end-to-end tests run the service on real Redis
against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import open_app
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import Article, State
from bot.platforms import ChannelConfig
from bot.timing import embargo, is_breaking, plan, quiet_until, quiet_window, silent_now
from bot.urls import article_id
from sandbox import Sandbox
from tests.bot.test_lifecycle import FB, TG, running, states
from tests.bot.test_pipeline import ENV, fixture_article
from tests.conftest import make_config

ALMATY = "Asia/Almaty"  # UTC+5


def channel(**values: object) -> ChannelConfig:
    return ChannelConfig.model_validate({"id": "c", "kind": "telegram", **values})


def article(n: int = 1, **values: object) -> Article:
    url = f"https://profit.kz/news/{n}/"
    fields = {"title": f"Статья {n}", **values}
    return replace(fixture_article(), id=article_id(url), url=url, **fields)


def at(hhmm: str) -> datetime:
    """A time of 2026-11-30 in Almaty, as UTC."""
    local = datetime.fromisoformat(f"2026-11-30T{hhmm}:00+05:00")
    return local.astimezone(UTC)


def quiet_now() -> str:
    """Quiet hours from an hour ago to an hour from now, in UTC (across midnight too)."""
    now = datetime.now(UTC)
    return f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"


def test_quiet_hours_across_midnight_end_the_next_morning() -> None:
    night = channel(quiet_hours="23:00-07:00")
    assert quiet_until(at("23:30"), night, ALMATY) == at("07:00") + timedelta(days=1)
    assert quiet_until(at("03:00"), night, ALMATY) == at("07:00")
    assert quiet_until(at("07:00"), night, ALMATY) is None
    assert quiet_until(at("12:00"), night, ALMATY) is None
    lunch = channel(quiet_hours="13:00-14:00", timezone="UTC")  # the channel's own zone
    assert quiet_until(at("18:30"), lunch, ALMATY) == at("19:00")


@pytest.mark.parametrize("spec", ["23:00", "25:00-07:00", "07:00-07:00", "night"])
def test_quiet_hours_that_cannot_be_read_are_refused_with_the_form(spec: str) -> None:
    with pytest.raises(ValueError, match=r"23:00-07:00|same minute"):
        quiet_window(spec)
    with pytest.raises(ValueError):
        channel(quiet_hours=spec)


def test_plan_embargo_delay_quiet_and_breaking() -> None:
    now = at("23:30")
    night = channel(quiet_hours="23:00-07:00", delay=10)
    a = article(published_at=now)
    assert plan(a, night, now, ALMATY, silent_ok=True).wait == "quiet"  # defer is the default
    assert plan(a, night, now, ALMATY, silent_ok=True).not_before == at("07:00") + timedelta(1)
    silent = night.model_copy(update={"quiet_mode": "silent"})
    timed = plan(a, silent, now, ALMATY, silent_ok=True)
    assert (timed.wait, timed.not_before) == ("delay", now + timedelta(minutes=10))
    # a platform that cannot post silently defers instead
    assert plan(a, silent, now, ALMATY, silent_ok=False).wait == "quiet"
    # breaking news skips the delay and the quiet hours, never the embargo
    urgent = replace(a, breaking=True)
    assert plan(urgent, night, now, ALMATY, silent_ok=True).not_before is None
    held = replace(urgent, publish_at=now + timedelta(hours=2))
    assert plan(held, night, now, ALMATY, silent_ok=True).not_before == now + timedelta(hours=2)
    assert plan(held, night, now, ALMATY, silent_ok=True).wait == "embargo"


def test_a_published_time_just_ahead_is_a_clock_not_an_embargo() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert embargo(article(published_at=now + timedelta(seconds=30)), now) is None
    ahead = now + timedelta(hours=3)
    assert embargo(article(published_at=ahead), now) == ahead


def test_breaking_by_push_tags_or_keywords() -> None:
    watch = channel(breaking_tags=["Срочно"], breaking_keywords=["землетрясение"])
    assert is_breaking(article(breaking=True), channel())
    assert is_breaking(article(tags=("срочно",)), watch)
    assert is_breaking(article(title="Землетрясение в Алматы"), watch)
    assert not is_breaking(article(title="Землетрясения не было"), watch)  # whole words


def test_silent_now_only_in_quiet_hours_on_a_platform_that_can() -> None:
    silent = channel(quiet_hours="23:00-07:00", quiet_mode="silent")
    assert silent_now(article(), silent, at("23:30"), ALMATY, silent_ok=True)
    assert not silent_now(article(), silent, at("23:30"), ALMATY, silent_ok=False)
    assert not silent_now(article(), silent, at("12:00"), ALMATY, silent_ok=True)
    assert not silent_now(article(breaking=True), silent, at("23:30"), ALMATY, silent_ok=True)


async def test_quiet_hours_defer_and_say_why(redis_server: EmbeddedRedis, sandbox: Sandbox) -> None:
    channels = [{**TG, "quiet_hours": quiet_now(), "timezone": "UTC"}, FB]
    config = make_config(redis_server.url, sandbox, channels=channels)
    a = article()
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(a)
        tg, _fb = await states(app, a.id, {"tg-main": State.QUEUED, "fb-page": State.SENT})
        [due] = await app.store.due_times([(a.id, "tg-main")])
        waiting = await app.editorial.queue()
    assert tg.wait == "quiet"
    end = datetime.now(UTC) + timedelta(hours=1)
    assert due is not None and abs(due / 1000 - end.replace(second=0).timestamp()) < 120
    assert [(w.delivery.channel, w.delivery.wait) for w in waiting] == [("tg-main", "quiet")]
    assert sandbox.telegram.posts == []


async def test_silent_quiet_hours_post_without_notification_where_the_platform_can(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    quiet = {"quiet_hours": quiet_now(), "timezone": "UTC", "quiet_mode": "silent"}
    config = make_config(redis_server.url, sandbox, channels=[{**TG, **quiet}, {**FB, **quiet}])
    calm, urgent = article(1), article(2, breaking=True)
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(calm)
        await app.ingest.submit(urgent)
        await states(app, calm.id, {"tg-main": State.SENT, "fb-page": State.QUEUED})
        await states(app, urgent.id, {"tg-main": State.SENT, "fb-page": State.SENT})
    silent = {p.html.split("\n")[0]: p.disable_notification for p in sandbox.telegram.posts}
    assert silent == {"<b>Статья 1</b>": True, "<b>Статья 2</b>": False}
    assert len(sandbox.facebook.posts) == 1  # Facebook cannot post silently: deferred


async def test_an_embargo_holds_every_channel_until_its_time(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[TG, FB])
    opens = datetime.now(UTC) + timedelta(seconds=2)
    a = article(publish_at=opens, breaking=True)
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(a)
        tg, fb = await app.store.deliveries(a.id)
        assert (tg.state, tg.wait, fb.wait) == (State.QUEUED, "embargo", "embargo")
        await states(app, a.id, {"tg-main": State.SENT, "fb-page": State.SENT}, timeout=10)
    assert sandbox.telegram.posts[0].date >= int(opens.timestamp())
    assert sandbox.facebook.posts[0].created_time >= int(opens.timestamp())


async def test_min_spacing_keeps_posts_apart_but_not_breaking_news(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[{**TG, "min_spacing": 2}])
    first, second, urgent = article(1), article(2), article(3, breaking=True)
    sent: dict[str, float] = {}
    async with open_app(config, env=ENV) as app, running(app):
        for a in (first, second):
            await app.ingest.submit(a)
        [planned] = await app.store.deliveries(second.id)
        assert planned.wait == "spacing"  # planned after the first, in order
        await states(app, first.id, {"tg-main": State.SENT})
        sent["first"] = time.monotonic()
        await app.ingest.submit(urgent)
        await states(app, urgent.id, {"tg-main": State.SENT}, timeout=1.5)
        sent["urgent"] = time.monotonic()
        await states(app, second.id, {"tg-main": State.SENT}, timeout=10)
        sent["second"] = time.monotonic()
    assert sent["urgent"] - sent["first"] < 1.5  # breaking news does not wait its turn
    assert sent["second"] - sent["first"] > 1.5  # two seconds apart, less our polling
    order = [p.html.split("\n")[0] for p in sandbox.telegram.posts]
    assert order == ["<b>Статья 1</b>", "<b>Статья 3</b>", "<b>Статья 2</b>"]
    await asyncio.sleep(0)
