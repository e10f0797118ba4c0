"""An outcome recorded together with the worker's next read (lua/complete.lua, one round
trip instead of two): the job it hands over is the worker's, as its own XREADGROUP
would have made it, and nothing is read when no worker is named."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.models import Article, State
from bot.store import Claim, Completion, Store
from bot.store.keys import WORK_GROUP, Keys


def article(n: int) -> Article:
    return Article(id=f"b{n:015d}", url=f"https://x.kz/{n}", title=f"T{n}")


async def claimed(store: Store, worker: str) -> Claim:
    (job,) = await store.read_jobs(worker, 1, 100)
    claim = await store.claim(job, worker, 60_000)
    assert isinstance(claim, Claim)
    return claim


async def test_the_outcome_hands_the_worker_its_next_job(redis: Redis) -> None:
    store = Store(redis, Keys("read-next"))
    await store.ensure_groups()
    for n in (1, 2):
        await store.ingest(article(n), ["tg"])
    first = await claimed(store, "w1")
    recorded, jobs = await store.complete_and_read(first, Completion(State.SENT), "w1")
    assert recorded and [j.article_id for j in jobs] == [article(2).id]
    pending = await redis.xpending_range(store.keys.work, WORK_GROUP, "-", "+", 10)
    assert [(p["message_id"].decode(), p["consumer"].decode()) for p in pending] == [
        (jobs[0].entry_id, "w1")
    ]  # the first job acknowledged and gone, the next one pending for w1
    second = await store.claim(jobs[0], "w1", 60_000)
    assert isinstance(second, Claim) and second.attempt == 1
    recorded, more = await store.complete_and_read(second, Completion(State.SENT), "w1")
    assert recorded and more == []  # the stream is empty: the worker blocks in its own read
    assert [d.state for d in await store.deliveries(article(2).id)] == [State.SENT]


async def test_a_stale_outcome_still_hands_over_the_next_job(redis: Redis) -> None:
    store = Store(redis, Keys("read-stale"))
    await store.ensure_groups()
    for n in (1, 2):
        await store.ingest(article(n), ["tg"])
    claim = await claimed(store, "w1")
    assert await store.complete(claim, Completion(State.SENT))  # reads nothing
    assert await redis.xlen(store.keys.work) == 1
    recorded, jobs = await store.complete_and_read(claim, Completion(State.FAILED), "w2")
    assert not recorded and [j.article_id for j in jobs] == [article(2).id]


async def test_a_worker_on_its_own_connection_sees_the_same_store(redis: Redis) -> None:
    store = Store(redis, Keys("own-conn"))
    await store.ensure_groups()
    await store.ingest(article(1), ["tg"])
    async with store.own_connection() as own:
        assert own.redis is not store.redis and own.keys is store.keys
        claim = await claimed(own, "w1")
        assert await own.complete(claim, Completion(State.SENT, remote_id="-100:1"))
    (delivery,) = await store.deliveries(article(1).id)
    assert delivery.state is State.SENT and delivery.remote_id == "-100:1"
