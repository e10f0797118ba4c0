"""Which Redis the service talks to, and the redis-py client for it.

- `REDIS_URL=redis://…`, `rediss://…` (TLS), `unix://…`: one server
  (`Redis.from_url`, https://redis.readthedocs.io/en/stable/connections.html).
- `REDIS_URL=redis+cluster://[[user]:password@]host:port[,host:port…]` (or
  `rediss+cluster://` for TLS): Redis Cluster through `redis.asyncio.cluster.RedisCluster`,
  every listed node a startup node (redis-py's own `RedisCluster.from_url` takes a single
  node; the client discovers the others and follows MOVED/ASK and failovers:
  https://redis.readthedocs.io/en/stable/clustering.html).
- `REDIS_SENTINELS=host:port,…` with `REDIS_SENTINEL_MASTER`: the master the sentinels
  name, through `redis.asyncio.sentinel.Sentinel(...).master_for(name)`, which asks them
  again after a failover (https://redis.readthedocs.io/en/stable/connections.html#sentinel-client).
  `REDIS_SENTINEL_PASSWORD` is the sentinels' own password, `REDIS_PASSWORD` the master's.
- none of them: the embedded server in `NEWSBOT_DATA_DIR` (bot/infra/redis_embedded.py).

Every password is registered with the Redactor before anything can fail, and a
failure is one sentence naming the setting and the error's class only: redis-py's
texts may quote a URL, password included.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.sentinel import Sentinel

from bot.infra.health import REDIS_ERRORS
from bot.infra.logging import Redactor
from bot.infra.redis_embedded import EmbeddedRedis
from bot.settings import ConfigError, Settings
from bot.store.client import RedisClient
from bot.store.replication import Replication
from bot.urls import secrets_in_url

log = structlog.get_logger("redis")

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme -> TLS
# A blocked XREADGROUP (0.5 s) and WAIT (NEWSBOT_REDIS_WAIT_TIMEOUT_MS) answer well
# within the socket timeout; a dead server is noticed by it at the latest.
TIMEOUTS: dict[str, Any] = {"socket_timeout": 10, "socket_connect_timeout": 5}
POOL_WAIT_SECONDS = 20  # for a free connection, before the call fails as Redis down


def pool_size(settings: Settings) -> int:
    """Connections a process may open: each delivery worker holds one in XREADGROUP,
    the feed schedule polls 64 feeds at once (bot/ingest/schedule.py), and the rest
    (promoter, reclaimer, pushes, board streams, the editors' bot) need a few."""
    return 2 * settings.workers + 128


@dataclass(frozen=True, slots=True)
class Connected:
    client: RedisClient
    kind: str  # url | cluster | sentinel | embedded
    where: str  # the URL (url, embedded, cluster) or "sentinel://master@host:port,…"
    node_client: Callable[[str, int], Redis] | None = None  # cluster: one node (WAIT)
    sentinels: tuple[Redis, ...] = ()  # the clients that ask the sentinels, closed too

    @property
    def replicated(self) -> bool:
        """A deployment built for failover: WAIT is worth it when replicas exist."""
        return self.kind in ("cluster", "sentinel")


def address_list(text: str, setting: str) -> list[tuple[str, int]]:
    """`host:port,host:port` (an IPv6 host in brackets) as pairs; ConfigError naming
    `setting` when an item is not one."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        host, sep, port = item.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(
                f"{setting}: {item!r} is not host:port: list the servers as host:port,host:port"
            )
        pairs.append((host, int(port)))
    return pairs


async def connect(settings: Settings, stack: AsyncExitStack, redactor: Redactor) -> Connected:
    """The client for the configured Redis, answering PING; ConfigError when it does not."""
    for secret in (settings.redis_password, settings.redis_sentinel_password):
        redactor.add(secret.get_secret_value() if secret else None)
    url = settings.redis_url.get_secret_value() if settings.redis_url else None
    for part in secrets_in_url(url or ""):
        redactor.add(part)
        redactor.add(unquote(part))  # as the client sends it
    if url and settings.redis_sentinels:
        raise ConfigError(
            "REDIS_URL and REDIS_SENTINELS are both set: keep REDIS_SENTINELS (with "
            "REDIS_SENTINEL_MASTER) for Sentinel, or REDIS_URL alone"
        )
    if settings.redis_sentinels:
        connected = _sentinel(settings, settings.redis_sentinels)
        what = "REDIS_SENTINELS"
    elif url and urlsplit(url).scheme in CLUSTER_SCHEMES:
        connected = _cluster(url, settings)
        what = "REDIS_URL"
    elif url:
        connected = _url(url, settings)
        what = "REDIS_URL"
    else:
        embedded = EmbeddedRedis(settings.data_dir)
        stack.push_async_callback(embedded.stop)
        url = await embedded.start()
        connected = _url(url, settings, kind="embedded")
        what = f"the embedded Redis in {settings.data_dir}"
    stack.push_async_callback(connected.client.aclose)
    for client in connected.sentinels:
        stack.push_async_callback(client.aclose)
    try:
        await connected.client.ping()
    except Exception as exc:
        fix = "see redis.log there" if connected.kind == "embedded" else f"start it or fix {what}"
        raise ConfigError(
            f"Redis at {what} cannot be reached ({type(exc).__name__}): {fix}"
        ) from None
    return connected


def _url(url: str, settings: Settings, kind: str = "url") -> Connected:
    extra: dict[str, Any] = {}
    if kind == "url" and settings.redis_password and not urlsplit(url).password:
        extra["password"] = settings.redis_password.get_secret_value()
    try:
        # A pool that waits for a free connection rather than failing: redis-py's
        # default pool raises MaxConnectionsError past 100 connections (redis-py 8), which
        # thousands of feeds polled at once hit (bench/feeds10k.py).
        pool = BlockingConnectionPool.from_url(
            url, max_connections=pool_size(settings), timeout=POOL_WAIT_SECONDS,
            health_check_interval=30, **TIMEOUTS, **extra,
        )  # fmt: skip
        client = Redis.from_pool(pool)  # owns it: aclose() closes its connections
    except ValueError as exc:
        raise ConfigError(
            f"REDIS_URL is not a valid Redis URL ({exc}): use redis://host:port/db, "
            "or redis+cluster://host:port,host:port for Redis Cluster"
        ) from None
    return Connected(client, kind, url)


def _cluster(url: str, settings: Settings) -> Connected:
    parts = urlsplit(url)
    nodes = address_list(parts.netloc.rpartition("@")[2], "REDIS_URL")
    options: dict[str, Any] = {**TIMEOUTS, "ssl": CLUSTER_SCHEMES[parts.scheme]}
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password:
        options["password"] = unquote(parts.password)
    elif settings.redis_password:
        options["password"] = settings.redis_password.get_secret_value()
    if parts.path.strip("/") not in ("", "0"):
        raise ConfigError("REDIS_URL: Redis Cluster has only database 0: drop the /db part")
    client = RedisCluster(
        startup_nodes=[ClusterNode(h, p) for h, p in nodes],
        max_connections=pool_size(settings),  # per node
        **options,
    )

    def node_client(host: str, port: int) -> Redis:
        return Redis(host=host, port=port, **options)

    return Connected(client, "cluster", url, node_client)


def _sentinel(settings: Settings, addresses: str) -> Connected:
    sentinels = address_list(addresses, "REDIS_SENTINELS")
    name = settings.redis_sentinel_master
    if not name:
        raise ConfigError(
            "REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS: set it to the name "
            "the sentinels monitor the master under (sentinel monitor <name> …)"
        )
    own: dict[str, Any] = dict(TIMEOUTS)
    if settings.redis_sentinel_password:
        own["password"] = settings.redis_sentinel_password.get_secret_value()
    master: dict[str, Any] = {
        **TIMEOUTS, "health_check_interval": 30, "max_connections": pool_size(settings),
    }  # fmt: skip
    if settings.redis_password:
        master["password"] = settings.redis_password.get_secret_value()
    sentinel = Sentinel(sentinels, sentinel_kwargs=own, **master)  # type: ignore[no-untyped-call]
    where = "sentinel://" + name + "@" + ",".join(f"{h}:{p}" for h, p in sentinels)
    asking = tuple(sentinel.sentinels)
    return Connected(sentinel.master_for(name), "sentinel", where, sentinels=asking)


async def open_replication(
    connected: Connected, settings: Settings, fence_key: str, stack: AsyncExitStack
) -> Replication:
    """What the store confirms its writes with (bot/store/replication.py):
    NEWSBOT_REDIS_WAIT_REPLICAS, or by default 1 on a cluster or Sentinel whose master
    has a replica now, else 0 (nothing to wait for)."""
    replication = Replication(
        connected.client, fence_key, timeout_ms=settings.redis_wait_timeout_ms,
        node_client=connected.node_client,
    )  # fmt: skip
    stack.push_async_callback(replication.aclose)
    wanted, attached = settings.redis_wait_replicas, -1
    if wanted is None and connected.replicated:
        try:
            attached = await replication.connected_replicas()
        except REDIS_ERRORS:
            attached = 1  # a deployment built for failover: expect its replica
        wanted = min(1, attached)
    replication.replicas = wanted or 0
    log.info(
        "redis connected", kind=connected.kind, wait_replicas=replication.replicas,
        replicas_attached=attached if attached >= 0 else None,
    )  # fmt: skip
    return replication
