"""What a check is: a name, a verdict (ok / warn / fail), what was found and, when it is
not ok, what to do. The platforms' checks (PlatformHandle.diagnose) use the same model,
so the core can judge and show them without knowing the platform.

`concern` and `expires_at` are for the daily watch (bot/doctor/watch.py): a token check
that fails means the token stopped working, a rights check that is not ok means a right
is missing, and a check that could not reach its platform says nothing either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but look at it (a token expiring within 7 days)
    FAIL = "fail"  # will not work as configured


class Concern(StrEnum):
    """What a check is about, as far as the watch's alerts go."""

    NONE = "none"
    TOKEN = "token"  # the token works; FAIL: it stopped working (revoked, expired, wrong)
    RIGHTS = "rights"  # the bot's or Page's rights; not OK: one newsbot needs is missing
    UNREACHABLE = "unreachable"  # the platform could not be asked: nothing is known


@dataclass(frozen=True, slots=True)
class Check:
    name: str  # what was checked: "redis persistence", "tg-main rights"
    level: Level
    detail: str  # what was found, in one line
    advice: str = ""  # what to do, when it is not ok
    channels: tuple[str, ...] = ()  # the channels it is about
    concern: Concern = Concern.NONE
    expires_at: int | None = None  # a token's expiry (Unix seconds); 0: never

    @property
    def ok(self) -> bool:
        """Nothing fails: a warning is ok (`newsbot doctor` exits 0)."""
        return self.level is not Level.FAIL

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "level": self.level.value,
            "detail": self.detail,
            "advice": self.advice,
            "channels": list(self.channels),
            "expires_at": self.expires_at,
        }

    def redacted(self, redact: Callable[[str], str]) -> Check:
        """This check with `redact` (Redactor.redact) applied to its texts."""
        return replace(self, detail=redact(self.detail), advice=redact(self.advice))


def exit_code(checks: Sequence[Check]) -> int:
    """0 when nothing fails (warnings allowed), 1 otherwise."""
    return 0 if all(check.ok for check in checks) else 1
