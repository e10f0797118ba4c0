"""The one contract between the core and the platforms.

A platform is a package `publishers/<kind>/` whose `__init__` exposes
`CHANNEL_MODEL` (its channel settings, a `ChannelConfig` subclass) and
`create_publishers(channels, ctx) -> PlatformHandle`. The core loads it by the
channel's `kind`, so adding a platform means adding a folder, nothing else.

A publisher renders purely (article + channel -> Payload, no I/O) and sends
(Payload -> Receipt, or PublishError carrying one of four outcome classes).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from bot.models import Article

if TYPE_CHECKING:
    from bot.config import Settings


class Outcome(StrEnum):
    """How a platform answer moves a delivery (DESIGN.md "Delivery states")."""

    OK = "ok"
    RETRY = "retry"  # nothing was posted: try again later
    AMBIGUOUS = "ambiguous"  # the request may have been applied
    PERMANENT = "permanent"  # will never succeed as is


@dataclass(frozen=True, slots=True)
class Payload:
    """What a channel receives, exactly: stored with the delivery before sending."""

    method: str
    params: dict[str, Any]
    length: int = 0  # text length as the platform counts it
    limit: int = 0  # the platform's limit for that text

    def to_json(self) -> str:
        return json.dumps(
            {
                "method": self.method,
                "params": self.params,
                "length": self.length,
                "limit": self.limit,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Payload:
        data = json.loads(raw)
        return cls(data["method"], data["params"], data.get("length", 0), data.get("limit", 0))


@dataclass(frozen=True, slots=True)
class Receipt:
    """The platform's acceptance: its id for the post and, when known, a public link."""

    remote_id: str
    url: str = ""


class PublishError(Exception):
    """A platform refused or failed a call; `message` is the platform's own words, redacted."""

    def __init__(
        self,
        outcome: Outcome,
        message: str,
        *,
        retry_after: float | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.retry_after = retry_after
        self.code = code


class ChannelConfig(BaseModel):
    """Settings every channel has; platforms subclass it with their own keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    kind: str
    enabled: bool = True
    feeds: tuple[str, ...] = ()  # feed ids this channel takes; empty = every feed


@dataclass(slots=True)
class PlatformContext:
    """What the composition root hands a platform to build its publishers."""

    settings: Settings
    http: aiohttp.ClientSession
    env: Mapping[str, str]  # process environment plus .env, for per-channel secrets
    register_secret: Callable[[str], None] = field(default=lambda _secret: None)


class Publisher(Protocol):
    @property
    def channel(self) -> ChannelConfig: ...

    def render(self, article: Article) -> Payload: ...

    async def publish(self, payload: Payload) -> Receipt: ...


@dataclass(slots=True)
class PlatformHandle:
    publishers: dict[str, Publisher]
    close: Callable[[], Awaitable[None]]


class Platform(Protocol):
    CHANNEL_MODEL: type[ChannelConfig]

    def create_publishers(
        self, channels: Sequence[ChannelConfig], ctx: PlatformContext
    ) -> PlatformHandle: ...


def load_platform(kind: str) -> Platform:
    """The platform package for a channel kind, or LookupError naming the kind."""
    if not kind.isidentifier() or kind == "base":
        raise LookupError(f"unknown channel kind {kind!r}")
    try:
        module: ModuleType = importlib.import_module(f"publishers.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name != f"publishers.{kind}":
            raise
        raise LookupError(f"unknown channel kind {kind!r}") from None
    return cast(Platform, module)
