"""start_sandbox and the standalone mode."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket

import aiohttp
import pytest

from sandbox import run_standalone, start_sandbox
from tests.sandbox.conftest import TOKEN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_start_sandbox_serves_every_server_on_loopback() -> None:
    sb = await start_sandbox()
    try:
        bases = [sb.telegram_base, sb.graph_url, sb.site.base_url, sb.hub.base_url]
        assert all(re.fullmatch(r"http://127\.0\.0\.1:\d+", base) for base in bases)
        assert len(set(bases)) == 4
        # The site's feed names the hub, and the site pings it.
        assert sb.site.hub_url == sb.hub.url and sb.site.auto_ping
        async with aiohttp.ClientSession() as http:
            async with http.get(sb.site.feed_url) as resp:
                assert f'<atom:link rel="hub" href="{sb.hub.url}"/>' in await resp.text()
            async with http.post(sb.hub.url, data={"hub.mode": "publish"}) as resp:
                assert resp.status == 400
            async with http.get(f"{sb.telegram_base}/bot{TOKEN}/getMe") as resp:
                assert (await resp.json())["result"]["is_bot"] is True
            async with http.get(f"{sb.graph_url}/v24.0/debug_token") as resp:
                assert (await resp.json())["error"]["code"] == 104
    finally:
        await sb.close()


async def test_run_standalone_prints_its_urls_and_stops_when_cancelled() -> None:
    lines: list[str] = []
    tg_port, fb_port, site_port, hub_port = free_port(), free_port(), free_port(), free_port()
    task = asyncio.create_task(
        run_standalone(
            "127.0.0.1", tg_port, fb_port, lines.append, site_port=site_port, hub_port=hub_port
        )
    )
    for _ in range(200):
        if any(line.startswith("Stop") for line in lines):
            break
        await asyncio.sleep(0.01)
    text = "\n".join(lines)
    assert f"http://127.0.0.1:{tg_port}/bot<token>/<method>" in text
    assert f"http://127.0.0.1:{fb_port}/v24.0/<page-id>/feed" in text
    assert f"POST http://127.0.0.1:{fb_port}/_sandbox/faults" in text
    assert f"Site: http://127.0.0.1:{site_port}/ (feed http://127.0.0.1:{site_port}/rss/" in text
    assert f"WebSub hub: http://127.0.0.1:{hub_port}/" in text
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{tg_port}/bot{TOKEN}/getMe") as resp:
            assert resp.status == 200
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"http://127.0.0.1:{tg_port}/bot{TOKEN}/getMe")
