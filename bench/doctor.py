"""`newsbot doctor` wall time on the demo configuration: the demo's feed (served locally)
and its two channels (a Telegram channel and a Facebook Page in the sandbox), run as a
real `python -m bot doctor` process, timed from spawn to exit. Twice over: with the
embedded Redis (the doctor starts it in a temp folder, as the demo does) and with
REDIS_URL pointing at a Redis already running; then the checks alone, in-process, after
the imports (aiogram's import is most of a process's start). Prints the first run's
report, then the figures. Nothing is asserted.

    .venv/bin/python bench/doctor.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import Bench

from bot.cli.demo import DEMO_BOT_TOKEN, DEMO_CHANNELS, DEMO_PAGE_TOKEN, start_feed_server
from sandbox import start_sandbox


def demo_toml(feed_url: str) -> str:
    """The demo's feed and channels as a config file."""
    lines = [f'[[feeds]]\nid = "profit"\nurl = "{feed_url}"\ninterval = 60\nbackfill = 50\n']
    for channel in DEMO_CHANNELS:
        lines.append("[[channels]]")
        lines += [f"{k} = {v!r}".replace("'", '"') for k, v in channel.items()]
        lines.append("")
    return "\n".join(lines)


async def doctor_once(tmp: Path, env: dict[str, str]) -> tuple[float, int, str]:
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", cwd=tmp, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    return time.monotonic() - started, proc.returncode or 0, (out + err).decode()


async def in_process(tmp: Path, env: dict[str, str], runs: int) -> list[float]:
    """doctor_checks() timed after the imports: what the checks themselves take."""
    from bot.cli.doctor import doctor_checks
    from bot.infra.logging import Redactor

    saved, cwd = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(tmp)
    try:
        await doctor_checks(Redactor())  # warm-up: opening the platforms imports aiogram
        times = []
        for _ in range(runs):
            started = time.monotonic()
            await doctor_checks(Redactor())
            times.append(time.monotonic() - started)
        return times
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


async def main(runs: int) -> None:
    sandbox = await start_sandbox()
    feed_runner, feed_url = await start_feed_server()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        page = next(c for c in DEMO_CHANNELS if c["kind"] == "facebook")
        sandbox.facebook.add_page(page["page_id"], DEMO_PAGE_TOKEN)
        tg = next(c for c in DEMO_CHANNELS if c["kind"] == "telegram")
        sandbox.telegram.add_chat(tg["chat"], title="newsbot demo")
        (tmp / "newsbot.toml").write_text(demo_toml(feed_url), encoding="utf-8")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "REDIS_"))}
        env = {
            **base,
            "NEWSBOT_CONFIG": str(tmp / "newsbot.toml"),
            "NEWSBOT_DATA_DIR": str(tmp / "data"),
            "NEWSBOT_NAMESPACE": "demo",
            "NEWSBOT_ALLOW_PRIVATE_NETWORKS": "true",
            "TELEGRAM_BOT_TOKEN": DEMO_BOT_TOKEN,
            "TELEGRAM_API_BASE": sandbox.telegram_base,
            "FACEBOOK_GRAPH_URL": sandbox.graph_url,
            "FACEBOOK_PAGE_TOKEN": DEMO_PAGE_TOKEN,
            "EDITOR_IDS": "111",
        }
        try:
            figures: dict[str, list[float]] = {}
            async with Bench(tmp) as bench:
                for label, extra in (
                    ("embedded Redis", {}),
                    ("REDIS_URL", {"REDIS_URL": bench.url}),
                ):
                    times = []
                    for run in range(runs):
                        seconds, code, report = await doctor_once(tmp, {**env, **extra})
                        if run == 0 and not figures:
                            print(report)
                        if code != 0:
                            print(f"doctor exited {code}:\n{report}")
                        times.append(seconds)
                    figures[label] = times
                figures["the checks alone, in-process (REDIS_URL)"] = await in_process(
                    tmp, {**env, "REDIS_URL": bench.url}, runs
                )
        finally:
            await feed_runner.cleanup()
            await sandbox.close()
    for label, times in figures.items():
        median = statistics.median(times)
        print(
            f"newsbot doctor on the demo configuration, {label}: median {median:.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
