"""Crash recovery (issue 14, point 4): DELIVERIES deliveries in flight to a Telegram
channel whose Bot API answers each call in 3 s (the sandbox's slow-answer fault), then
kill -9 of the service process and an immediate restart; how long until every delivery
has ended (sent, failed or held), counted from the kill, and how many posts were made.

    .venv/bin/python bench/recovery.py            # 20 deliveries, 3 runs
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from pathlib import Path

import aiohttp
from harness import (
    Bench,
    channels_toml,
    make_article,
    percentile,
    service_env,
    start_sandbox_process,
    start_service,
)

FINAL = {"sent", "failed", "held"}
CALL_SECONDS = 3.0
GIVE_UP = 300.0


async def one_run(deliveries: int, run: int) -> tuple[float, int, int]:
    """(seconds from the kill until every delivery ended, posts made, deliveries sent)"""
    with tempfile.TemporaryDirectory(prefix="nb-recovery-") as tmp_name:
        tmp = Path(tmp_name)
        async with Bench(tmp) as redis:
            box = await start_sandbox_process(tmp)
            env = service_env(
                tmp, redis.url, box.telegram_base, box.graph_url,
                channels_toml(facebook=False), NEWSBOT_RATE_LIMITS="false",
                NEWSBOT_WORKERS=str(deliveries), LOG_LEVEL="warning",
                NEWSBOT_DOCTOR_HOURS="0",
            )  # fmt: skip
            async with aiohttp.ClientSession() as http:
                fault = {"kind": "timeout", "delay": CALL_SECONDS, "times": 10 * deliveries}
                await http.post(f"{box.telegram_base}/_sandbox/faults", json=fault)
                service = await start_service(tmp, env, 1)
                await redis.wait_consumers(deliveries, service)
                items = [make_article(run * 10_000 + i, image=False) for i in range(deliveries)]
                await asyncio.gather(*(redis.store.ingest(a, ["tg"]) for a in items))
                ids = [a.id for a in items]
                while sum(s == "sending" for s, _ in await redis.states(ids, ["tg"])) < deliveries:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.5)  # every call is in flight at the sandbox
                killed = time.monotonic()
                await service.stop(signal.SIGKILL)
                service = await start_service(tmp, env, 1)
                try:
                    while True:
                        states = [s for s, _ in await redis.states(ids, ["tg"])]
                        if all(s in FINAL for s in states):
                            break
                        if time.monotonic() - killed > GIVE_UP:
                            print(f"  gave up: {states}")
                            break
                        await asyncio.sleep(0.05)
                    took = time.monotonic() - killed
                    async with http.get(f"{box.telegram_base}/_sandbox/posts") as resp:
                        posts = len(await resp.json())
                finally:
                    await service.stop()
                    await box.proc.stop(signal.SIGINT)
            return took, posts, sum(s == "sent" for s in states)


async def run(deliveries: int, runs: int) -> None:
    print(
        f"{deliveries} deliveries in flight (each Bot API call answers in {CALL_SECONDS:g} s), "
        "kill -9 of the service, restart at once"
    )
    took = []
    for n in range(runs):
        seconds, posts, sent = await one_run(deliveries, n)
        took.append(seconds)
        print(f"  run {n + 1}: all ended {seconds:.1f} s after the kill; {sent} sent, "
              f"{posts} posts on the channel")  # fmt: skip
    print(f"  median {percentile(took, 50):.1f} s, max {max(took):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.deliveries, args.runs))


if __name__ == "__main__":
    main()
