"""The master holding the namespace dies (SIGKILL) in the middle of a stream of
deliveries, on a real Redis Cluster (3 masters, 3 replicas) and under real Sentinels
(a master, a replica, three sentinels): the replica takes over, the service
reconnects by itself, and every delivery ends sent, with no Facebook post twice and a
Telegram post twice only where an ambiguous attempt was recorded (README "Redis
Cluster and Sentinel")."""

from __future__ import annotations

import pytest

from bot.models import State
from sandbox import Sandbox
from tests.chaos.helpers import check_posts
from tests.cluster.scenario import failover_config, run_failover, states
from tests.cluster.servers import (
    MASTER_NAME,
    PASSWORD,
    SENTINEL_PASSWORD,
    RedisCluster,
    SentinelGroup,
)

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
ARTICLES = 60


async def test_cluster_master_killed_mid_run_loses_nothing_and_posts_no_facebook_duplicate(
    cluster: RedisCluster, sandbox: Sandbox
) -> None:
    config = failover_config(cluster.url, sandbox)
    victim = await cluster.master_of(f"{{{config.settings.namespace}}}:work")
    replica = await cluster.replica_of(victim)

    async def kill() -> None:
        await victim.kill()
        await cluster.wait_promoted(replica)

    figures, deliveries, events, items = await run_failover(config, sandbox, kill, ARTICLES)
    print(f"\ncluster failover: {figures.line()}")

    assert figures.sent_before_kill > 0, "nothing was sent before the kill: proves nothing"
    assert figures.sent_before_kill < 2 * ARTICLES, "everything was sent before the kill"
    assert states(deliveries) == {State.SENT: 2 * ARTICLES}
    assert figures.lost == 0 and figures.fb_duplicates == 0 and figures.tg_unexplained == 0
    check_posts(sandbox, items, events)  # Facebook once each; Telegram extras explained
    # the writes were confirmed on the replica while it lived, and only then
    assert figures.confirmed_waits > 0
    assert (
        not victim.alive
        and await cluster.master_of(f"{{{config.settings.namespace}}}:work") is replica
    )


async def test_sentinel_master_killed_mid_run_loses_nothing(
    sentinels: SentinelGroup, sandbox: Sandbox
) -> None:
    config = failover_config(
        "",
        sandbox,
        REDIS_URL=None,
        REDIS_SENTINELS=sentinels.sentinel_addresses,
        REDIS_SENTINEL_MASTER=MASTER_NAME,
        REDIS_SENTINEL_PASSWORD=SENTINEL_PASSWORD,
        REDIS_PASSWORD=PASSWORD,
    )
    assert sentinels.master is not None
    old = sentinels.master.port

    async def kill() -> None:
        assert sentinels.master is not None
        await sentinels.master.kill()
        await sentinels.wait_failover(old)

    figures, deliveries, events, items = await run_failover(
        config, sandbox, kill, ARTICLES, tag="sentinel"
    )
    print(f"\nsentinel failover: {figures.line()}")

    assert 0 < figures.sent_before_kill < 2 * ARTICLES
    assert states(deliveries) == {State.SENT: 2 * ARTICLES}
    assert figures.lost == 0 and figures.fb_duplicates == 0 and figures.tg_unexplained == 0
    check_posts(sandbox, items, events)
    assert figures.confirmed_waits > 0
    assert await sentinels.current_master_port() != old
