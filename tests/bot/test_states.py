"""The state machine: one table in Python (bot/states.py), mirrored in the Lua library
(bot/store/lua/_lib.lua); they agree, and every script refuses a move the table does
not allow, saying so in the events stream."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from bot.events import Event, EventType
from bot.models import Article
from bot.states import NEW, TRANSITIONS, State, allowed
from bot.store import Completion, Store
from bot.store.keys import Keys
from bot.store.scripts import library


async def lua_table(redis: Redis) -> dict[str, set[str]]:
    raw = await redis.eval(library() + "\nreturn cjson.encode(ALLOWED)", 0)
    table = json.loads(raw)
    # cjson encodes an empty Lua table as {} and '' as a key as ""
    return {state: set(targets) for state, targets in table.items()}


async def test_the_lua_table_mirrors_the_python_one(redis: Redis) -> None:
    python = {str(state): {str(s) for s in targets} for state, targets in TRANSITIONS.items()}
    assert await lua_table(redis) == python
    assert set(TRANSITIONS) == {NEW, *State}  # every state has its row


def test_final_states_move_only_by_an_editor() -> None:
    assert not TRANSITIONS[State.DELETED]
    assert allowed(State.SENT, State.DELETED) and not allowed(State.SENT, State.QUEUED)
    assert not allowed(State.FAILED, State.SENT)


def article() -> Article:
    return Article(id="a" * 16, url="https://x.kz/1", title="T")


async def refused(store: Store) -> list[Event]:
    events = await store.events.recent(100)
    return [e for e in events if e.type is EventType.REFUSED]


async def test_complete_refuses_a_state_the_table_does_not_allow(redis: Redis) -> None:
    # Regression: complete.lua wrote whatever state Python passed.
    store = Store(redis, Keys("states"))
    await store.ensure_groups()
    await store.ingest(article(), ["tg"])
    (job,) = await store.read_jobs("w", 1, 100)
    claim = await store.claim(job, "w", 60_000)
    assert claim is not None
    assert not await store.complete(claim, Completion(State.DELETED))
    (delivery,) = await store.deliveries(article().id)
    assert delivery.state is State.SENDING  # unchanged
    [event] = await refused(store)
    assert (event.channel, event.state) == ("tg", "deleted")
    assert event.note == "not allowed from sending to deleted"


async def test_an_editors_decision_the_table_does_not_allow_changes_nothing(
    redis: Redis,
) -> None:
    store = Store(redis, Keys("states2"))
    await store.ensure_groups()
    await store.ingest(article(), ["tg"])
    # "cancel" is allowed from queued; "deleted" (a retraction) is not: it never posted
    assert await store.decide(article().id, "tg", "deleted", "ed") == (False, "queued")
    assert await store.decide(article().id, "tg", "cancel", "ed") == (True, "cancelled")
    (delivery,) = await store.deliveries(article().id)
    assert [t.state for t in delivery.history] == ["queued", "cancelled"]
