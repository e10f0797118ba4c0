"""The checks of a configuration against the real services, in one run: Redis, each
platform's own checks (its tokens, every channel's existence and rights, token expiry:
PlatformHandle.diagnose), each feed, each template, and the service's own endpoints.

Everything that talks to a service runs concurrently, each with its own time limit,
so a run takes about as long as the slowest service. A check never raises: a part that
could not be asked is a failed check saying why. The same Doctor serves `newsbot
doctor` and the service's daily watch (bot/doctor/watch.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import aiohttp
import structlog

from bot.config import Config
from bot.doctor.endpoints import EditorsView, endpoint_checks
from bot.doctor.feeds import feed_checks
from bot.doctor.model import Check, Concern, Level
from bot.doctor.redis import redis_checks
from bot.doctor.templates import template_checks
from bot.platforms import Diagnose, Platforms
from bot.store.client import RedisClient

log = structlog.get_logger("doctor")
EXPIRY_WARN_DAYS = 7  # a token expiring sooner is a warning (and the editors are told)
DAY = 86400


@dataclass(slots=True)
class Doctor:
    config: Config
    platforms: Platforms
    fetcher: aiohttp.ClientSession  # the service's fetch session (feeds)
    redis: RedisClient | None = None  # None: it could not be opened (see `opening`)
    diagnosers: Sequence[Diagnose] = ()  # each open platform's own checks
    editors: EditorsView | None = None
    opening: Sequence[Check] = field(default_factory=tuple)  # parts that could not be opened

    async def run(self, now: float | None = None) -> list[Check]:
        """Every check, in a stable order: what could not be opened, Redis, the platforms,
        the feeds, the templates, the endpoints."""
        now = time.time() if now is None else now
        settings = self.config.settings
        redis, feeds, *platforms = await asyncio.gather(
            self._redis(),
            feed_checks(self.config.feeds, self.fetcher,
                        allow_private=settings.allow_private_networks, now=now),
            *(_platform(diagnose) for diagnose in self.diagnosers),
        )  # fmt: skip
        checks = [
            *self.opening,
            *redis,
            *(check for found in platforms for check in found),
            *feeds,
            *template_checks(self.config.active_channels, self.platforms),
            *endpoint_checks(settings, self.editors),
        ]
        return [judge_expiry(check, now) for check in checks]

    async def _redis(self) -> list[Check]:
        return [] if self.redis is None else await redis_checks(self.redis)


async def _platform(diagnose: Diagnose) -> list[Check]:
    try:
        return list(await diagnose())
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a platform's bug must not hide the other checks
        log.exception("platform checks failed")
        text = f"the platform's checks failed: {type(exc).__name__}"
        return [Check("platform", Level.FAIL, text, "see the log", concern=Concern.UNREACHABLE)]


def judge_expiry(check: Check, now: float) -> Check:
    """A working token's expiry, told: within EXPIRY_WARN_DAYS it is a warning, past it
    the token has stopped working."""
    if check.level is not Level.OK or not check.expires_at:
        return check
    left = (check.expires_at - now) / DAY
    date = f"{datetime.fromtimestamp(check.expires_at, UTC):%Y-%m-%d %H:%M} UTC"
    renew = check.advice or "make a new token and put it in place"
    if left <= 0:
        text = f"{check.detail}, expired {date}"
        return replace(check, level=Level.FAIL, detail=text, advice=f"{renew}, now")
    text = f"{check.detail}, expires {date} (in {_days(left)})"
    if left <= EXPIRY_WARN_DAYS:
        return replace(check, level=Level.WARN, detail=text, advice=f"{renew}, before {date}")
    return replace(check, detail=text)


def _days(days: float) -> str:
    return f"{days * 24:.0f} hours" if days < 1 else f"{days:.0f} days"
