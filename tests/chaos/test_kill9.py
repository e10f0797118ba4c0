"""Three real `python -m bot run` worker processes share one Redis while the test
SIGKILLs one at random moments and starts a replacement, as a supervisor would. The
articles are ingested during the kills, with the product's own Store. Every delivery
still ends sent, Facebook posts each article exactly once (a lost attempt is
reconciled by reading the Page), and Telegram posts an article again only after an
attempt that may have posted (a worker lost mid-attempt), at most once per such attempt."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from redis.asyncio import Redis

from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from bot.store import Store
from bot.store.keys import Keys
from sandbox import Fault, Sandbox
from tests.chaos.helpers import (
    TG_CHAT,
    check_posts,
    make_articles,
    queue_state,
    read_events,
    states,
    wait_until_settled,
)
from tests.conftest import BOT_TOKEN, PAGE_ID, PAGE_TOKEN

ARTICLES = 240
CHANNELS = ["tg-main", "fb-page"]
PROCESSES = 3
BATCH, BATCH_EVERY = 4, 0.2  # 240 articles over about 12 s
MAX_KILLS = 8
STARTUP = 20.0  # seconds a process may take to import aiogram and start delivering
CONFIG = f"""
[[channels]]
id = "tg-main"
kind = "telegram"
chat = "{TG_CHAT}"
rate_per_minute = 6000
burst = 100

[[channels]]
id = "fb-page"
kind = "facebook"
page_id = "{PAGE_ID}"
rate_per_minute = 6000
burst = 100
"""


@dataclass
class Worker:
    proc: asyncio.subprocess.Process
    log: IO[bytes]
    path: Path

    @property
    def ready(self) -> bool:
        """Delivering: the process logged its start (imports take seconds under load)."""
        return b"service started" in self.path.read_bytes()


async def test_workers_killed_at_random_lose_nothing_and_duplicate_only_after_ambiguity(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    seed = int(os.environ.get("CHAOS_SEED") or time.time_ns() % 1_000_000)
    rng = random.Random(seed)
    started = time.monotonic()
    namespace = f"kill9{uuid.uuid4().hex[:8]}"
    (tmp_path / "newsbot.toml").write_text(CONFIG, encoding="utf-8")
    env = {
        **os.environ,
        "NEWSBOT_CONFIG": str(tmp_path / "newsbot.toml"),
        "REDIS_URL": redis_server.url,
        "NEWSBOT_NAMESPACE": namespace,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE": sandbox.telegram_base,
        "FACEBOOK_GRAPH_URL": sandbox.graph_url,
        "FACEBOOK_PAGE_TOKEN": PAGE_TOKEN,
        "NEWSBOT_ALLOW_PRIVATE_NETWORKS": "true",
        "NEWSBOT_HTTP_PORT": "0",
        "NEWSBOT_LEASE_SECONDS": "2",
        "NEWSBOT_RETRY_BASE_SECONDS": "0.1",
        "NEWSBOT_WORKERS": "4",
        # a delivery whose worker is killed several times must still be delivered here
        "NEWSBOT_MAX_CRASHES": "10",
        "TELEGRAM_BOT_RATE_PER_SECOND": "1000",
        "LOG_LEVEL": "info",
    }
    # Slow answers (posted at once, answered 0.05-0.2 s later): a kill finds attempts in
    # flight, some of them already posted.
    slow = [Fault(kind="timeout", delay=d, apply=True) for d in (0.05, 0.1, 0.2)]
    sandbox.telegram.faults.random(1.0, slow, seed=seed)
    sandbox.facebook.faults.random(1.0, slow, seed=seed + 1)

    workers: list[Worker] = []
    all_workers: list[Worker] = []

    async def spawn() -> Worker:
        path = tmp_path / f"worker-{len(all_workers)}.log"
        log = path.open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        worker = Worker(proc, log, path)
        all_workers.append(worker)
        return worker

    redis = Redis.from_url(redis_server.url)
    store = Store(redis, Keys(namespace))
    items = make_articles(ARTICLES, "kill9")
    kills: list[float] = []
    try:
        await store.ensure_groups()
        workers = [await spawn() for _ in range(PROCESSES)]

        async def ingest() -> None:
            for n in range(0, ARTICLES, BATCH):
                for article in items[n : n + BATCH]:
                    await store.ingest(article, CHANNELS)
                await asyncio.sleep(BATCH_EVERY)

        deadline = time.monotonic() + STARTUP
        while not all(w.ready for w in workers) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        feeder = asyncio.create_task(ingest())
        await asyncio.sleep(rng.uniform(0.5, 1.5))
        while len(kills) < MAX_KILLS and not feeder.done():
            ready = [w for w in workers if w.ready]
            victim = rng.choice(ready or workers)
            victim.proc.send_signal(signal.SIGKILL)
            await victim.proc.wait()
            kills.append(time.monotonic() - started)
            workers[workers.index(victim)] = await spawn()
            await asyncio.sleep(rng.uniform(0.8, 2.5))
        await asyncio.wait_for(feeder, 30)
        ingested = time.monotonic() - started
        deliveries = await wait_until_settled(store, [a.id for a in items], 2, timeout=40)
        settled = time.monotonic() - started
        queue = await queue_state(redis, store.keys)
        events = await read_events(redis, store.keys)
        for worker in workers:
            worker.proc.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(w.proc.wait(), 20) for w in workers]
    finally:
        for worker in all_workers:
            if worker.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.proc.kill()
                await worker.proc.wait()
            worker.log.close()
        await redis.aclose()

    assert len(kills) >= 4, f"only {len(kills)} kills: the run was too short to prove much"
    assert codes == [0] * PROCESSES, "a worker did not stop cleanly on SIGTERM"
    assert states(deliveries) == {State.SENT: 2 * ARTICLES}, [
        d for d in deliveries if d.state is not State.SENT
    ][:3]
    assert queue.empty and queue.stream_len == 0, queue
    figures = check_posts(sandbox, items, events)
    lost = Counter(e["channel"] for e in events if e["note"] == "worker lost")
    assert sum(lost.values()) >= 1, "no kill found an attempt in flight"

    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("worker-*.log"))
    problems = Counter(
        word for word in ("Traceback", "worker error", "reclaimer error", "not recorded")
        if word in logs
        for _ in range(logs.count(word))
    )  # fmt: skip
    print(
        f"\nkill -9 (seed {seed}): {ARTICLES} articles x 2 channels, {PROCESSES} processes, "
        f"{len(kills)} kills at {[round(k, 1) for k in kills]} s; ingested by {ingested:.1f} s, "
        f"all settled by {settled:.1f} s; attempts lost with their worker {dict(lost)}; "
        f"{figures}; log problems {dict(problems)}"
    )
