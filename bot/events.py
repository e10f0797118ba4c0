"""The events stream `{ns}:events`: one typed record per thing that happened, written by
the Lua scripts (`emit` in bot/store/lua/_lib.lua) and by the store, read by the editors'
alerts (and the board and metrics later). One schema for every writer: a field the
record does not use is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.platforms import FailureKind


class EventType(StrEnum):
    STATE = "state"  # a delivery moved (state, attempt, note, failure)
    REFUSED = "refused"  # a script refused a move the state machine does not allow
    ARTICLE_UPDATED = "article_updated"  # a known article's content changed
    ARTICLE_KNOWN = "article_known"  # remembered without deliveries (a feed's backfill)
    FEED_FAILING = "feed_failing"  # a feed failed FEED_ALERT_STREAK polls in a row
    EDIT_PROPOSED = "edit_proposed"  # a correction of a posted article awaits the editors
    ARTICLE_GONE = "article_gone"  # a posted article's page answers 410, or 404 twice
    # the token watch (bot/doctor/watch.py), each problem once; `channel`: the channels
    # it concerns, comma-separated
    TOKEN_EXPIRING = "token_expiring"  # within 7 days (attempt: days left; note: the date)
    TOKEN_BROKEN = "token_broken"  # a token stopped working (note: what was found)
    RIGHT_LOST = "right_lost"  # a right newsbot needs is missing (note: which)


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    article_id: str = ""
    channel: str = ""
    state: str = ""  # the delivery's new state (REFUSED: the state it was refused)
    attempt: int = 0  # FEED_FAILING: the failures in a row
    note: str = ""  # why, in words
    at_ms: int = 0
    failure: FailureKind | None = None  # what went wrong, when something did
    feed: str = ""

    def fields(self) -> dict[str, str]:
        """As written to the stream (the same keys the Lua `emit` writes)."""
        return {
            "type": self.type.value,
            "article_id": self.article_id,
            "channel": self.channel,
            "state": self.state,
            "attempt": str(self.attempt),
            "note": self.note,
            "at": str(self.at_ms),
            "failure": self.failure.value if self.failure else "",
            "feed": self.feed,
        }

    @classmethod
    def from_fields(cls, raw: Mapping[str, str]) -> Event | None:
        """The event of a stream entry; None for an entry of a type this version does
        not know (a newer writer), which readers skip."""
        try:
            kind = EventType(raw.get("type", ""))
        except ValueError:
            return None
        failure = raw.get("failure") or ""
        known = {kind.value for kind in FailureKind}
        return cls(
            type=kind,
            article_id=raw.get("article_id", ""),
            channel=raw.get("channel", ""),
            state=raw.get("state", ""),
            attempt=int(raw.get("attempt") or 0),
            note=raw.get("note", ""),
            at_ms=int(raw.get("at") or 0),
            failure=FailureKind(failure) if failure in known else None,
            feed=raw.get("feed", ""),
        )
