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
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from bot.content.warnings import EditorWarning
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
    warnings: tuple[EditorWarning, ...] = ()  # for the editors, shown with every preview

    def to_json(self) -> str:
        return json.dumps(
            {
                "method": self.method,
                "params": self.params,
                "length": self.length,
                "limit": self.limit,
                "warnings": [w.to_dict() for w in self.warnings],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Payload:
        data = json.loads(raw)
        warnings = tuple(EditorWarning.from_dict(w) for w in data.get("warnings") or ())
        return cls(
            data["method"], data["params"], data.get("length", 0), data.get("limit", 0), warnings
        )


@dataclass(frozen=True, slots=True)
class Receipt:
    """The platform's acceptance: its id for the post and, when known, a public link.

    `pause_seconds` > 0 asks the engine to pause the channel's bucket (the platform
    said, e.g. in usage headers, that it is close to throttling)."""

    remote_id: str
    url: str = ""
    pause_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One GCRA bucket shared by every worker: `per_second` sustained, `burst` at once.

    A reserving bucket (the channel's own) books each waiting job's future slot, so a
    backlog leaves in order at the full rate; the others are only checked."""

    name: str
    per_second: float
    burst: int = 1
    reserve: bool = True


class PublishError(Exception):
    """A platform refused or failed a call; `message` is the platform's own words, redacted.

    `retry_after` (seconds) pauses the channel's bucket for every worker, whatever
    the outcome: a 429, a Graph rate-limit code, a policy block."""

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
    # After an ambiguous answer on a platform that cannot be checked (Telegram cannot
    # list a channel's posts): send again, accepting a rare duplicate, or hold the
    # delivery for the editors. Platforms that can check (Facebook) always check.
    ambiguous: Literal["resend", "hold"] = "resend"
    # Editors approve each post first (README "Editors' bot"); with a timeout (seconds)
    # a post nobody decided on goes out by itself.
    approval: bool = False
    approval_timeout: float | None = Field(None, gt=0, le=7 * 86400)
    # The post (README "Posts and templates"): a Jinja2 template, inline or from a file
    # (`template_file`, read by the config loader), else the platform's default.
    template: str | None = Field(None, max_length=20_000)
    read_more: str = Field("Читать далее", min_length=1, max_length=64)
    hashtags: int = Field(8, ge=0, le=30)  # at most this many of the article's tags
    utm: dict[str, str] = Field(default_factory=dict)  # added to the article's link
    signature: str = Field("", max_length=200)
    summary_max: int = Field(700, ge=0, le=4000)  # code points of the summary, at most


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

    @property
    def can_reconcile(self) -> bool:
        """Whether find_existing can tell if an ambiguous attempt posted."""
        ...

    def render(self, article: Article) -> Payload: ...

    async def publish(self, payload: Payload) -> Receipt: ...

    def rate_limits(self) -> Sequence[RateLimit]:
        """The buckets a post to this channel draws from; the channel's own first."""
        ...

    async def find_existing(self, payload: Payload, since_ms: int) -> Receipt | None:
        """The post this payload made since `since_ms`, if the platform shows one."""
        ...

    async def delete(self, remote_id: str, sent_at_ms: int) -> None:
        """Retract the post `remote_id` (as its Receipt gave it), sent at `sent_at_ms`;
        PublishError (PERMANENT, code "too_old") when the platform no longer allows it."""
        ...


@dataclass(slots=True)
class PlatformHandle:
    publishers: dict[str, Publisher]
    close: Callable[[], Awaitable[None]]


class Platform(Protocol):
    CHANNEL_MODEL: type[ChannelConfig]

    def render_post(self, article: Article, channel: ChannelConfig) -> Payload:
        """What `channel` would receive for `article`: pure, no token needed (preview)."""
        ...

    def with_text(self, payload: Payload, text: str) -> Payload:
        """`payload` with an editor's text; ValueError (one sentence) if refused."""
        ...

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
