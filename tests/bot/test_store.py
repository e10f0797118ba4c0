"""State transitions of the Lua scripts, on a real Redis server."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from bot.models import Article, IngestOutcome, State
from bot.store import Completion, Store, now_ms
from bot.store.keys import Keys


def article(n: int = 1, **kw: object) -> Article:
    fields: dict[str, object] = {"id": f"a{n:015d}", "url": f"https://x.kz/{n}", "title": f"T{n}"}
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


async def store_for(redis: Redis) -> Store:
    store = Store(redis, Keys("test"))
    await store.ensure_groups()
    return store


async def test_ingest_plans_one_queued_delivery_per_channel_once(redis: Redis) -> None:
    store = await store_for(redis)
    first = await store.ingest(article(), ["tg", "fb"])
    again = await store.ingest(article(), ["tg", "fb"])
    assert first.outcome is IngestOutcome.NEW and first.channels == ("tg", "fb")
    assert again.outcome is IngestOutcome.DUPLICATE and again.channels == ()
    assert [d.state for d in await store.deliveries(article().id)] == [State.QUEUED] * 2
    assert await redis.xlen(store.keys.work) == 2


async def test_changed_content_is_an_update_not_a_new_delivery(redis: Redis) -> None:
    store = await store_for(redis)
    await store.ingest(article(), ["tg"])
    result = await store.ingest(article(title="T1 (обновлено)"), ["tg"])
    assert result.outcome is IngestOutcome.UPDATED
    assert await redis.xlen(store.keys.work) == 1
    assert (await store.get_article(article().id)).title == "T1 (обновлено)"  # type: ignore[union-attr]


async def test_backfill_articles_are_remembered_without_deliveries(redis: Redis) -> None:
    store = await store_for(redis)
    result = await store.ingest(article(), ["tg"], deliver=False)
    assert result.outcome is IngestOutcome.KNOWN
    assert await store.deliveries(article().id) == []
    assert (await store.ingest(article(), ["tg"])).outcome is IngestOutcome.DUPLICATE


async def test_claim_then_sent_records_remote_id_payload_and_history(redis: Redis) -> None:
    store = await store_for(redis)
    await store.ingest(article(), ["tg"])
    (job,) = await store.read_jobs("w1", 10, 100)
    claim = await store.claim(job, "w1", 60_000)
    assert claim is not None and claim.attempt == 1 and claim.article.title == "T1"
    assert await store.complete(
        claim, Completion(State.SENT, payload='{"m":1}', remote_id="-100:7", remote_url="u")
    )
    (d,) = await store.deliveries(job.article_id)
    assert (d.state, d.remote_id, d.remote_url, d.payload) == (State.SENT, "-100:7", "u", '{"m":1}')
    assert [t.state for t in d.history] == ["queued", "sending", "sent"]
    assert await redis.xlen(store.keys.work) == 0  # acknowledged and deleted
    events = await redis.xrange(store.keys.events)
    assert [e[1][b"state"] for e in events] == [b"queued", b"sending", b"sent"]


async def test_a_job_for_a_delivery_that_is_not_queued_is_dropped(redis: Redis) -> None:
    store = await store_for(redis)
    await store.ingest(article(), ["tg"])
    (job,) = await store.read_jobs("w1", 10, 100)
    claim = await store.claim(job, "w1", 60_000)
    assert claim is not None
    assert await store.claim(job, "w2", 60_000) is None  # a second claim of the same job
    (d,) = await store.deliveries(job.article_id)
    assert d.state is State.SENDING and d.attempts == 1


async def test_stale_claim_cannot_overwrite_a_newer_attempt(redis: Redis) -> None:
    store = await store_for(redis)
    await store.ingest(article(), ["tg"])
    (job,) = await store.read_jobs("w1", 10, 100)
    claim = await store.claim(job, "w1", 60_000)
    assert claim is not None
    await store.complete(claim, Completion(State.SENT, remote_id="1"))
    assert not await store.complete(claim, Completion(State.FAILED, error="late"))
    (d,) = await store.deliveries(job.article_id)
    assert d.state is State.SENT and d.last_error == ""


async def test_retry_waits_in_the_due_set_until_due_then_is_queued_again(redis: Redis) -> None:
    store = await store_for(redis)
    await store.ingest(article(), ["tg"])
    (job,) = await store.read_jobs("w1", 10, 100)
    claim = await store.claim(job, "w1", 60_000)
    assert claim is not None
    later = now_ms() + 60_000
    await store.complete(claim, Completion(State.RETRY_WAIT, error="retry: 429", next_at_ms=later))
    assert (await store.promote_due())[0] == 0  # not due yet
    await redis.zadd(store.keys.due, {f"publish:{job.article_id}:tg": now_ms() - 1})
    assert (await store.promote_due())[0] == 1
    (d,) = await store.deliveries(job.article_id)
    assert d.state is State.QUEUED and d.last_error == "retry: 429"
    (job2,) = await store.read_jobs("w1", 10, 100)
    claim2 = await store.claim(job2, "w1", 60_000)
    assert claim2 is not None and claim2.attempt == 2


async def test_history_is_bounded(redis: Redis) -> None:
    store = await store_for(redis)
    await store.ingest(article(), ["tg"])
    key = store.keys.delivery(article().id, "tg")
    for _ in range(40):
        (job,) = await store.read_jobs("w1", 10, 100)
        claim = await store.claim(job, "w1", 60_000)
        assert claim is not None
        await store.complete(claim, Completion(State.RETRY_WAIT, error="x", next_at_ms=0))
        await store.promote_due()
    history = json.loads(await redis.hget(key, "history"))  # type: ignore[arg-type]
    assert len(history) == 50 and history[0][1] == "queued"
