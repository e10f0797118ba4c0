"""The doctor inside the service: in the leading process, at once when it starts leading
and then every NEWSBOT_DOCTOR_HOURS (24; 0: never). A problem is a warning in the log;
the service never refuses to start for one.

Each run records when every channel's token expires (`token_expiry`, read by /metrics)
and tells the editors, through the events stream, once per problem: a token expiring
within 7 days, again within 1 day, a token that stopped working, a right lost. The
problems told are kept in Redis (`token_alerts`), so a new leader does not tell them
again; one that goes away is forgotten, so it is told again if it comes back. A check
that could not reach its platform says nothing either way: what was told of its
channels stays told.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from bot.doctor.model import Check, Concern, Level
from bot.doctor.runner import DAY, EXPIRY_WARN_DAYS, Doctor
from bot.events import Event, EventType
from bot.infra.health import sleep_unless
from bot.platforms import FailureKind
from bot.store import Store
from bot.store.tokens import TokenMarks

RETRY_SECONDS = 300.0  # after a run that failed as a whole
log = structlog.get_logger("doctor")
URGENT_DAYS = 1  # the second expiry alert


@dataclass(frozen=True, slots=True)
class Problem:
    id: str  # stable while the problem lasts
    channels: str  # comma-separated
    event: Event | None  # None: remembered, not told (a more urgent alert covers it)


class TokenWatch:
    def __init__(self, doctor: Doctor, store: Store, hours: float) -> None:
        self.doctor = doctor
        self.store = store
        self.hours = hours
        self.marks = TokenMarks(store.redis, store.keys)

    async def run(self, leading: asyncio.Event) -> None:
        """Check now, then every `hours`, until leadership ends (`leading` is set)."""
        every = self.hours * 3600
        while every > 0 and not leading.is_set():
            wait = every
            try:
                await self.check_once()
            except Exception as exc:  # Redis away or a bug: tried again soon, not tomorrow
                log.error("doctor watch failed", error=repr(exc))
                wait = min(every, RETRY_SECONDS)
            await sleep_unless(leading, wait)

    async def check_once(self, now: float | None = None) -> list[Check]:
        """One run: log, record expiries, tell the editors of new problems."""
        now = time.time() if now is None else now
        checks = await self.doctor.run(now)
        for check in checks:
            if check.level is not Level.OK:
                log.warning("doctor check", check=check.name, level=check.level.value,
                            detail=check.detail, advice=check.advice)  # fmt: skip
        failed = sum(c.level is Level.FAIL for c in checks)
        log.info("doctor checks done", checks=len(checks), failed=failed,
                 warnings=sum(c.level is Level.WARN for c in checks))  # fmt: skip
        await self.marks.record_expiry(dict(_expiries(checks)))
        unknown = {ch for c in checks if c.concern is Concern.UNREACHABLE for ch in c.channels}
        problems = {p.id: p for p in problems_of(checks, now)}
        new = await self.marks.replace_problems(
            {p.id: p.channels for p in problems.values()},
            keep=lambda channels: bool(set(channels.split(",")) & unknown),
        )
        for problem_id in new:
            event = problems[problem_id].event
            if event is not None:
                await self.store.events.emit(event)
        return checks


def problems_of(checks: Sequence[Check], now: float) -> Iterator[Problem]:
    at_ms = int(now * 1000)
    for check in checks:
        channels = ",".join(check.channels)
        note = f"{check.detail} → {check.advice}" if check.advice else check.detail
        if check.concern is Concern.TOKEN and check.level is Level.FAIL:
            event = Event(EventType.TOKEN_BROKEN, channel=channels, note=note, at_ms=at_ms,
                          failure=FailureKind.TOKEN_INVALID)  # fmt: skip
            yield Problem(f"token:{check.name}", channels, event)
        elif check.concern is Concern.RIGHTS and check.level is not Level.OK:
            event = Event(EventType.RIGHT_LOST, channel=channels, note=note, at_ms=at_ms,
                          failure=FailureKind.FORBIDDEN)  # fmt: skip
            digest = hashlib.sha256(check.detail.encode()).hexdigest()[:12]
            yield Problem(f"rights:{check.name}:{digest}", channels, event)
        if check.expires_at and check.level is not Level.FAIL:
            yield from _expiring(check, channels, now)


def _expiring(check: Check, channels: str, now: float) -> Iterator[Problem]:
    assert check.expires_at is not None
    left = (check.expires_at - now) / DAY
    date = f"{datetime.fromtimestamp(check.expires_at, UTC):%Y-%m-%d %H:%M} UTC"
    for days in (EXPIRY_WARN_DAYS, URGENT_DAYS):
        if left > days:
            continue
        covered = days == EXPIRY_WARN_DAYS and left <= URGENT_DAYS  # only the urgent one
        event = Event(EventType.TOKEN_EXPIRING, channel=channels, note=date,
                      attempt=max(1, math.floor(left)), at_ms=int(now * 1000))  # fmt: skip
        day = date[:10]  # a renewed token expiring another day is another problem
        yield Problem(f"expiring{days}:{check.name}:{day}", channels, None if covered else event)


def _expiries(checks: Sequence[Check]) -> Iterator[tuple[str, int]]:
    for check in checks:
        if check.concern is Concern.TOKEN and check.expires_at is not None:
            for channel in check.channels:
                yield channel, check.expires_at
