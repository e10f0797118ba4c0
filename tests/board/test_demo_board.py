"""`newsbot demo` in a terminal: it prints the board's login link and serves the board
(and the sandbox's post pages) until Enter; with --no-wait it exits as without a
terminal (tests/bot/test_demo.py runs it without one)."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


async def start_demo(*args: str) -> tuple[asyncio.subprocess.Process, int]:
    """The demo with a terminal as its stdin: (the process, the terminal's master end)."""
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", *args, stdin=slave,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    os.close(slave)
    return proc, master


async def line_with(proc: asyncio.subprocess.Process, words: str, seen: list[str]) -> str:
    assert proc.stdout is not None
    while True:
        raw = await proc.stdout.readline()
        assert raw, "the demo ended before printing: " + words + "\n" + "".join(seen)
        seen.append(raw.decode())
        if words in seen[-1]:
            return seen[-1]


async def test_the_demo_serves_its_board_in_a_terminal_until_enter(tmp_path: Path) -> None:
    data = str(tmp_path / "demo")
    proc, master = await start_demo("--data", data)
    seen: list[str] = []
    try:
        async with asyncio.timeout(120):
            first = await line_with(proc, "delivery board: ", seen)
            login = re.search(r"(http://127\.0\.0\.1:\d+/board/login\?token=\S+)", first)
            assert login, first
            await line_with(proc, "until Enter or Ctrl-C", seen)
            assert "10 of 10 deliveries sent" in "".join(seen)
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as browser:
                async with browser.get(login.group(1)) as r:
                    assert r.status == 200 and str(r.url).endswith("/board")
                    page = await r.text()
                assert page.count('data-state="sent"') == 10
                post = re.search(r'<a class="post" href="([^"]+)"', page)
                assert post, page
                async with browser.get(post.group(1)) as r:  # the sandbox is still up
                    assert r.status == 200
            os.write(master, b"\n")
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        os.close(master)

    proc, master = await start_demo("--data", data, "--no-wait")
    try:
        async with asyncio.timeout(120):
            assert await proc.wait() == 0  # no Enter needed
            assert proc.stdout is not None
            out = (await proc.stdout.read()).decode()
    finally:
        os.close(master)
    assert "Nothing new to deliver" in out and "until Enter" not in out
    assert "delivery board: http://127.0.0.1:" in out
