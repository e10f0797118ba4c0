"""`newsbot run --workers N`: N service processes on one Redis, supervised.

Every process delivers (work is shared through the stream's consumer group);
one of them at a time holds the leader lease and polls feeds. With no REDIS_URL
the supervisor starts the embedded Redis once and hands its URL to the children.
A child that dies is restarted; SIGTERM/SIGINT reach every child, which finish
their attempts in flight and exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

import structlog

from bot.config import Config
from bot.infra.redis_embedded import EmbeddedRedis

log = structlog.get_logger("supervisor")
RESTART_DELAY_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 60.0


async def supervise(config: Config, processes: int, stop: asyncio.Event) -> int:
    env = dict(os.environ)
    embedded = None
    if config.settings.embedded_redis:
        embedded = EmbeddedRedis(config.settings.data_dir)
        env["REDIS_URL"] = await embedded.start()
    try:
        children = [await _spawn(env) for _ in range(processes)]
        log.info("workers started", processes=processes, pids=[c.pid for c in children])
        while not stop.is_set():
            waits = {asyncio.ensure_future(c.wait()): n for n, c in enumerate(children)}
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait([*waits, stopping], return_when=asyncio.FIRST_COMPLETED)
            for fut in [*waits, stopping]:
                if fut not in done:
                    fut.cancel()
            for fut in done:
                if fut in waits and not stop.is_set():
                    n = waits[fut]
                    log.warning("worker process died, restarting", index=n,
                                pid=children[n].pid, code=children[n].returncode)  # fmt: skip
                    await asyncio.sleep(RESTART_DELAY_SECONDS)
                    children[n] = await _spawn(env)
        await _stop_all(children)
        return 0
    finally:
        if embedded is not None:
            await embedded.stop()


async def _spawn(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--workers", "1", env=env
    )


async def _stop_all(children: list[asyncio.subprocess.Process]) -> None:
    for child in children:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.gather(*(c.wait() for c in children)), STOP_TIMEOUT_SECONDS)
    except TimeoutError:
        for child in children:
            if child.returncode is None:
                child.kill()
        await asyncio.gather(*(c.wait() for c in children))
    log.info("workers stopped", codes=[c.returncode for c in children])
