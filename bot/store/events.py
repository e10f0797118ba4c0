"""The events stream `{ns}:events`, written by the scripts and by the store, read as
typed Events (bot/events.py) by the editors' alerts (a consumer group: each event is
told once, however many processes run)."""

from __future__ import annotations

from typing import Any

from redis.exceptions import ResponseError

from bot.events import Event
from bot.store.client import RedisClient
from bot.store.keys import Keys, text

EDITORS_GROUP = "editors"
MAX_EVENTS = 100_000  # the stream is capped, roughly (MAXLEN ~)


class EventLog:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.key = keys.events

    async def ensure_group(self) -> None:
        """The editors' bot's group, made at start, so that what happens while the bot
        is down (approvals waiting) is told when it comes back."""
        try:
            await self.redis.xgroup_create(self.key, EDITORS_GROUP, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def emit(self, event: Event) -> None:
        fields: dict[Any, Any] = event.fields()
        await self.redis.xadd(self.key, fields, maxlen=MAX_EVENTS, approximate=True)

    async def next_for_editors(self, consumer: str, count: int, block_ms: int) -> list[Event]:
        """New events for the editors' bot (each to one of its processes), acknowledged
        as they are handed out: an alert is worth at most one message."""
        reply: Any = await self.redis.xreadgroup(
            EDITORS_GROUP, consumer, {self.key: ">"}, count=count, block=block_ms
        )
        events: list[Event] = []
        ids = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                ids.append(entry_id)
                event = Event.from_fields({text(a): text(b) for a, b in fields.items()})
                if event is not None:
                    events.append(event)
        if ids:
            await self.redis.xack(self.key, EDITORS_GROUP, *ids)
        return events

    async def recent(self, count: int) -> list[Event]:
        """The latest `count` events, newest first."""
        rows: Any = await self.redis.xrevrange(self.key, count=count)
        found = (Event.from_fields({text(a): text(b) for a, b in f.items()}) for _, f in rows)
        return [event for event in found if event is not None]
