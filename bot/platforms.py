"""What a platform is, as the core defines it (docs/architecture.md "Platforms").

The core owns this contract and never imports a platform; a platform is a package
(`publishers/<kind>/`) whose module exposes `PLATFORM`, an object with:
- `kind`, `channel_model` (its channel settings, a ChannelConfig subclass) and
  `settings_model` (its own environment settings, with its own prefix);
- `render(article, channel) -> Post`: pure, no I/O, the same article always gives the
  same post; `with_text(post, text) -> Post` (an editor's text, ValueError when refused);
  `example_channel()` (a channel with every default, for previews without a config);
- `open(channels, ctx) -> PlatformHandle`: one client (Publisher) per channel;
- `capabilities`: the operations beyond publishing that its clients support;
- `outcomes`: its outcome table, every answer it knows and what it means;
- optionally, on the handle `open` returns, `diagnose()`: its own checks for `newsbot
  doctor` and the daily watch (its tokens, each channel's existence and rights, when
  each token expires), as `Check`s (bot/doctor/model.py).
Only the composition root loads platforms (`load_platforms`, by module name).

A Post is what a channel receives, typed so that any consumer (preview, approval,
alerts, the demo, status) can show it without knowing the platform; its `call` is the
exact platform call, read only by its own client. A failure is a PublishError with an
Outcome (how the delivery moves) and a FailureKind (what went wrong): the core decides
on those enums, never on a platform's words, which travel only to be shown.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import aiohttp
from pydantic_settings import BaseSettings

from bot.channels import READ_MORE, RETRACTED_TEXT, ChannelConfig, Localized, localized
from bot.content.warnings import EditorWarning
from bot.doctor.model import Check, Concern, Level
from bot.models import Article

__all__ = [
    "READ_MORE", "RETRACTED_TEXT", "Capability", "ChannelConfig", "Check", "Concern",
    "Diagnose", "FailureKind", "Level", "LinkPreview", "Localized", "Outcome", "OutcomeRule",
    "Outlet", "Platform", "PlatformCall",
    "PlatformContext", "PlatformHandle", "Platforms", "Post", "PostFormat", "PublishError",
    "Publisher", "RateLimit", "Receipt", "UnknownKind", "load_platforms", "localized", "vars_of",
]  # fmt: skip


class Outcome(StrEnum):
    """How a platform's answer moves a delivery (docs/architecture.md "Delivery")."""

    OK = "ok"
    RETRY = "retry"  # nothing was posted: try again later
    AMBIGUOUS = "ambiguous"  # the request may have been applied
    PERMANENT = "permanent"  # will never succeed as is


class FailureKind(StrEnum):
    """What went wrong, whatever the platform: alerts and the engine decide on it."""

    RATE_LIMITED = "rate_limited"  # wait retry_after, for every worker on the bucket
    UNAVAILABLE = "unavailable"  # network, timeout, 5xx: the platform did not answer
    BAD_REQUEST = "bad_request"  # our call was wrong (a rendering bug): worth an alert
    MEDIA_UNAVAILABLE = "media_unavailable"  # the platform could not fetch or use the image
    FORBIDDEN = "forbidden"  # the bot or Page lost a right, or was removed
    TOKEN_INVALID = "token_invalid"  # revoked, expired or malformed token
    NOT_FOUND = "not_found"  # the chat, Page or post does not exist
    DUPLICATE = "duplicate"  # the platform says it has this post already
    TOO_OLD = "too_old"  # the platform no longer allows this on a post that old
    POLICY_BLOCKED = "policy_blocked"  # blocked for policy (a long pause)
    UNKNOWN = "unknown"

    @property
    def is_access(self) -> bool:
        """A token or permission problem: the editors must fix it, retrying will not."""
        return self in (FailureKind.FORBIDDEN, FailureKind.TOKEN_INVALID, FailureKind.NOT_FOUND)


class Capability(StrEnum):
    """What a platform's clients can do beyond publishing."""

    RECONCILE = "reconcile"  # find the post an ambiguous attempt may have made
    DELETE = "delete"
    EDIT = "edit"  # change a post in place (a correction, a retraction notice)
    SILENT = "silent"  # post without notifying the subscribers (quiet hours)


@dataclass(frozen=True, slots=True)
class OutcomeRule:
    """One row of a platform's outcome table: an answer it knows (`match`: an error
    code, a description prefix...) and what it means."""

    match: str
    outcome: Outcome
    kind: FailureKind | None  # None for answers that are a success (OK)
    code: str  # the platform's own short name for it, for logs and tests


