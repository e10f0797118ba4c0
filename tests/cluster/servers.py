"""Real Redis topologies for the cluster tests and the failover benches, started from
the `redis-server` binary (7.x) the machine has, never the system Redis on 6379:
each server on its own free loopback port, in its own folder, stopped (and reaped)
on exit even when a test fails.

- `RedisCluster`: 3 masters + 3 replicas, `cluster-enabled yes`, a short
  `cluster-node-timeout` so a replica takes over about two seconds after its master
  dies. Built from Python (CLUSTER MEET / ADDSLOTSRANGE / REPLICATE), so redis-cli is
  not needed (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/).
- `SentinelGroup`: a master, a replica and three sentinels
  (https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/).
Both with passwords: the service must pass them where each server asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PASSWORD = "cluster-test-secret-pw"
SENTINEL_PASSWORD = "sentinel-test-secret-pw"
MASTER_NAME = "newsbot-master"
NODE_TIMEOUT_MS = 1000
SLOTS = 16384


def available() -> bool:
    return Path(REDIS_SERVER).is_file() and os.access(REDIS_SERVER, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One redis-server (or sentinel) process in its own folder."""

    folder: Path
    port: int
    args: list[str]
    bus_port: int = 0  # a cluster node's bus port
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            REDIS_SERVER, *self.args,
            cwd=self.folder,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def client(self, password: str | None = PASSWORD) -> Redis:
        return Redis(
            host="127.0.0.1", port=self.port, password=password, socket_timeout=5,
            socket_connect_timeout=2,
        )  # fmt: skip

    async def kill(self) -> None:
        """SIGKILL: the machine under it died."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            await self.kill()


def _common(folder: Path, port: int) -> list[str]:
    return [
        "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
        "--save", "", "--appendonly", "no", "--daemonize", "no",
        "--logfile", str(folder / "redis.log"), "--protected-mode", "no",
        "--requirepass", PASSWORD, "--masterauth", PASSWORD,
        "--repl-ping-replica-period", "1",
        "--repl-diskless-sync-delay", "0",  # a replica syncs at once, not 5 s later
    ]  # fmt: skip


async def _until(what: str, check: object, timeout: float) -> None:
    """Poll the coroutine function `check` until it returns true."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if await check():  # type: ignore[operator]
                return
        except Exception as exc:  # a node still starting
            last = exc
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{what} not reached in {timeout} s (last error: {last!r})")


async def _ping(server: Server, password: str | None = PASSWORD) -> None:
    client = server.client(password)
    try:
        await _until(f"redis on {server.port}", client.ping, 10)
    finally:
        await client.aclose()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _nodes(client: Redis) -> list[dict[str, Any]]:
    """CLUSTER NODES as redis-py parses it: one dict per node (node_id, flags,
    master_id, slots)."""
    reply = await client.execute_command("CLUSTER NODES")
    return list(reply.values())


async def _cluster_ok(client: Redis) -> bool:
    reply = await client.execute_command("CLUSTER INFO")
    if isinstance(reply, dict):
        return _text(reply.get("cluster_state")) == "ok"
    return "cluster_state:ok" in _text(reply)


@dataclass
class RedisCluster:
    root: Path
    masters: int = 3
    servers: list[Server] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)  # port -> node id

    @property
    def url(self) -> str:
        """REDIS_URL for newsbot: every node a startup node, the password in it."""
        nodes = ",".join(f"127.0.0.1:{s.port}" for s in self.servers)
        return f"redis+cluster://:{PASSWORD}@{nodes}"

    async def start(self) -> None:
        for n in range(self.masters * 2):
            port, bus = free_port(), free_port()
            folder = self.root / f"node-{n}"
            args = [
                *_common(folder, port),
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--cluster-port", str(bus),
                "--cluster-replica-validity-factor", "0",
            ]  # fmt: skip
            self.servers.append(Server(folder, port, args, bus))
        for server in self.servers:
            await server.start()
        for server in self.servers:
            await _ping(server)
        await self._create()

    async def _create(self) -> None:
        clients = [s.client() for s in self.servers]
        try:
            for server, client in zip(self.servers, clients, strict=True):
                self.ids[server.port] = _text(await client.execute_command("CLUSTER MYID"))
            for server in self.servers[1:]:
                await clients[0].execute_command(
                    "CLUSTER MEET", "127.0.0.1", server.port, server.bus_port
                )
            per = SLOTS // self.masters
            for n in range(self.masters):
                last = SLOTS - 1 if n == self.masters - 1 else (n + 1) * per - 1
                await clients[n].execute_command("CLUSTER ADDSLOTSRANGE", n * per, last)

            async def all_known() -> bool:
                for client in clients:
                    if len(await _nodes(client)) < len(clients):
                        return False
                return True

            await _until("every node knowing the others", all_known, 20)
            for n in range(self.masters):
                master = self.ids[self.servers[n].port]
                await clients[self.masters + n].execute_command("CLUSTER REPLICATE", master)

            async def ready() -> bool:
                for client in clients:
                    if not await _cluster_ok(client):
                        return False
                for client in clients[self.masters :]:
                    if (await client.info("replication")).get("master_link_status") != "up":
                        return False
                return True

            await _until("the cluster ready", ready, 30)
        finally:
            for client in clients:
                await client.aclose()

    async def master_of(self, key: str) -> Server:
        """The server that currently serves `key`'s slot as master (CLUSTER NODES)."""
        for server in self.servers:
            if not server.alive:
                continue
            client = server.client()
            try:
                slot = int(await client.execute_command("CLUSTER KEYSLOT", key))
                for node in await _nodes(client):
                    if "master" not in node["flags"] or "fail" in node["flags"]:
                        continue
                    ranges = [(int(r[0]), int(r[-1])) for r in node["slots"]]
                    if any(a <= slot <= b for a, b in ranges):
                        return self._by_id(node["node_id"])
            except Exception:
                continue
            finally:
                await client.aclose()
        raise LookupError(f"no live node knows the master of {key!r}")

    def _by_id(self, node_id: str) -> Server:
        port = next(p for p, i in self.ids.items() if i == node_id)
        return next(s for s in self.servers if s.port == port)

    async def replica_of(self, master: Server) -> Server:
        client = master.client()
        try:
            nodes = await _nodes(client)
        finally:
            await client.aclose()
        wanted = self.ids[master.port]
        for node in nodes:
            if node["master_id"] == wanted and "fail" not in node["flags"]:
                return self._by_id(node["node_id"])
        raise LookupError(f"no replica of {master.port}")

    async def wait_promoted(self, replica: Server, timeout: float = 20) -> None:
        """Until `replica` is a master serving its slots and the cluster says ok."""
        client = replica.client()

        async def promoted() -> bool:
            role = (await client.execute_command("ROLE"))[0]
            return role == b"master" and await _cluster_ok(client)

        try:
            await _until(f"{replica.port} promoted", promoted, timeout)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.servers), return_exceptions=True)


