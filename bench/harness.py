"""What the benchmarks share: an embedded Redis in a temp folder, the sandbox as its own
process, `python -m bot run --workers N` as a subprocess configured through env vars
and a TOML file (as tests/bot/test_cli.py does), bench articles, ingest through the
product's Store, and per-process CPU and memory read from /proc. Not a benchmark itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import Article
from bot.store import Store
from bot.store.keys import Keys

TOKEN = "123456789:BENCH-not-a-real-token-0123456789abc"
PAGE_ID = "100000000000777"
PAGE_TOKEN = "EAAbench0123456789"
TG_CHAT = "@bench_channel"
NAMESPACE = "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


class TimedPosts(list[Any]):
    """A sandbox's post list that remembers when each post was appended (monotonic)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        self.times.append(time.monotonic())
        super().append(item)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_article(n: int, *, image: bool = True) -> Article:
    return Article(
        id=f"{n:016x}",
        url=f"https://bench.kz/news/{n}",
        title=f"Новость bench #{n}",
        lead="Короткий лид. " * 5,
        image=f"https://bench.kz/i/{n}.jpg" if image else None,
    )


def channels_toml(*, facebook: bool = True, rate: float | None = None, burst: int = 3) -> str:
    """A Telegram channel "tg" and a Facebook one "fb", with `rate_per_minute` (else the
    product's default) and `burst` each."""
    limits = f"burst = {burst}\n" + (f"rate_per_minute = {rate}\n" if rate is not None else "")
    tg = f'[[channels]]\nid = "tg"\nkind = "telegram"\nchat = "{TG_CHAT}"\n{limits}'
    fb = f'\n[[channels]]\nid = "fb"\nkind = "facebook"\npage_id = "{PAGE_ID}"\n{limits}'
    return tg + (fb if facebook else "")


def service_env(
    tmp: Path, redis_url: str, telegram_base: str, graph_url: str, toml: str, **settings: str
) -> dict[str, str]:
    """Environment of `python -m bot run`: the config file, Redis, the sandbox, tokens."""
    config = tmp / "newsbot.toml"
    config.write_text(toml, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "TELEGRAM_"))}
    return {
        **env,
        "NEWSBOT_CONFIG": str(config),
        "NEWSBOT_DATA_DIR": str(tmp / "data"),
        "NEWSBOT_NAMESPACE": NAMESPACE,
        "REDIS_URL": redis_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": telegram_base,
        "FACEBOOK_GRAPH_URL": graph_url,
        "FACEBOOK_PAGE_TOKEN": PAGE_TOKEN,
        "NEWSBOT_HTTP_PORT": "0",  # never a running service's port
        **settings,
    }


@dataclass
class Proc:
    """A child process whose stdout and stderr go to files in the temp folder."""

    proc: asyncio.subprocess.Process
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode or 0

    def tail(self, lines: int = 20) -> str:
        text = self.out.read_text(errors="replace") + self.err.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


async def spawn(tmp: Path, name: str, argv: Sequence[str], env: dict[str, str] | None) -> Proc:
    """Start argv (the executable first) in `tmp`, output to `tmp`/name.out and .err."""
    out, err = tmp / f"{name}.out", tmp / f"{name}.err"
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=tmp, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=fo, stderr=fe,
        )  # fmt: skip
    return Proc(proc, out, err)


async def start_service(tmp: Path, env: dict[str, str], processes: int) -> Proc:
    return await spawn(
        tmp, "service", [sys.executable, "-m", "bot", "run", "--workers", str(processes)], env
    )


@dataclass
class SandboxProc:
    proc: Proc
    telegram_base: str
    graph_url: str


async def start_sandbox_process(tmp: Path) -> SandboxProc:
    """`python -m bot sandbox` on two free ports, once both answer."""
    tg, fb = free_port(), free_port()
    args = [sys.executable, "-m", "bot", "sandbox", "--telegram-port", str(tg),
            "--facebook-port", str(fb)]  # fmt: skip
    proc = await spawn(tmp, "sandbox", args, None)
    box = SandboxProc(proc, f"http://127.0.0.1:{tg}", f"http://127.0.0.1:{fb}")
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                for base in (box.telegram_base, box.graph_url):
                    async with http.get(f"{base}/_sandbox/calls") as resp:
                        resp.raise_for_status()
                return box
            except aiohttp.ClientError:
                if time.monotonic() > deadline or proc.proc.returncode is not None:
                    await proc.stop()
                    raise RuntimeError(f"sandbox did not start:\n{proc.tail()}") from None
                await asyncio.sleep(0.1)


@dataclass
class Bench:
    """One embedded Redis in a temp folder, with a client and the product's Store."""

    tmp: Path
    embedded: EmbeddedRedis = field(init=False)
    url: str = ""

    async def __aenter__(self) -> Bench:
        self.embedded = EmbeddedRedis(self.tmp / "redis")
        self.url = await self.embedded.start()
        self.redis = Redis.from_url(self.url)
        self.store = Store(self.redis, Keys(NAMESPACE))
        await self.store.ensure_groups()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.redis.aclose()
        await self.embedded.stop()

    @property
    def redis_pid(self) -> int:
        return self.embedded.process.pid if self.embedded.process else 0

    async def wait_consumers(self, count: int, proc: Proc, timeout: float = 60.0) -> None:
        """Until `count` delivery coroutines block in XREADGROUP (the service is up)."""
        deadline = time.monotonic() + timeout
        while True:
            clients = await self.redis.client_list()
            if sum(1 for c in clients if c["cmd"] == "xreadgroup") >= count:
                return
            if proc.proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"service did not come up:\n{proc.tail()}")
            await asyncio.sleep(0.1)

    async def states(self, ids: Sequence[str], channels: Sequence[str]) -> list[tuple[str, int]]:
        """(state, updated_at ms) of every delivery."""
        pipe = self.redis.pipeline(transaction=False)
        for aid in ids:
            for ch in channels:
                pipe.hmget(self.store.keys.delivery(aid, ch), "state", "updated_at")
        rows = await pipe.execute()
        return [((s or b"").decode(), int(u or 0)) for s, u in rows]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid: int, key: str) -> int:
    """A /proc/<pid>/status field in kB (VmRSS, VmHWM), 0 when absent."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """Direct children of a process."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                    found.append(int(entry.name))
    return sorted(found)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far, all cores (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK


async def quiet_machine(limit: float = 0.3, max_wait: float = 120.0) -> float:
    """Wait (at most `max_wait` s) until the rest of the machine uses under `limit` cores
    over one second, since other jobs on this 2-core machine skew every figure; returns
    the load seen last, in cores."""
    deadline = time.monotonic() + max_wait
    while True:
        before = machine_cpu() - cpu_seconds(os.getpid())
        await asyncio.sleep(1.0)
        load = machine_cpu() - cpu_seconds(os.getpid()) - before
        if load < limit or time.monotonic() > deadline:
            return load
