"""The core's value types: articles, deliveries and what the store reports.

Nothing here talks to Redis or a platform; these are the shapes every layer agrees on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from bot.states import State

__all__ = [
    "Article", "Delivery", "IngestOutcome", "IngestResult", "State", "Transition", "Version",
]  # fmt: skip


_TIMES = ("published_at", "updated_at", "publish_at")


@dataclass(frozen=True, slots=True)
class Article:
    """One published article, identified by the hash of its canonical URL."""

    id: str
    url: str
    title: str
    lead: str = ""
    body: str = ""
    image: str | None = None
    tags: tuple[str, ...] = ()
    published_at: datetime | None = None
    lang: str | None = None
    source: str = ""
    updated_at: datetime | None = None  # the page's stated last change, if any
    section: str = ""
    site_name: str = ""
    # What ingest had to change, for the editors: (code, detail), e.g. an image
    # refused or a field capped (bot.content.guard), bytes a feed could not decode.
    notes: tuple[tuple[str, str], ...] = ()
    publish_at: datetime | None = None  # an embargo: no channel posts it before this
    breaking: bool = False  # skips quiet hours, delay and spacing

    def content_hash(self) -> str:
        """Hash of what a subscriber sees (title, lead, image, tags): a change is a
        correction, never a new post. Prefixed "2:"; hashes stored before tags counted
        have no prefix (legacy_content_hash), so an upgrade edits nothing by itself."""
        fields = [self.title, self.lead, self.image or "", list(self.tags)]
        blob = json.dumps(fields, ensure_ascii=False)
        return "2:" + hashlib.sha256(blob.encode()).hexdigest()[:16]

    def legacy_content_hash(self) -> str:
        blob = json.dumps([self.title, self.lead, self.image or ""], ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def has_content_hash(self, stored: str | None) -> bool:
        """Whether `stored` (an article's hash in Redis) is this content's, either form."""
        if stored is None:
            return False
        return stored == (
            self.content_hash() if stored.startswith("2:") else self.legacy_content_hash()
        )

    def to_json(self) -> str:
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["notes"] = [list(note) for note in self.notes]
        for name in _TIMES:
            value = getattr(self, name)
            data[name] = value.isoformat() if value else None
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Article:
        data: dict[str, Any] = _loads(raw)
        for name in _TIMES:
            value = data.get(name)
            data[name] = datetime.fromisoformat(value) if value else None
        data["tags"] = tuple(data.get("tags") or ())
        data["notes"] = tuple((str(c), str(d)) for c, d in data.get("notes") or ())
        return cls(**data)


def _loads(raw: str | bytes) -> Any:
    """JSON by orjson (a worker reads an article per attempt; several times faster than
    json.loads); what it refuses and json.loads takes (a lone surrogate escape) goes to
    json.loads, so nothing that was read before fails now (an article has no integers)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


@dataclass(frozen=True, slots=True)
class Version:
    """One version a delivery published: the first post, a correction, the retraction."""

    number: int
    at_ms: int
    by: str  # who or what caused it ("published", "feed profit", "/refresh by @ed"...)
    text: str  # as sent ("" for a post that was deleted)


@dataclass(frozen=True, slots=True)
class Transition:
    """One line of a delivery's history."""

    at_ms: int
    state: str
    note: str = ""


@dataclass(slots=True)
class Delivery:
    """A delivery as read back from Redis, for status views and tests."""

    article_id: str
    channel: str
    state: State
    attempts: int = 0
    next_at_ms: int = 0
    remote_id: str = ""
    remote_url: str = ""
    last_error: str = ""
    failure: str = ""  # the FailureKind of the last error, "" when none
    payload: str = ""  # the stored Post (JSON)
    created_ms: int = 0
    updated_ms: int = 0
    history: list[Transition] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    wait: str = ""  # why a planned delivery waits (embargo, delay, quiet hours)
    correction_waits: bool = False  # a correction awaits the editors' decision

    @classmethod
    def from_hash(cls, article_id: str, channel: str, raw: dict[str, str]) -> Delivery:
        history = [Transition(*row) for row in json.loads(raw.get("history") or "[]")]
        versions = [
            Version(int(v.get("v", 0)), int(v.get("at", 0)), str(v.get("by", "")),
                    str(v.get("text", "")))
            for v in json.loads(raw.get("versions") or "[]")
        ]  # fmt: skip
        return cls(
            article_id=article_id,
            channel=channel,
            state=State(raw["state"]),
            attempts=int(raw.get("attempts") or 0),
            next_at_ms=int(raw.get("next_at") or 0),
            remote_id=raw.get("remote_id", ""),
            remote_url=raw.get("remote_url", ""),
            last_error=raw.get("last_error", ""),
            failure=raw.get("failure", ""),
            payload=raw.get("payload", ""),
            created_ms=int(raw.get("created_at") or 0),
            updated_ms=int(raw.get("updated_at") or 0),
            history=history,
            versions=versions,
            wait=raw.get("wait", ""),
            correction_waits=raw.get("pending_mode") == "approve",
        )

    @property
    def latency_ms(self) -> int | None:
        """From planning to the platform's acceptance, when sent."""
        if self.state is not State.SENT:
            return None
        sent_at = next((t.at_ms for t in reversed(self.history) if t.state == State.SENT), None)
        return None if sent_at is None else sent_at - self.created_ms


class IngestOutcome(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    UPDATED = "updated"
    KNOWN = "known"  # recorded without deliveries (feed backfill)


@dataclass(frozen=True, slots=True)
class IngestResult:
    article_id: str
    outcome: IngestOutcome
    channels: tuple[str, ...] = ()
