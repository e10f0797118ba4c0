"""`newsbot doctor`: every check against the real services (the test session's Redis,
the sandbox over HTTP, a local feed server), as functions and as the command (one line
per check, --json, the exit code), and the same checks run by the service at start-up."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from redis.asyncio import Redis

from bot.app import App, open_app
from bot.config import FeedConfig
from bot.doctor.endpoints import endpoint_checks
from bot.doctor.feeds import feed_checks
from bot.doctor.model import Check, Concern, Level
from bot.doctor.redis import REDIS_SETTINGS, redis_checks
from bot.infra.redis_embedded import EmbeddedRedis
from bot.net import make_fetch_session
from bot.settings import Settings, load
from sandbox import Fault, Sandbox
from tests.bot.test_cli import env_for
from tests.bot.test_pipeline import ENV
from tests.conftest import (
    BOT_TOKEN,
    PAGE_ID,
    PAGE_TOKEN,
    FeedServer,
    editors_settings,
    make_config,
)

FRESH = 1764149400.0 + 3600  # an hour after the fixture feed's newest item (2025-11-26)
ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def opened(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_url: str = "", **settings: Any
) -> AsyncIterator[App]:
    """The service's objects (not running), with the sandbox's Page registered."""
    if not sandbox.facebook.pages:
        sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN)
    feeds = [{"id": "profit", "url": feed_url}] if feed_url else []
    config = make_config(redis_server.url, sandbox, feeds=feeds, **settings)
    editors = editors_settings(EDITOR_IDS="111")
    async with open_app(config, env=ENV, editors=editors) as app:
        yield app


async def run_checks(app: App, now: float = FRESH) -> dict[str, Check]:
    assert app.watch is not None
    return {check.name: check for check in await app.watch.doctor.run(now)}


async def test_a_healthy_configuration_passes_every_check(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    async with opened(redis_server, sandbox, feed_server.url) as app:
        checks = await run_checks(app)
    assert {name: c.level for name, c in checks.items() if c.level is not Level.OK} == {}
    assert list(checks) == [
        "redis", "redis persistence", "redis eviction", "telegram bot", "tg-main chat",
        "tg-main rights", "fb-page token", "fb-page permissions", "feed profit",
        "tg-main template", "fb-page template", "editors", "webhook", "push", "websub",
    ]  # fmt: skip
    assert checks["redis"].detail.startswith("Redis 6.2")
    assert checks["tg-main rights"].detail == "administrator: can post, edit and delete messages"
    assert checks["telegram bot"].expires_at == checks["fb-page token"].expires_at == 0
    assert "never expires" in checks["fb-page token"].detail
    assert "newest 2025-11-26" in checks["feed profit"].detail
    assert checks["tg-main template"].detail.startswith("renders the fixture article: sendPhoto")
    # the service's check of a feed reads it whole: no conditional GET, no state kept
    assert "If-None-Match" not in feed_server.requests[-1]


async def test_a_stale_feed_is_a_warning(feed_server: FeedServer) -> None:
    async with make_fetch_session(allow_private=True, user_agent="t") as session:
        feed = FeedConfig(id="old", url=feed_server.url)  # type: ignore[arg-type]
        [check] = await feed_checks([feed], session, allow_private=True, now=FRESH + 30 * 86400)
    assert check.level is Level.WARN and "nothing new for over 7 days" in check.detail


async def test_redis_settings_that_lose_deliveries_fail(redis_server: EmbeddedRedis) -> None:
    redis = Redis.from_url(redis_server.url)
    try:
        await redis.config_set("maxmemory-policy", "allkeys-lru")
        await redis.config_set("appendonly", "no")
        checks = {c.name: c for c in await redis_checks(redis)}
        assert checks["redis eviction"].level is Level.FAIL
        assert "allkeys-lru" in checks["redis eviction"].detail
        assert "maxmemory-policy noeviction" in checks["redis eviction"].advice
        assert checks["redis persistence"].level is Level.FAIL
        await redis.config_set("appendonly", "yes")
        await redis.config_set("appendfsync", "no")
        checks = {c.name: c for c in await redis_checks(redis)}
        assert checks["redis persistence"].level is Level.WARN
    finally:
        await redis.config_set("maxmemory-policy", "noeviction")
        await redis.config_set("appendonly", "yes")
        await redis.config_set("appendfsync", "everysec")
        await redis.aclose()


def test_compose_starts_redis_with_the_settings_the_doctor_requires() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    args = compose["services"]["redis"]["command"][1:]
    options = {args[i].removeprefix("--"): args[i + 1] for i in range(0, len(args), 2)}
    assert {k: options.get(k) for k in REDIS_SETTINGS} == REDIS_SETTINGS


async def test_lost_telegram_rights_are_named(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.telegram.add_chat("@newsbot_test")
    async with opened(redis_server, sandbox) as app:
        sandbox.telegram.set_rights("@newsbot_test", can_edit=False)
        rights = (await run_checks(app))["tg-main rights"]
        assert (rights.level, rights.concern) == (Level.WARN, Concern.RIGHTS)
        assert "without can_edit_messages" in rights.detail
        assert "Edit messages of others" in rights.advice
        sandbox.telegram.set_rights("@newsbot_test", can_post=False)
        rights = (await run_checks(app))["tg-main rights"]
        assert rights.level is Level.FAIL and "without can_post_messages" in rights.detail
        sandbox.telegram.set_rights("@newsbot_test", kicked=True)
        rights = (await run_checks(app))["tg-main rights"]
        assert rights.level is Level.FAIL and "(status: kicked)" in rights.detail
        sandbox.telegram.strict_chats = True
        sandbox.telegram.chats.by_id.clear()
        chat = (await run_checks(app))["tg-main chat"]
        assert chat.level is Level.FAIL and "chat not found" in chat.detail
        assert "add the bot to that channel as an administrator" in chat.advice


async def test_a_revoked_bot_token_fails_as_a_token_problem(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with opened(redis_server, sandbox) as app:
        sandbox.telegram.revoke_token(BOT_TOKEN)
        checks = await run_checks(app)
    bot = checks["telegram bot"]
    assert (bot.level, bot.concern, bot.channels) == (Level.FAIL, Concern.TOKEN, ("tg-main",))
    assert "Unauthorized" in bot.detail and "@BotFather" in bot.advice
    assert "tg-main chat" not in checks  # nothing more can be asked with a dead token
    assert BOT_TOKEN not in json.dumps([c.to_dict() for c in checks.values()])


async def test_an_unreachable_platform_is_not_a_lost_right(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with opened(redis_server, sandbox) as app:
        sandbox.telegram.faults.add(Fault(kind="status", method="getChat", status=502,
                                          description="Bad Gateway"))  # fmt: skip
        chat = (await run_checks(app))["tg-main chat"]
    assert (chat.level, chat.concern) == (Level.FAIL, Concern.UNREACHABLE)


@pytest.mark.parametrize(
    ("page", "name", "level", "concern", "said"),
    [
        ({"expires_at": 3 * 86400}, "fb-page token", Level.WARN, Concern.TOKEN, "expires 20"),
        ({"token_type": "USER"}, "fb-page token", Level.FAIL, Concern.TOKEN, "a USER token"),
        ({"scopes": ("pages_read_engagement",)}, "fb-page permissions", Level.FAIL,
         Concern.RIGHTS, "lacks pages_manage_posts"),
        ({"expires_at": -60}, "fb-page token", Level.FAIL, Concern.TOKEN, "Session has expired"),
    ],
)  # fmt: skip
async def test_page_tokens_are_judged_by_debug_token(
    redis_server: EmbeddedRedis,
    sandbox: Sandbox,
    page: dict[str, Any],
    name: str,
    level: Level,
    concern: Concern,
    said: str,
) -> None:
    if "expires_at" in page:
        page["expires_at"] += int(time.time())
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN, **page)
    async with opened(redis_server, sandbox) as app:
        check = (await run_checks(app, now=time.time()))[name]
    assert (check.level, check.concern) == (level, concern)
    assert said in check.detail and "FACEBOOK_PAGE_TOKEN" in check.advice + check.detail
    if level is Level.WARN:
        assert check.expires_at == page["expires_at"] and "(in 3 days)" in check.detail


async def test_another_pages_token_and_a_revoked_one_fail(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.facebook.add_page("100000000000099", PAGE_TOKEN)
    async with opened(redis_server, sandbox) as app:
        token = (await run_checks(app))["fb-page token"]
        assert token.level is Level.FAIL
        assert "page 100000000000099's, not page 100000000000042's" in token.detail
        sandbox.facebook.invalidate_token(PAGE_TOKEN)
        token = (await run_checks(app))["fb-page token"]
    assert (token.level, token.concern) == (Level.FAIL, Concern.TOKEN)
    assert "(190)" in token.detail and PAGE_TOKEN not in token.detail


async def test_an_app_token_may_inspect_the_page_tokens(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    app_token = f"{sandbox.facebook.app_id}|{sandbox.facebook.app_secret}"
    async with opened(redis_server, sandbox, FACEBOOK_APP_TOKEN=app_token) as app:
        assert (await run_checks(app))["fb-page token"].level is Level.OK
    async with opened(redis_server, sandbox, FACEBOOK_APP_TOKEN="1|wrong-secret") as app:
        token = (await run_checks(app))["fb-page token"]
    assert (token.level, token.concern) == (Level.FAIL, Concern.UNREACHABLE)
    assert "FACEBOOK_APP_TOKEN" in token.detail and "wrong-secret" not in token.detail


async def test_feeds_that_cannot_be_read_fail(feed_server: FeedServer) -> None:
    feed = FeedConfig(id="profit", url=feed_server.url)  # type: ignore[arg-type]
    async with make_fetch_session(allow_private=True, user_agent="t") as session:
        feed_server.status = 404
        [missing] = await feed_checks([feed], session, allow_private=True, now=FRESH)
        feed_server.status, feed_server.body = 200, b"<html><body>news</body></html>"
        [not_a_feed] = await feed_checks([feed], session, allow_private=True, now=FRESH)
        [private] = await feed_checks([feed], session, allow_private=False, now=FRESH)
    assert missing.level is Level.FAIL and "answered HTTP 404" in missing.detail
    assert not_a_feed.level is Level.FAIL and "not an RSS or Atom feed" in not_a_feed.detail
    assert private.level is Level.FAIL and "cannot be fetched" in private.detail


async def test_a_template_that_crowds_out_the_article_warns_or_fails(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    def channel(ads: int) -> dict[str, Any]:
        text = "<b>{{ title }}</b>\n" + "Реклама. " * ads + "\n{{ summary }}\n{{ url }}"
        return {"id": f"tg-{ads}", "kind": "telegram", "chat": "@newsbot_test", "template": text}

    async with opened(redis_server, sandbox, channels=[channel(430), channel(460)]) as app:
        checks = await run_checks(app)
    cramped, too_long = checks["tg-430 template"], checks["tg-460 template"]
    assert cramped.level is Level.WARN and "does not fit whole" in cramped.detail
    assert "shorten the template of channel tg-430" in cramped.advice
    assert too_long.level is Level.FAIL and "cannot be rendered" in too_long.detail


def test_webhook_push_and_websub_settings_are_judged() -> None:
    values = {"_env_file": None, "NEWSBOT_INGEST_SECRET": "short",
              "NEWSBOT_PUBLIC_URL": "http://news.example.com"}  # fmt: skip
    editors = editors_settings(
        EDITOR_IDS="111", TELEGRAM_WEBHOOK_URL="https://bot.example.com:8080/tg",
        TELEGRAM_WEBHOOK_SECRET="s3cret",
    )  # fmt: skip
    checks = {c.name: c for c in endpoint_checks(load(Settings, **values), editors)}
    assert checks["webhook"].level is Level.FAIL and "ports 443, 80, 88" in checks["webhook"].detail
    assert checks["push"].level is Level.WARN and "openssl rand" in checks["push"].advice
    assert checks["websub"].level is Level.WARN
    assert endpoint_checks(load(Settings, _env_file=None), None)[0].level is Level.WARN


async def doctor_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_newsbot_doctor_prints_one_line_per_check_and_json_for_machines(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN)
    env = env_for(tmp_path, redis_server.url, sandbox, feed_server.url)
    code, out, err = await doctor_cli(env, tmp_path)
    assert code == 0, out + err  # the fixture feed is old: a warning, not a failure
    lines = out.splitlines()
    assert lines[0].startswith("ok    redis ") and "Redis 6.2" in lines[0]
    assert any(line.startswith("warn  feed profit") for line in lines)
    assert any(line.strip().startswith("→ check url of feed profit") for line in lines)
    assert lines[-1].startswith("15 checks: 13 ok, 2 warnings, 0 failed")  # feed, editors
    code, out, _ = await doctor_cli(env, tmp_path, "--json")
    checks = json.loads(out)
    assert code == 0 and len(checks) == 15
    assert all({"name", "ok", "level", "detail", "advice"} <= c.keys() for c in checks)
    assert {c["name"]: c["ok"] for c in checks}["tg-main rights"] is True


async def test_newsbot_doctor_exits_1_on_a_failure_and_prints_no_secret(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN)
    sandbox.telegram.revoke_token(BOT_TOKEN)
    env = env_for(tmp_path, redis_server.url, sandbox, feed_server.url)
    code, out, err = await doctor_cli(env, tmp_path)
    assert code == 1
    assert "FAIL  telegram bot" in out and "→ get the bot's current token" in out
    assert BOT_TOKEN not in out + err and PAGE_TOKEN not in out + err


async def test_newsbot_doctor_reports_what_cannot_be_opened_and_checks_the_rest(
    tmp_path: Path, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN)
    env = env_for(tmp_path, "redis://127.0.0.1:1/0", sandbox, feed_server.url)
    del env["TELEGRAM_BOT_TOKEN"]
    env["NEWSBOT_WORKRES"] = "3"
    code, out, _ = await doctor_cli(env, tmp_path, "--json")
    checks = {c["name"]: c for c in json.loads(out)}
    assert code == 1
    assert (
        checks["redis"]["ok"] is False and "start it or fix REDIS_URL" in checks["redis"]["advice"]
    )
    assert "TELEGRAM_BOT_TOKEN is not set" in checks["telegram clients"]["detail"]
    assert checks["fb-page token"]["ok"] is True  # the other platform was still asked
    assert "did you mean NEWSBOT_WORKERS?" in checks["setting NEWSBOT_WORKRES"]["detail"]


async def test_newsbot_doctor_says_what_is_wrong_with_the_config(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBOT_CONFIG": str(tmp_path / "missing.toml")}
    code, out, _ = await doctor_cli(env, tmp_path)
    assert code == 1 and out.startswith("FAIL  config")
    assert "does not exist" in out and "→ set NEWSBOT_CONFIG" in out


async def test_the_service_runs_the_checks_at_start_up_and_records_token_expiry(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    expires = int(time.time()) + 20 * 86400
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN, expires_at=expires)
    sandbox.telegram.add_chat("@newsbot_test", can_post=False)  # a problem: warn, run anyway
    async with opened(redis_server, sandbox, NEWSBOT_DOCTOR_HOURS=24) as app:
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(stop))
        key = app.store.keys.token_expiry()
        deadline = time.monotonic() + 20
        events: list[str] = []
        # the expiry is recorded first, the editors' events right after it
        while not await app.redis.hget(key, "fb-page") or "right_lost" not in events:
            assert time.monotonic() < deadline and not task.done()
            await asyncio.sleep(0.05)
            events = [e.type.value for e in await app.store.events.recent(20)]
        expiry = await app.redis.hgetall(key)
        stop.set()
        await asyncio.wait_for(task, 30)
    assert expiry == {b"fb-page": str(expires).encode()}  # a bot token never expires: no field
    assert "right_lost" in events
