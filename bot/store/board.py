"""What the delivery board (bot/board/) reads beside articles and deliveries: the events
stream tailed with a plain XREAD (no consumer group: every open board sees every event,
and a board never acknowledges anything), the queue's counts and the cooldowns of
rate-limit buckets. Read-only: the board changes nothing in Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.events import Event
from bot.store.client import RedisClient
from bot.store.keys import Keys, now_ms, text

# The stream's first id: "everything" for XREAD, used when the stream is still empty.
START = "0-0"


@dataclass(frozen=True, slots=True)
class QueueCounts:
    ready: int  # jobs in the work stream: being sent or about to be
    scheduled: int  # jobs in the due set: later (timing, retries, rate limits, approvals)
    due_now: int  # of those, already due (the promoter moves them within a second)
    next_due_ms: int | None  # when the earliest scheduled job is due
    paused_by: str | None  # an editor's /pause, or None


class BoardReads:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def last_event_id(self) -> str:
        """The id of the newest event (START when there is none): a board page shows
        the state as of this id and its live stream reads what comes after it."""
        rows: Any = await self.redis.xrevrange(self.keys.events, count=1)
        return text(rows[0][0]) if rows else START

    async def tail(
        self, after: str, count: int = 200, block_ms: int = 5000
    ) -> tuple[str, list[Event]]:
        """Events after the id `after`, waiting up to `block_ms` for one: (the id to
        read after next time, the events; entries of unknown types are skipped)."""
        reply: Any = await self.redis.xread({self.keys.events: after}, count=count, block=block_ms)
        events: list[Event] = []
        last = after
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                last = text(entry_id)
                event = Event.from_fields({text(a): text(b) for a, b in fields.items()})
                if event is not None:
                    events.append(event)
        return last, events

    async def queue(self) -> QueueCounts:
        pipe = self.redis.pipeline(transaction=False)
        pipe.xlen(self.keys.work)
        pipe.zcard(self.keys.due)
        pipe.zcount(self.keys.due, "-inf", now_ms())
        pipe.zrange(self.keys.due, 0, 0, withscores=True)
        pipe.get(self.keys.paused)
        ready, scheduled, due_now, first, paused = await pipe.execute()
        next_due = int(first[0][1]) if first else None
        who = text(paused).rsplit("@", 1)[0] if paused else None
        return QueueCounts(int(ready), int(scheduled), int(due_now), next_due, who)

    async def cooldowns(self, buckets: Sequence[str]) -> dict[str, int]:
        """The buckets that are paused now (a 429, throttling): bucket -> ms left."""
        if not buckets:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for bucket in buckets:
            pipe.pttl(self.keys.cooldown(bucket))
        found = zip(buckets, await pipe.execute(), strict=True)
        return {bucket: int(ttl) for bucket, ttl in found if int(ttl) > 0}
