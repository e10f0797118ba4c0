"""Push ingest: a CMS tells newsbot about an article the moment it is published,
updated or unpublished, instead of waiting for the next feed poll.

Two doors, one stream: `POST /ingest` (signed) and `XADD {ns}:ingest` (a CMS on the same
Redis) both put a push into the `{ns}:ingest` stream; every process reads it through
the consumer group `ingest` (bot/ingest/pusher.py). A request is answered 202 only once
its push is in the stream (Redis persists it), so an accepted push is never lost.

The request: a JSON object {"event": "published" | "updated" | "unpublished", "url",
optional "title", "summary", "image", "tags", "language", "section", "published_at",
"publish_at", "breaking"}, with the headers X-Newsbot-Timestamp (unix seconds) and
X-Newsbot-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with
NEWSBOT_INGEST_SECRET>. No secret configured, a missing or wrong signature, or a
timestamp more than 5 minutes away: 401. A body that is not such an object: 400 with
a sentence. The timestamp is signed with the body, so a captured request cannot be
replayed after 5 minutes, nor its body changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.urls import BadUrlError, clean_url

EVENTS = ("published", "updated", "unpublished")
MAX_SKEW_SECONDS = 300
TEXT_FIELDS = ("title", "summary", "image", "language", "section")
TIME_FIELDS = ("published_at", "publish_at")
MAX_FIELD_CHARS = 20_000


class PushRejected(ValueError):
    """A push that cannot be taken; the message is one sentence for the CMS's developer."""


@dataclass(frozen=True, slots=True)
class Push:
    event: str
    url: str
    title: str = ""
    summary: str = ""
    image: str = ""
    tags: tuple[str, ...] = ()
    language: str = ""
    section: str = ""
    published_at: datetime | None = None
    publish_at: datetime | None = None  # an embargo: not before this
    breaking: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        """As a stream entry (the same fields a CMS may XADD itself)."""
        out = {"event": self.event, "url": self.url, "breaking": "1" if self.breaking else "0"}
        out.update({name: getattr(self, name) for name in TEXT_FIELDS if getattr(self, name)})
        if self.tags:
            out["tags"] = json.dumps(list(self.tags), ensure_ascii=False)
        for name in TIME_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value.isoformat()
        return out


def verify(secret: str | None, timestamp: str, signature: str, body: bytes) -> str | None:
    """Why a request's signature is refused (None when it is right)."""
    if not secret:
        return "pushes are off: set NEWSBOT_INGEST_SECRET to accept them"
    try:
        sent = int(timestamp)
    except ValueError:
        return "X-Newsbot-Timestamp must be unix seconds"
    if abs(time.time() - sent) > MAX_SKEW_SECONDS:
        return "X-Newsbot-Timestamp is more than 5 minutes away: sign each request anew"
    expected = hmac.new(secret.encode(), f"{sent}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.strip(), f"sha256={expected}"):
        return "X-Newsbot-Signature is not sha256=<HMAC-SHA256 of '<timestamp>.<body>'>"
    return None


def parse_body(body: bytes) -> Push:
    try:
        data = json.loads(body)
    except ValueError:
        raise PushRejected("the body is not JSON: send one JSON object") from None
    if not isinstance(data, dict):
        raise PushRejected("the body must be a JSON object with event and url")
    return parse_fields(data)


def parse_fields(data: dict[str, Any]) -> Push:
    """A push from a request's JSON or a stream entry's fields; PushRejected says why not."""
    event = data.get("event")
    if event not in EVENTS:
        raise PushRejected(f"event must be one of {', '.join(EVENTS)}")
    raw_url = data.get("url")
    if not isinstance(raw_url, str):
        raise PushRejected("url is required: the article's address")
    try:
        url = clean_url(raw_url)
    except BadUrlError:
        raise PushRejected("url must be the article's http(s) address") from None
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = data.get(name, "")
        if not isinstance(value, str):
            raise PushRejected(f"{name} must be a string")
        values[name] = value[:MAX_FIELD_CHARS]
    for name in TIME_FIELDS:
        values[name] = _time(name, data.get(name))
    return Push(event, url, tags=_tags(data.get("tags")), breaking=_flag(data.get("breaking")),
                **values)  # fmt: skip


def _tags(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):  # a stream entry: JSON, or comma-separated
        try:
            value = json.loads(value)
        except ValueError:
            value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise PushRejected("tags must be a list of strings")
    return tuple(t.strip() for t in value if t.strip())[:50]


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false"):
        return False
    if value in ("1", "true"):
        return True
    raise PushRejected("breaking must be true or false")


def _time(name: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PushRejected(f"{name} must be an ISO 8601 time with its offset")
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PushRejected(
            f"{name} must be an ISO 8601 time like 2025-11-26T13:30:00+05:00"
        ) from None
    if found.tzinfo is None:
        raise PushRejected(f"{name} must carry its offset (+05:00 or Z)")
    return found
