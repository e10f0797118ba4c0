"""Real Redis Cluster and Sentinel topologies (tests/cluster/servers.py), started from
the machine's redis-server; everything is stopped at teardown, even after a failure.
Without redis-server the tests are skipped, except on CI (CI set), where they fail."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from tests.cluster.servers import REDIS_SERVER, RedisCluster, SentinelGroup, available


def _require_server() -> None:
    if available():
        return
    message = f"{REDIS_SERVER} is missing: install the redis-server package (Redis 7)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisCluster]:
    """A fresh cluster per test: the failover tests kill one of its masters."""
    _require_server()
    topology = RedisCluster(tmp_path_factory.mktemp("cluster"))
    try:
        await topology.start()
        yield topology
    finally:
        await topology.stop()


@pytest.fixture
async def sentinels(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SentinelGroup]:
    _require_server()
    group = SentinelGroup(tmp_path_factory.mktemp("sentinel"))
    try:
        await group.start()
        yield group
    finally:
        await group.stop()
