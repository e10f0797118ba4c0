"""The service on a real Redis Cluster (3 masters, 3 replicas): it connects from a
`redis+cluster://` URL, delivers, keeps every key of the namespace in one slot, runs
its transactions and the editors' bot's storage there, and confirms its writes on the
replica with WAIT, going on (logged once) while the replica does not answer."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio import Redis
from structlog.testing import capture_logs

from bot.app import open_app
from bot.models import State
from bot.store import Keys, Store
from bot.store.client import RedisCluster as ClusterClient
from bot.store.metrics import MetricsStore
from bot.store.replication import Replication
from bot.store.tokens import TokenMarks
from sandbox import Sandbox
from tests.bot.test_pipeline import ENV
from tests.chaos.helpers import make_articles, wait_until_settled
from tests.cluster.conftest import _require_server
from tests.cluster.scenario import failover_config
from tests.cluster.servers import PASSWORD, RedisCluster

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


@pytest.fixture(scope="module")
async def shared(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisCluster]:
    """One cluster for the tests that kill nothing."""
    _require_server()
    topology = RedisCluster(tmp_path_factory.mktemp("shared-cluster"))
    try:
        await topology.start()
        yield topology
    finally:
        await topology.stop()


async def keys_by_node(topology: RedisCluster) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for server in topology.servers[: topology.masters]:
        client = server.client()
        try:
            found[server.port] = [k.decode() async for k in client.scan_iter(count=1000)]
        finally:
            await client.aclose()
    return found


async def test_service_delivers_on_a_cluster_with_every_key_in_the_namespace_slot(
    shared: RedisCluster, sandbox: Sandbox
) -> None:
    config = failover_config(shared.url, sandbox)
    ns = config.settings.namespace
    items = make_articles(12, "cluster")
    async with open_app(config, env=ENV) as app:
        assert isinstance(app.redis, ClusterClient)
        assert app.store.replication.replicas == 1  # default: the master has a replica
        stop = asyncio.Event()
        runner = asyncio.create_task(app.run(stop, poll_feeds=False))
        try:
            for article in items:
                await app.ingest.submit(article)
            deliveries = await wait_until_settled(app.store, [a.id for a in items], 2, 60)
            # what MULTI/EXEC and WATCH did, as scripts: the editors' flood limit, a
            # WebSub subscription's compare-and-set, the metrics, the token alerts
            assert [await app.store.editors.count_command(7) for _ in range(2)] == [1, 2]
            assert await app.store.websub.change("feed", lambda held: {"state": "pending"})
            assert await app.store.pushes.add({"event": "published", "url": items[0].url})
            metrics = MetricsStore(app.redis, app.store.keys)
            await metrics.add({"posts": 2}, {"seconds": 0.5}, "p1", 1)
            assert (await metrics.snapshot([], [], 0)).counters == {"posts": 2.0, "seconds": 0.5}
            tokens = TokenMarks(app.redis, app.store.keys)
            assert await tokens.replace_problems({"p": "tg-main"}, lambda _: False) == ["p"]
            assert await tokens.told() == {"p": "tg-main"}
        finally:
            stop.set()
            await runner
        confirmed = app.store.replication.confirmed
    assert [d.state for d in deliveries] == [State.SENT] * 24
    assert len(sandbox.telegram.posts) == len(sandbox.facebook.posts) == 12
    assert confirmed >= 24 * 2 + 12  # a claim and an outcome per delivery, each plan
    found = await keys_by_node(shared)
    holders = {port for port, keys in found.items() if keys}
    assert len(holders) == 1, {p: k[:3] for p, k in found.items()}  # one master holds it all
    (keys,) = [k for k in found.values() if k]
    strays = [k for k in keys if not k.startswith(f"{{{ns}}}")]
    assert not strays, strays  # every key carries the namespace's hash tag


async def test_editors_bot_storage_and_event_lock_work_on_a_cluster(shared: RedisCluster) -> None:
    store = Store(
        ClusterClient.from_url(f"redis://:{PASSWORD}@127.0.0.1:{shared.servers[0].port}"),
        Keys("editors"),
    )
    builder = DefaultKeyBuilder(prefix=f"{store.keys.prefix}:fsm", with_bot_id=True)
    plain = cast(Redis, store.redis)  # as handlers/bot.py hands it to aiogram
    storage = RedisStorage(plain, key_builder=builder)
    key = StorageKey(bot_id=1, chat_id=2, user_id=3)
    try:
        await storage.set_state(key, "editing")
        await storage.set_data(key, {"article": "a1"})
        assert await storage.get_state(key) == "editing"
        assert await storage.get_data(key) == {"article": "a1"}
        async with RedisEventIsolation(plain, key_builder=builder).lock(key):
            assert await store.redis.exists(builder.build(key, "lock")) == 1
    finally:
        await store.redis.aclose()


async def test_a_replica_that_does_not_answer_is_logged_once_and_writes_go_on(
    shared: RedisCluster,
) -> None:
    """WAIT falls short while the replica is frozen (SIGSTOP): confirm says so and the
    service goes on; once it answers again, writes are confirmed again."""
    keys = Keys("lagging")
    master = await shared.master_of(keys.fence)
    replica = await shared.replica_of(master)
    client = ClusterClient.from_url(f"redis://:{PASSWORD}@127.0.0.1:{master.port}")

    def node(host: str, port: int) -> Redis:
        return Redis(host=host, port=port, password=PASSWORD)

    replication = Replication(client, keys.fence, replicas=1, timeout_ms=200, node_client=node)
    assert replica.process is not None
    try:
        with capture_logs() as logs:
            await client.set(keys.paused, "x")
            assert await replication.confirm()
            replica.process.send_signal(signal.SIGSTOP)
            try:
                await client.set(keys.paused, "y")
                assert not await replication.confirm()
                assert replication.behind and not await replication.confirm()  # still short
            finally:
                replica.process.send_signal(signal.SIGCONT)
            for _ in range(50):  # it catches up within moments
                if await replication.confirm():
                    break
    finally:
        await replication.aclose()
        await client.aclose()
    assert not replication.behind and replication.short >= 2
    said = [e["event"] for e in logs if e["event"].startswith("redis replicas")]
    assert said == [
        "redis replicas behind: writes go on unconfirmed",
        "redis replicas confirm writes again",
    ]


async def test_newsrooms_spread_over_the_shards_each_whole_on_one(
    shared: RedisCluster, sandbox: Sandbox, tmp_path: Path
) -> None:
    """Three newsrooms on one cluster: a namespace's slot (CRC16 of its hash tag) picks
    its master, so newsrooms land on different shards, each with all its keys on one."""
    from tests.bot.test_newsrooms import article, article_in, settled, three_newsrooms

    run, namespaces, masters = uuid.uuid4().hex[:6], {}, set()
    for name in ("alpha", "beta", "gamma"):  # the first names that land on a new master
        for n in range(100):
            candidate = f"{name}-{run}-{n}"
            port = (await shared.master_of(Keys(candidate).fence)).port
            if port not in masters:
                namespaces[name], masters = candidate, masters | {port}
                break
    async with three_newsrooms(tmp_path, shared.url, sandbox, namespaces) as service:
        items = {name: article(name, 1) for name in service.apps}
        for name, app in service.apps.items():
            await app.ingest.submit(items[name])
        for name, app in service.apps.items():
            await settled(app, [items[name].id], timeout=60)
            assert article_in(sandbox, items[name]) == {f"{name}_news"}
    found = await keys_by_node(shared)
    homes = {}
    for name, ns in namespaces.items():
        holders = {
            port for port, keys in found.items() if any(k.startswith(f"{{{ns}}}") for k in keys)
        }
        assert len(holders) == 1, (name, holders)  # a newsroom is whole on one master
        homes[name] = holders.pop()
    assert len(set(homes.values())) == 3, homes  # three newsrooms, three shards


async def test_the_doctor_judges_every_master_of_a_cluster(shared: RedisCluster) -> None:
    """One master with an evicting policy fails the check, whichever node redis-py
    would have asked by default."""
    from bot.doctor.redis import redis_checks

    client = ClusterClient.from_url(f"redis://:{PASSWORD}@127.0.0.1:{shared.servers[0].port}")
    odd = shared.servers[shared.masters - 1].client()
    try:
        before = {c.name: c.level.value for c in await redis_checks(client)}
        await odd.config_set("maxmemory-policy", "allkeys-lru")
        after = {c.name: c.level.value for c in await redis_checks(client)}
    finally:
        await odd.config_set("maxmemory-policy", "noeviction")
        await odd.aclose()
        await client.aclose()
    assert before["redis eviction"] == "ok" and after["redis eviction"] == "fail"
    assert after["redis persistence"] == before["redis persistence"]
