"""WAIT: a write that a failover must not lose is confirmed on the replicas before the
service acts on it.

Redis replicates asynchronously: a master that dies right after acknowledging a write
may take it along, and the replica promoted in its place never saw it
(https://redis.io/docs/latest/commands/wait/). The store confirms, with WAIT, the
writes after which something happens outside Redis (bot/store/store.py): a claim
(`sending`) before the platform is called, an outcome (`sent`...) after it, a new
article's plan, a push before its 202, an editor's decision. A delivery whose claim is
lost would be posted again without being known as ambiguous: on a Page, a duplicate.
Other writes are not confirmed: losing one is repaired by what follows (a feed read
again, a lease that expires).

WAIT counts the replicas that acknowledged the writes *of its own connection*, and a
client pool hands each command any connection. So each confirmation writes a fence
key and sends WAIT right behind it on one connection, in one pipeline, to the master
of the namespace's slot: replication is ordered, so a replica that has the fence has
every earlier write of that master, whichever connection made it.

A shortfall (fewer replicas than asked within the timeout: the replica is down,
lagging, or gone with a failover) is logged once, and the service goes on; the next
WAITs get a few milliseconds only, until the replicas answer again. With no replica
attached there is nothing to promote, so no failover can lose the write either.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from bot.store.client import Redis, RedisClient, RedisCluster

log = structlog.get_logger("redis")
DEGRADED_TIMEOUT_MS = 10  # while the replicas lag: check, do not wait the full timeout
FENCE_TTL_MS = 600_000
NodeClient = Callable[[str, int], Redis]  # a plain client for one cluster node


class Replication:
    def __init__(
        self,
        redis: RedisClient,
        fence_key: str,
        *,
        replicas: int = 0,
        timeout_ms: int = 1000,
        node_client: NodeClient | None = None,
    ) -> None:
        self.redis = redis
        self.fence_key = fence_key
        self.replicas = replicas
        self.timeout_ms = timeout_ms
        self._node_client = node_client
        self._nodes: dict[str, Redis] = {}
        self.behind = False  # the last confirmation fell short
        self.confirmed = 0
        self.short = 0
        self.wait_seconds = 0.0  # time spent confirming (bench/wait_cost.py)

    @property
    def enabled(self) -> bool:
        return self.replicas > 0

    async def confirm(self) -> bool:
        """WAIT for the replicas to have every write made so far on the namespace's
        master; False (logged) when fewer answered in time. A Redis error is raised:
        the caller cannot know whether its write survived and treats it as not made."""
        if self.replicas <= 0:
            return True
        timeout = DEGRADED_TIMEOUT_MS if self.behind else self.timeout_ms
        started = time.monotonic()
        acked = await self._fence_and_wait(timeout)
        self.wait_seconds += time.monotonic() - started
        if acked >= self.replicas:
            self.confirmed += 1
            if self.behind:
                self.behind = False
                log.info("redis replicas confirm writes again", replicas=acked)
            return True
        self.short += 1
        if not self.behind:
            self.behind = True
            log.warning(
                "redis replicas behind: writes go on unconfirmed",
                wanted=self.replicas, acked=acked, timeout_ms=timeout,
            )  # fmt: skip
        return False

    async def connected_replicas(self) -> int:
        """How many replicas the namespace's master has now (INFO replication)."""
        info = await self._master().info("replication")
        return int(info.get("connected_slaves", 0))

    async def _fence_and_wait(self, timeout_ms: int) -> int:
        pipe = self._master().pipeline(transaction=False)
        pipe.set(self.fence_key, "1", px=FENCE_TTL_MS)
        pipe.execute_command("WAIT", self.replicas, timeout_ms)
        _fenced, acked = await pipe.execute()  # the fence's error (MOVED...) is raised
        return int(acked)

    def _master(self) -> Redis:
        """A plain client for the master of the fence's slot: the client itself, or on
        a cluster one kept per node (the cluster's pipelines would resend a failed
        WAIT alone, on another connection, where it proves nothing)."""
        if not isinstance(self.redis, RedisCluster):
            return self.redis
        if self._node_client is None:
            raise RuntimeError("a cluster needs node_client to confirm writes")
        node = self.redis.get_node_from_key(self.fence_key)
        if node is None:
            raise RuntimeError(f"no cluster node serves {self.fence_key}")
        client = self._nodes.get(node.name)
        if client is None:
            client = self._nodes[node.name] = self._node_client(node.host, int(node.port))
        return client

    async def aclose(self) -> None:
        for client in self._nodes.values():
            await client.aclose()
        self._nodes.clear()
