"""One leader among all processes: feeds are polled once per interval whatever the
number of processes, and another process takes over after a crash; `run --workers N`
shares the deliveries between N processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from bot.app import open_app
from bot.infra.redis_embedded import EmbeddedRedis
from sandbox import Fault, Sandbox
from tests.bot.test_cli import env_for
from tests.bot.test_pipeline import ENV
from tests.conftest import FeedServer, make_config


async def test_feeds_are_polled_by_one_process_and_taken_over_after_its_crash(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    config = make_config(
        redis_server.url, sandbox, feeds=[{"id": "f", "url": feed_server.url, "interval": 1}]
    )
    stop = asyncio.Event()
    async with (
        open_app(config, env=ENV, consumer="proc-a") as a,
        open_app(config, env=ENV, consumer="proc-b") as b,
    ):
        runs = {
            "proc-a": asyncio.create_task(a.run(stop)),
            "proc-b": asyncio.create_task(b.run(stop)),
        }
        await asyncio.sleep(3.5)
        polls_with_two_processes = len(feed_server.requests)
        leader = (await a.redis.get(a.store.keys.lock("leader"))).decode()  # type: ignore[union-attr]
        runs[leader].cancel()  # a crash: no release, the lease must expire
        crashed_at = time.monotonic()
        before = len(feed_server.requests)
        while len(feed_server.requests) == before and time.monotonic() - crashed_at < 15:
            await asyncio.sleep(0.05)
        takeover = time.monotonic() - crashed_at
        new_leader = (await a.redis.get(a.store.keys.lock("leader"))).decode()  # type: ignore[union-attr]
        stop.set()
        await asyncio.gather(*runs.values(), return_exceptions=True)
    # one poll a second for 3.5 s: two pollers would have made about 7
    assert 3 <= polls_with_two_processes <= 5
    assert new_leader != leader and takeover < 15
    print(f"leader takeover after a crash: {takeover:.1f} s")


async def test_run_with_two_worker_processes_shares_the_work_and_stops_cleanly(
    tmp_path: Path, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    body = feed_server.body
    one = body[body.index(b"<item>") : body.index(b"</item>") + 7]
    items = b"".join(one.replace(b"71234", str(70000 + n).encode()) for n in range(10))
    full_feed = body.replace(one, items)
    feed_server.body = body.replace(one, b"")  # empty until both processes consume
    # each post takes 0.2 s, so one process cannot drain the work before the other helps
    sandbox.telegram.faults.add(Fault(kind="timeout", delay=0.2, apply=True, times=100))
    sandbox.facebook.faults.add(Fault(kind="timeout", delay=0.2, apply=True, times=100))
    env = env_for(tmp_path, "", sandbox, feed_server.url)
    del env["REDIS_URL"]  # the supervisor starts the embedded Redis for its children
    env["NEWSBOT_DATA_DIR"] = str(tmp_path / "data")
    env["NEWSBOT_WORKERS"] = "1"
    toml = (tmp_path / "newsbot.toml").read_text().replace("backfill = 1", "backfill = 10")
    toml += "rate_per_minute = 6000\nburst = 10\n"  # the Page's (last channel's) limit
    (tmp_path / "newsbot.toml").write_text(toml)
    log_path = tmp_path / "out.log"
    log_file = log_path.open("wb")  # a file, not a pipe: nobody reads while it runs
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--workers", "2", env=env, cwd=tmp_path,
        stdout=log_file, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90  # a loaded machine starts aiogram slowly
        while log_path.read_text().count('"service started"') < 2:
            assert time.monotonic() < deadline and proc.returncode is None
            await asyncio.sleep(0.2)
        feed_server.body = full_feed
        deadline = time.monotonic() + 60
        while len(sandbox.telegram.posts) + len(sandbox.facebook.posts) < 20:
            assert time.monotonic() < deadline and proc.returncode is None
            await asyncio.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
    finally:
        if proc.returncode is None:  # the whole group: workers and the embedded Redis too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        log_file.close()
    lines = log_path.read_text().splitlines()
    assert proc.returncode == 0, "\n".join(lines[-20:])
    pids = {line.split('"pid": ')[1].split(",")[0] for line in lines if "delivery attempt" in line}
    assert len(pids) == 2  # both worker processes delivered
    assert len(sandbox.telegram.posts) == len(sandbox.facebook.posts) == 10
    assert not (tmp_path / "data" / "redis.sock").exists()  # the embedded Redis was stopped
