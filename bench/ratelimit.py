"""Rate-limit compliance: a backlog of 300 posts to one Telegram channel limited to 20 a
minute (rate_per_minute=20, burst=1), against a sandbox that enforces exactly that
(TelegramSandbox.rate_limit=(20, 60.0): real 429s with retry_after). The service is
`python -m bot run --workers 1` in a subprocess, the sandbox in this process, one
embedded Redis.

    .venv/bin/python bench/ratelimit.py --scale 10    # every time constant / 10: ~90 s
    .venv/bin/python bench/ratelimit.py               # the full run: ~15 minutes

--scale K divides every time constant by K: channel rate_per_minute=20*K and the sandbox
window (20, 60/K). --channel-rate R configures the channel below the platform's limit
(rate_per_minute=R*K) to see what margin avoids the 429s. Prints the achieved rate as a
percentage of the limit (posts after the first over the time from the first post to the
last: the steady rate a backlog can reach), the same from the ingest call, the gaps
between posts, the most posts in any window of 60/K s, the 429s and the delivery
states. Figures, not assertions; gives up at 1.5 x the ideal duration + 60/K s.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from harness import (
    TG_CHAT,
    Bench,
    TimedPosts,
    channels_toml,
    make_article,
    percentile,
    quiet_machine,
    service_env,
    start_service,
)

from sandbox import TelegramSandbox

COUNT, PER_WINDOW, WINDOW_S = 300, 20, 60.0


def most_in_window(times: list[float], window: float) -> int:
    """The most posts in any half-open window (t - window, t]: what the sandbox counts."""
    best = 0
    for i, t in enumerate(times):
        best = max(best, i + 1 - bisect.bisect_right(times, t - window))
    return best


async def bench(scale: float, workers: int, channel_rate: float) -> None:
    window = WINDOW_S / scale
    limit_per_s = PER_WINDOW / window
    ideal = (COUNT - 1) / limit_per_s
    telegram = TelegramSandbox(rate_limit=(PER_WINDOW, window))
    posts = TimedPosts()
    telegram.posts = posts
    telegram_base = await telegram.start()
    try:
        with tempfile.TemporaryDirectory(prefix="nb-rl-") as tmp_name:
            tmp = Path(tmp_name)
            async with Bench(tmp) as redis:
                toml = channels_toml(facebook=False, rate=channel_rate * scale, burst=1)
                env = service_env(
                    tmp, redis.url, telegram_base, "http://127.0.0.1:9", toml,
                    NEWSBOT_WORKERS=str(workers), NEWSBOT_RATE_LIMITS="true",
                )  # fmt: skip
                service = await start_service(tmp, env, 1)
                try:
                    await redis.wait_consumers(workers, service)
                    items = [make_article(i) for i in range(COUNT)]
                    t_ingest = time.monotonic()
                    for article in items:
                        await redis.store.ingest(article, ("tg",))
                    deadline = t_ingest + 1.5 * ideal + window
                    while len(posts) < COUNT and time.monotonic() < deadline:
                        await asyncio.sleep(0.1)
                    states = await redis.states([a.id for a in items], ("tg",))
                finally:
                    code = await service.stop()
                if code != 0:
                    print(f"  service exited with {code}:\n{service.tail()}")
    finally:
        await telegram.close()
    times = list(posts.times)
    refused = [c for c in telegram.calls if c.status == 429]
    print(
        f"scale={scale:g}: {COUNT} posts to {TG_CHAT}, channel rate_per_minute="
        f"{channel_rate * scale:g} burst=1, sandbox rate_limit=({PER_WINDOW}, {window:g} s), "
        f"NEWSBOT_WORKERS={workers}"
    )
    print(f"  posted {len(times)}/{COUNT}; states {dict(Counter(s for s, _ in states))}")
    if len(times) >= 2:
        span = times[-1] - times[0]
        rate = (len(times) - 1) / span
        print(
            f"  achieved rate: {rate * 60:.3f}/min over {span:.1f} s = "
            f"{100 * rate / limit_per_s:.2f}% of the limit ({limit_per_s * 60:.3f}/min scaled)"
        )
        from_ingest = len(times) / (times[-1] - t_ingest)
        print(
            f"  from the ingest call: {len(times)} posts in {times[-1] - t_ingest:.1f} s "
            f"(ideal {ideal:.1f} s for the last) = {100 * from_ingest / limit_per_s:.2f}%"
        )
        gaps = [b - a for a, b in itertools.pairwise(times)]
        gap_ms = [1000 * g for g in sorted(gaps)]
        print(
            f"  gap between posts ms: min {gap_ms[0]:.1f}, p1 {percentile(gap_ms, 1):.1f}, "
            f"p50 {percentile(gap_ms, 50):.1f}, p99 {percentile(gap_ms, 99):.1f}, max "
            f"{gap_ms[-1]:.1f} (limit spacing {1000 / limit_per_s:.1f}); most posts in any "
            f"{window:g} s window: {most_in_window(times, window)} (limit {PER_WINDOW})"
        )
    print(
        f"  429 answers: {len(refused)}"
        + (f" (first at post {first_429(refused, times)})" if refused else "")
    )


def first_429(refused: list[Any], times: list[float]) -> int:
    return bisect.bisect_left(times, refused[0].at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="divide time constants by K")
    parser.add_argument("--workers", type=int, default=4, help="NEWSBOT_WORKERS")
    parser.add_argument(
        "--channel-rate", type=float, default=PER_WINDOW,
        help="the channel's rate_per_minute before scaling (default 20, the platform's limit)",
    )  # fmt: skip
    args = parser.parse_args()
    load = asyncio.run(quiet_machine())
    print(f"(other load before the run: {load:.2f} cores)")
    asyncio.run(bench(args.scale, args.workers, args.channel_rate))


if __name__ == "__main__":
    main()