class PublishError(Exception):
    """A platform refused or failed a call. `message` is the platform's own words,
    redacted; decide on `outcome` and `kind`. `retry_after` (seconds) pauses the
    channel's bucket for every worker (a 429, Graph throttling, a policy block)."""

    def __init__(
        self,
        outcome: Outcome,
        kind: FailureKind,
        message: str,
        *,
        retry_after: float | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.code = code


class PostFormat(StrEnum):
    HTML = "html"  # Telegram's HTML subset: a consumer shows `text` as HTML
    PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class LinkPreview:
    url: str
    above_text: bool = False
    large_media: bool = True


@dataclass(frozen=True, slots=True)
class PlatformCall:
    """The exact call a post is: read only by the client of the platform that made it."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Post:
    """What a channel receives, stored with the delivery before anything is sent."""

    text: str  # as sent, in `format`
    format: PostFormat
    plain: str  # what a reader sees (HTML: the text without its tags)
    length: int  # as the platform counts it
    limit: int  # the platform's limit for this text
    call: PlatformCall
    image: str | None = None
    link: str | None = None  # the article's link as the post carries it (UTM added)
    link_preview: LinkPreview | None = None
    warnings: tuple[EditorWarning, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "text": self.text,
                "format": self.format.value,
                "plain": self.plain,
                "length": self.length,
                "limit": self.limit,
                "call": {"method": self.call.method, "params": self.call.params},
                "image": self.image,
                "link": self.link,
                "link_preview": None if self.link_preview is None else vars_of(self.link_preview),
                "warnings": [w.to_dict() for w in self.warnings],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Post:
        data = json.loads(raw)
        preview = data.get("link_preview")
        return cls(
            text=data["text"],
            format=PostFormat(data["format"]),
            plain=data.get("plain", ""),
            length=data.get("length", 0),
            limit=data.get("limit", 0),
            call=PlatformCall(data["call"]["method"], data["call"]["params"]),
            image=data.get("image"),
            link=data.get("link"),
            link_preview=LinkPreview(**preview) if preview else None,
            warnings=tuple(EditorWarning.from_dict(w) for w in data.get("warnings") or ()),
        )


def vars_of(preview: LinkPreview) -> dict[str, Any]:
    return {
        "url": preview.url,
        "above_text": preview.above_text,
        "large_media": preview.large_media,
    }


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
    spacing: bool = False  # a channel's min_spacing: only checked, and not for breaking news


@dataclass(slots=True)
class PlatformContext:
    """What the composition root hands a platform to build its clients."""

    settings: BaseSettings  # the platform's own settings (its settings_model)
    http: aiohttp.ClientSession  # shared; the composition root closes it
    env: Mapping[str, str]  # process environment plus .env, for per-channel secrets
    register_secret: Callable[[str], None] = field(default=lambda _secret: None)


class Publisher(Protocol):
    """A platform's client for one channel. Everything but `publish` is optional, as
    the platform's `capabilities` say; what it cannot do raises PublishError."""

    @property
    def channel(self) -> ChannelConfig: ...

    def rate_limits(self) -> Sequence[RateLimit]:
        """The buckets a post to this channel draws from; the channel's own first."""
        ...

    async def publish(self, post: Post, *, silent: bool = False) -> Receipt:
        """Post it; `silent` (SILENT): without notifying the subscribers."""
        ...

    async def edit(self, remote_id: str, previous: Post, new: Post) -> Receipt:
        """Replace the post `remote_id` (made from `previous`) by `new` (EDIT); a post
        already showing `new` is a success. Never creates a second post."""
        ...

    async def find_existing(self, post: Post, since_ms: int) -> Receipt | None:
        """The post this one made since `since_ms`, if the platform shows one (RECONCILE)."""
        ...

    async def delete(self, remote_id: str, sent_at_ms: int) -> None:
        """Retract the post `remote_id` sent at `sent_at_ms` (DELETE); PublishError with
        FailureKind.TOO_OLD when the platform no longer allows it."""
        ...


# A platform's own checks: never raises; a platform it cannot reach is a failed check
# with Concern.UNREACHABLE.
Diagnose = Callable[[], Awaitable[Sequence[Check]]]


@dataclass(slots=True)
class PlatformHandle:
    publishers: dict[str, Publisher]
    close: Callable[[], Awaitable[None]]
    diagnose: Diagnose | None = None  # None: the platform has no checks of its own


@dataclass(frozen=True, slots=True)
class Outlet:
    """One configured channel as the core uses it: its settings, its platform (render,
    capabilities) and its open client."""

    channel: ChannelConfig
    platform: Platform
    publisher: Publisher

    def can(self, capability: Capability) -> bool:
        return capability in self.platform.capabilities

    def render(self, article: Article, like: Post | None = None) -> Post:
        return self.platform.render(article, self.channel, like)


class Platform(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def channel_model(self) -> type[ChannelConfig]: ...

    @property
    def settings_model(self) -> type[BaseSettings]: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    @property
    def outcomes(self) -> Sequence[OutcomeRule]: ...

    def render(self, article: Article, channel: ChannelConfig, like: Post | None = None) -> Post:
        """`like`: the live post an edit will replace, whose form (a photo, a link
        post...) the edit must keep."""
        ...

    def with_text(self, post: Post, text: str) -> Post: ...

    def example_channel(self) -> ChannelConfig:
        """A channel with every default (id = kind): what a new installation would get."""
        ...

    def open(self, channels: Sequence[ChannelConfig], ctx: PlatformContext) -> PlatformHandle:
        """One client per channel of this platform's kind among `channels`."""
        ...


class UnknownKind(LookupError):
    """A channel names a kind no loaded platform has; the message is one sentence."""


class Platforms:
    """The loaded platforms, by kind: the one place the core asks for a platform."""

    def __init__(self, platforms: Iterable[Platform]) -> None:
        self._by_kind = {p.kind: p for p in platforms}

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._by_kind)

    def __iter__(self) -> Iterator[Platform]:
        return iter(self._by_kind.values())

    def get(self, kind: str) -> Platform:
        try:
            return self._by_kind[kind]
        except KeyError:
            known = ", ".join(f'"{k}"' for k in self._by_kind)
            raise UnknownKind(f"unknown kind {kind!r}: use one of {known}") from None

    def render(self, article: Article, channel: ChannelConfig) -> Post:
        return self.get(channel.kind).render(article, channel, None)


def load_platforms(modules: Sequence[str]) -> Platforms:
    """The platforms of these modules (each exposing PLATFORM), for the composition
    root; an unknown module is one sentence."""
    found: list[Platform] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            raise UnknownKind(f"platform module {name!r} cannot be imported") from None
        platform = getattr(module, "PLATFORM", None)
        if platform is None:
            raise UnknownKind(f"module {name!r} has no PLATFORM: it is not a newsbot platform")
        found.append(platform)
    return Platforms(found)
