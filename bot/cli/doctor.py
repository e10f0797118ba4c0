"""`newsbot doctor [--json]`: a configuration checked against the real services before
going live (README "Before going live: newsbot doctor"). Redis and the platforms'
clients are opened the way the service opens them (bot/app.py); no service needs to run
and nothing is posted. A part that cannot be opened (Redis down, a token missing) is a
failed check and the others still run. Exit 0 when nothing fails (warnings allowed), 1
otherwise. Every known secret is redacted from what is printed.
"""

from __future__ import annotations

import sys
from contextlib import AsyncExitStack
from dataclasses import replace

import aiohttp

from bot.doctor.endpoints import EditorsView
from bot.doctor.model import Check, Level, exit_code
from bot.doctor.report import as_json, as_text
from bot.doctor.runner import Doctor
from bot.infra.logging import Redactor, configure_logging
from bot.infra.redis_embedded import EmbeddedRedisError
from bot.net import make_fetch_session
from bot.newsrooms import Newsroom
from bot.platforms import PlatformHandle, Platforms
from bot.settings import (
    ConfigError,
    load_settings,
    process_env,
    unknown_setting_sentence,
    unknown_settings,
)
from bot.urls import secrets_in_url


async def run_doctor(*, json: bool = False) -> int:
    redactor = Redactor()
    configure_logging("WARNING", redactor, stream=sys.stderr)  # stdout is the report
    checks = await doctor_checks(redactor)
    shown = [check.redacted(redactor.redact) for check in checks]
    print(as_json(shown) if json else as_text(shown))
    return exit_code(checks)


async def doctor_checks(redactor: Redactor) -> list[Check]:
    from bot.app import known_settings, platforms_for, settings_models
    from bot.newsrooms import load_newsrooms

    try:
        settings = load_settings()
        platforms = platforms_for(settings)
        env = process_env()
        rooms = load_newsrooms(platforms, settings, env, settings_models(platforms))
    except ConfigError as exc:
        return [_failed("config", str(exc))]
    typos = [
        Check(f"setting {name}", Level.WARN, unknown_setting_sentence(name, closest))
        for name, closest in unknown_settings(env, known_settings(platforms))
    ]
    checks: list[Check] = []
    for room in rooms:
        for feed in room.config.feeds:
            for secret in secrets_in_url(str(feed.url)):
                redactor.add(secret)
        async with AsyncExitStack() as stack:
            doctor = await _open(room, platforms, redactor, stack)
            doctor.opening = [*typos, *doctor.opening] if not checks else doctor.opening
            found = await doctor.run()
        # several newsrooms: each check names its newsroom
        checks += (
            [replace(c, name=f"{room.name}: {c.name}") for c in found] if room.prefix else found
        )
    return checks


async def _open(
    room: Newsroom, platforms: Platforms, redactor: Redactor, stack: AsyncExitStack
) -> Doctor:
    """What the doctor checks a newsroom with, opened by the composition root's helpers."""
    from bot.app import USER_AGENT, editors_of, open_outlets, open_redis

    config = room.config
    settings = config.settings
    opening: list[Check] = []
    redis = None
    try:
        redis, _url = await open_redis(settings, stack, redactor)
    except (ConfigError, EmbeddedRedisError) as exc:
        opening.append(_failed("redis", str(exc)))
    http = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
    stack.push_async_callback(http.close)
    handles: dict[str, PlatformHandle] = {}
    for platform in platforms:
        try:
            await open_outlets(
                config, Platforms([platform]), http, room.env, redactor, stack, handles
            )
        except ConfigError as exc:
            opening.append(_failed(f"{platform.kind} clients", str(exc)))
    editors: EditorsView | None = None
    try:
        editors = editors_of(room, True)
    except ConfigError as exc:
        opening.append(_failed("editors", str(exc)))
    fetcher = make_fetch_session(
        allow_private=settings.allow_private_networks, user_agent=USER_AGENT
    )
    stack.push_async_callback(fetcher.close)
    diagnosers = [h.diagnose for h in handles.values() if h.diagnose is not None]
    return Doctor(config, platforms, fetcher, redis, diagnosers, editors, opening)


def _failed(name: str, sentence: str) -> Check:
    """A ConfigError's sentence ("what is wrong: what to do") as a failed check."""
    detail, _, advice = sentence.rpartition(": ")
    return Check(name, Level.FAIL, detail or sentence, advice if detail else "")