@dataclass
class SentinelGroup:
    root: Path
    master: Server | None = None
    replica: Server | None = None
    sentinels: list[Server] = field(default_factory=list)

    @property
    def sentinel_addresses(self) -> str:
        """REDIS_SENTINELS for newsbot."""
        return ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)

    async def start(self) -> None:
        port = free_port()
        folder = self.root / "master"
        self.master = Server(folder, port, _common(folder, port))
        port = free_port()
        folder = self.root / "replica"
        self.replica = Server(
            folder, port, [*_common(folder, port), "--replicaof", "127.0.0.1",
                           str(self.master.port)]
        )  # fmt: skip
        await self.master.start()
        await self.replica.start()
        await _ping(self.master)
        await _ping(self.replica)
        client = self.replica.client()
        try:

            async def linked() -> bool:
                info = await client.info("replication")
                return bool(info.get("master_link_status") == "up")

            await _until("the replica linked", linked, 20)
        finally:
            await client.aclose()
        for n in range(3):
            port = free_port()
            folder = self.root / f"sentinel-{n}"
            folder.mkdir(parents=True, exist_ok=True)
            conf = folder / "sentinel.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {folder}\nlogfile {folder / 'sentinel.log'}\n"
                f"protected-mode no\nrequirepass {SENTINEL_PASSWORD}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel auth-pass {MASTER_NAME} {PASSWORD}\n"
                f"sentinel sentinel-pass {SENTINEL_PASSWORD}\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
                f"sentinel failover-timeout {MASTER_NAME} 3000\n"
                f"sentinel parallel-syncs {MASTER_NAME} 1\n"
            )
            self.sentinels.append(Server(folder, port, [str(conf), "--sentinel"]))
        for sentinel in self.sentinels:
            await sentinel.start()
        for sentinel in self.sentinels:
            await _ping(sentinel, SENTINEL_PASSWORD)
        await self._until_sentinels_agree()

    async def _until_sentinels_agree(self) -> None:
        """Every sentinel knows the replica and the two other sentinels."""
        clients = [s.client(SENTINEL_PASSWORD) for s in self.sentinels]
        try:

            async def agreed() -> bool:
                for client in clients:
                    master = await client.sentinel_master(MASTER_NAME)
                    if int(master["num-slaves"]) < 1 or int(master["num-other-sentinels"]) < 2:
                        return False
                return True

            await _until("the sentinels agreeing", agreed, 30)
        finally:
            for client in clients:
                await client.aclose()

    async def current_master_port(self) -> int:
        for sentinel in self.sentinels:
            if not sentinel.alive:
                continue
            client = sentinel.client(SENTINEL_PASSWORD)
            try:
                _host, port = await client.sentinel_get_master_addr_by_name(MASTER_NAME)
                return int(port)
            except Exception:
                continue
            finally:
                await client.aclose()
        raise LookupError("no sentinel answers")

    async def wait_failover(self, old_port: int, timeout: float = 30) -> None:
        """Until the sentinels name a new master and it accepts writes."""
        assert self.replica is not None
        client = self.replica.client()

        async def moved() -> bool:
            if await self.current_master_port() == old_port:
                return False
            return bool((await client.execute_command("ROLE"))[0] == b"master")

        try:
            await _until("the failover", moved, timeout)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        servers = [*self.sentinels, self.replica, self.master]
        await asyncio.gather(*(s.stop() for s in servers if s), return_exceptions=True)
