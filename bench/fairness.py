"""Fairness between newsrooms: one newsroom's flood must not hold back another's post.

    .venv/bin/python bench/fairness.py [--flood 1000] [--workers 4] [--runs 1]

Three newsrooms (alpha, beta, gamma; NEWSBOT_NEWSROOMS) served by one `python -m bot run`
process on an embedded Redis, against the sandbox in its own process, rate limits off,
each newsroom a Telegram channel and a Facebook Page. First a baseline: 40 single
articles into beta and gamma, one every 100 ms, nothing else going on. Then alpha gets
`--flood` articles at once (x 2 channels), and while its flood drains the same probes go
into beta and gamma. For each probe: ingest -> the later of its two deliveries `sent`
(from the delivery's updated_at). Prints p50, p95 and max of both, and how long alpha's
flood took. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from pathlib import Path

from harness import (
    PAGE_ID,
    PAGE_TOKEN,
    TOKEN,
    Bench,
    make_article,
    percentile,
    quiet_machine,
    service_env,
    start_sandbox_process,
    start_service,
)

from bot.store import Store
from bot.store.keys import Keys

ROOMS = ("alpha", "beta", "gamma")
CHANNELS = ("tg", "fb")
PROBES = 40
TIMEOUT = 180.0


def write_rooms(folder: Path) -> None:
    folder.mkdir()
    for name in ROOMS:
        (folder / f"{name}.toml").write_text(
            f'[[channels]]\nid = "tg"\nkind = "telegram"\nchat = "@{name}_bench"\n'
            f'[[channels]]\nid = "fb"\nkind = "facebook"\npage_id = "{PAGE_ID}"\n',
            encoding="utf-8",
        )
        (folder / f"{name}.env").write_text(
            f"NEWSBOT_NAMESPACE=fair-{name}\nTELEGRAM_BOT_TOKEN={TOKEN}\n"
            f"FACEBOOK_PAGE_TOKEN={PAGE_TOKEN}\n",
            encoding="utf-8",
        )


async def sent_at(store: Store, article_id: str) -> int | None:
    """When the later of the article's deliveries was sent (ms), None while one is not."""
    times = []
    for channel in CHANNELS:
        state, updated = await store.redis.hmget(
            store.keys.delivery(article_id, channel), "state", "updated_at"
        )
        if state != b"sent":
            return None
        times.append(int(updated))
    return max(times)


async def probe(stores: dict[str, Store], base: int, stop: asyncio.Event) -> list[float]:
    """One article into beta or gamma every 100 ms until `stop`; each one's ms to sent."""
    sent: list[tuple[Store, str, int]] = []
    n = 0
    while not stop.is_set() or n < PROBES:
        store = stores[ROOMS[1 + n % 2]]
        item = make_article(base + n)
        at = int(time.time() * 1000)
        await store.ingest(item, CHANNELS)
        sent.append((store, item.id, at))
        n += 1
        await asyncio.sleep(0.1)
    latencies: list[float] = []
    deadline = time.monotonic() + TIMEOUT
    for store, aid, at in sent:
        while (done := await sent_at(store, aid)) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        latencies.append(float((done or int(time.time() * 1000)) - at))
    return latencies


def line(label: str, values: list[float]) -> str:
    return (
        f"  {label}: {len(values)} posts, ingest -> sent p50 {percentile(values, 50):.0f} ms, "
        f"p95 {percentile(values, 95):.0f} ms, max {max(values):.0f} ms"
    )


async def run_once(flood: int, workers: int) -> None:
    load = await quiet_machine()
    print(f"run: flood {flood} articles x 2 channels, {workers} workers a newsroom "
          f"(other load before: {load:.2f} cores)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="newsbot-fair-") as name:
        tmp = Path(name)
        async with Bench(tmp) as bench:
            box = await start_sandbox_process(tmp)
            write_rooms(tmp / "rooms")
            env = service_env(
                tmp, bench.url, box.telegram_base, box.graph_url, "",
                NEWSBOT_NEWSROOMS=str(tmp / "rooms"), NEWSBOT_RATE_LIMITS="false",
                NEWSBOT_WORKERS=str(workers), LOG_LEVEL="warning",
            )  # fmt: skip
            service = await start_service(tmp, env, 1)
            stores = {r: Store(bench.redis, Keys(f"fair-{r}")) for r in ROOMS}
            try:
                await bench.wait_consumers(len(ROOMS) * workers, service)
                quiet = asyncio.Event()
                quiet.set()
                print(line("baseline, beta and gamma alone", await probe(stores, 10**6, quiet)))
                items = [make_article(i) for i in range(flood)]
                started = time.perf_counter()
                busy = asyncio.Event()
                prober = asyncio.create_task(probe(stores, 2 * 10**6, busy))
                for at in range(0, flood, 32):
                    chunk = items[at : at + 32]
                    await asyncio.gather(*(stores["alpha"].ingest(a, CHANNELS) for a in chunk))
                while await stores["alpha"].pending_count():
                    if time.perf_counter() - started > TIMEOUT:
                        break
                    await asyncio.sleep(0.05)
                drained = time.perf_counter() - started
                busy.set()
                print(line("during alpha's flood, beta and gamma", await prober))
                print(f"  alpha's flood: {2 * flood} deliveries in {drained:.1f} s "
                      f"({2 * flood / drained:.0f}/s)")  # fmt: skip
            finally:
                code = await service.stop()
                await box.proc.stop(signal.SIGINT)
            if code != 0:
                print(f"  service exited with {code}:\n{service.tail()}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for _ in range(args.runs):
        await run_once(args.flood, args.workers)


if __name__ == "__main__":
    asyncio.run(main())
