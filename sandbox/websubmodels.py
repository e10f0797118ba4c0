"""The WebSub hub sandbox's records: subscriptions, intent verifications, publish
pings and content deliveries (sandbox.websub)."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Subscription:
    topic: str
    callback: str
    secret: str | None
    lease_seconds: int
    # "active"; "unverified" (the callback did not echo the challenge), "denied" (§5.2),
    # "unsubscribed", "expired" (its lease ran out), "gone" (the callback answered 410).
    state: str
    verified_at: float | None = None
    expires_at: float | None = None
    reason: str | None = None

    def is_active(self, now: float) -> bool:
        return self.state == "active" and self.expires_at is not None and now < self.expires_at


@dataclass
class Verification:
    """One GET to a callback: intent verification (mode subscribe or unsubscribe) or a
    denial (mode denied)."""

    mode: str
    topic: str
    callback: str
    status: int  # 0: no answer
    ok: bool  # 2xx with the challenge echoed
    at: float
    lease_seconds: int | None = None


@dataclass
class Publish:
    """A publish ping or `WebSubHub.notify`: the topic, when, how many subscribers it
    was for, and why nothing was sent if the topic could not be fetched."""

    topic: str
    at: float
    subscribers: int
    error: str | None = None


@dataclass
class Delivery:
    """One POST of a topic's content to a callback (attempt 1, then the retries)."""

    topic: str
    callback: str
    attempt: int
    status: int  # 0: no answer
    ok: bool
    at: float
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def json(self) -> dict[str, Any]:
        out = asdict(self)
        out["body"] = self.body.decode("utf-8", "replace")
        return out


def is_loopback_url(url: str) -> bool:
    """An http(s) URL whose host is this machine (localhost or a loopback address)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
