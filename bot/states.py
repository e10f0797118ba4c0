"""The delivery state machine: every state a delivery can be in, and every move the
core allows (docs/architecture.md "The state machine").

This table is the one definition. The Lua library (bot/store/lua/_lib.lua, `ALLOWED`)
mirrors it, and a test checks the two agree; every script moves a delivery through
`move()` there, which refuses what the table does not allow and says so in the
event stream (an event of type `refused`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class State(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRY_WAIT = "retry_wait"
    AMBIGUOUS = "ambiguous"  # the last attempt may have posted: check or resend next
    HELD = "held"  # ambiguous on a channel whose policy is to ask the editors
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETED = "deleted"  # posted, then deleted by an editor's /delete
    EDITING = "editing"  # posted; a correction waits or is in flight (the post is live)
    RETRACTING = "retracting"  # posted; its retraction waits or is in flight
    RETRACTED = "retracted"  # taken down: deleted, or replaced by the retraction notice

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def is_settled(self) -> bool:
        """Nothing more happens without an editor: final, or held for a decision."""
        return self in FINAL_STATES or self is State.HELD

    @property
    def is_live(self) -> bool:
        """A post exists on the platform (it may be changing)."""
        return self in LIVE_STATES


FINAL_STATES = frozenset(
    {State.SENT, State.FAILED, State.CANCELLED, State.DELETED, State.RETRACTED}
)
LIVE_STATES = frozenset({State.SENT, State.EDITING, State.RETRACTING})  # a post exists
NEW = ""  # the state of a delivery that does not exist yet

S = State
# from -> the states it may move to, and who moves it (the scripts of bot/store/lua).
TRANSITIONS: Mapping[str, frozenset[State]] = {
    NEW: frozenset({S.QUEUED, S.AWAITING_APPROVAL}),  # ingest
    # approve, delay or timeout (promote); skip; edit (the text changes, not the state)
    S.AWAITING_APPROVAL: frozenset({S.QUEUED, S.CANCELLED, S.AWAITING_APPROVAL}),
    S.QUEUED: frozenset({S.SENDING, S.CANCELLED}),  # claim; cancel
    # complete: the outcome of the attempt; claim: its worker was lost (queued, or
    # failed after max_crashes)
    S.SENDING: frozenset({S.SENT, S.RETRY_WAIT, S.AMBIGUOUS, S.HELD, S.FAILED, S.QUEUED}),
    S.RETRY_WAIT: frozenset({S.QUEUED, S.CANCELLED}),  # promote; cancel
    # promote: checked or resent on the next attempt; cancel (a retraction)
    S.AMBIGUOUS: frozenset({S.QUEUED, S.CANCELLED}),
    S.HELD: frozenset({S.QUEUED, S.SENT, S.CANCELLED}),  # resend or retry; confirm; cancel
    S.FAILED: frozenset({S.QUEUED}),  # retry
    S.CANCELLED: frozenset({S.QUEUED}),  # retry
    # deleted by an editor's /delete; a correction planned; a retraction planned
    S.SENT: frozenset({S.DELETED, S.EDITING, S.RETRACTING}),
    # edited (or the edit failed: the post keeps its last version); tried again; retracted
    S.EDITING: frozenset({S.SENT, S.EDITING, S.RETRACTING}),
    # taken down; impossible (the post stays, the editors are told); tried again
    S.RETRACTING: frozenset({S.RETRACTED, S.SENT, S.RETRACTING}),
    S.DELETED: frozenset(),
    S.RETRACTED: frozenset(),
}


def allowed(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())
