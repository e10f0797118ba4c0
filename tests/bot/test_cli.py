"""`newsbot run` as a real process (SIGTERM, JSON logs) and `newsbot status`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.infra.redis_embedded import EmbeddedRedis
from sandbox import Sandbox
from tests.conftest import BOT_TOKEN, PAGE_ID, PAGE_TOKEN, FeedServer

CONFIG = """
[[feeds]]
id = "profit"
url = "{feed}"
interval = 1
backfill = 1

[[channels]]
id = "tg-main"
kind = "telegram"
chat = "@newsbot_test"

[[channels]]
id = "fb-page"
kind = "facebook"
page_id = "{page}"
"""


def env_for(tmp_path: Path, redis_url: str, sandbox: Sandbox, feed: str) -> dict[str, str]:
    config = tmp_path / "newsbot.toml"
    config.write_text(CONFIG.format(feed=feed, page=PAGE_ID), encoding="utf-8")
    return {
        **os.environ,
        "NEWSBOT_CONFIG": str(config),
        "REDIS_URL": redis_url,
        "NEWSBOT_NAMESPACE": f"cli{os.getpid()}{time.monotonic_ns() % 100000}",
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE": sandbox.telegram_base,
        "FACEBOOK_GRAPH_URL": sandbox.graph_url,
        "FACEBOOK_PAGE_TOKEN": PAGE_TOKEN,
        "NEWSBOT_ALLOW_PRIVATE_NETWORKS": "true",
        "NEWSBOT_HTTP_PORT": "0",
    }


async def newsbot(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_run_delivers_logs_json_and_stops_cleanly_on_sigterm(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    env = env_for(tmp_path, redis_server.url, sandbox, feed_server.url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while len(sandbox.telegram.posts) + len(sandbox.facebook.posts) < 2:
        assert time.monotonic() < deadline and proc.returncode is None
        await asyncio.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert time.monotonic() - started < 10
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    sent = [ln for ln in lines if ln.get("event") == "delivery attempt" and ln["state"] == "sent"]
    assert {ln["channel"] for ln in sent} == {"tg-main", "fb-page"}
    assert all({"article_id", "attempt", "latency_ms", "timestamp"} <= ln.keys() for ln in sent)

    code, out_s, err_s = await newsbot(env, tmp_path, "status", "--json")
    assert code == 0, err_s
    rows = json.loads(out_s)
    assert {r["channel"]: r["state"] for r in rows} == {"tg-main": "sent", "fb-page": "sent"}
    assert {"article_id", "url", "channel", "state", "attempts", "remote_id"} <= rows[0].keys()
    assert all(r["remote_id"] for r in rows)

    code, table, _ = await newsbot(env, tmp_path, "status", rows[0]["url"] + "?utm_source=tg")
    assert code == 0 and "tg-main" in table and "sent" in table
    code, _, err_s = await newsbot(env, tmp_path, "status", "https://profit.kz/news/unknown")
    assert code == 1 and "no article" in err_s


@pytest.mark.parametrize("missing", ["TELEGRAM_BOT_TOKEN", "FACEBOOK_PAGE_TOKEN"])
async def test_run_without_a_needed_token_says_which_one(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox, missing: str
) -> None:
    env = env_for(tmp_path, redis_server.url, sandbox, "https://profit.kz/rss/")
    del env[missing]
    code, _out, err = await newsbot(env, tmp_path, "run")
    assert code == 2 and err.startswith(f"newsbot: {missing} is not set")
    assert len(err.strip().splitlines()) == 1


async def test_a_mistyped_setting_is_named_with_the_closest_known_one(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    # Regression: NEWSBOT_WORKRES=3 was silently ignored.
    env = {**env_for(tmp_path, redis_server.url, sandbox, "https://profit.kz/rss/"),
           "NEWSBOT_WORKRES": "3", "NEWSBOT_FETCH_PAGE": "false"}  # fmt: skip
    code, _out, err = await newsbot(env, tmp_path, "status")
    assert code == 0
    assert "NEWSBOT_WORKRES is not a newsbot setting and is ignored: did you mean " \
        "NEWSBOT_WORKERS?" in err  # fmt: skip
    assert "NEWSBOT_FETCH_PAGE is not a newsbot setting" in err and "NEWSBOT_FETCH_PAGES?" in err


def redis_servers_in(data_dir: Path) -> list[int]:
    """Pids of redis-server processes working in `data_dir`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()  # redis retitles: "redis-server unix..."
        except OSError:
            continue
        if b"redis-server" in cmdline and str(data_dir).encode() in cmdline:
            found.append(int(proc.name))
    return found


async def test_a_clean_sigterm_leaves_no_embedded_redis_server_behind(
    tmp_path: Path, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    # Regression (seen once): after a clean SIGTERM the embedded redis-server stayed.
    for run in range(3):
        data = tmp_path / f"data{run}"
        env = env_for(tmp_path, "", sandbox, feed_server.url)
        del env["REDIS_URL"]
        env["NEWSBOT_DATA_DIR"] = str(data)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while b"service started" not in await asyncio.wait_for(proc.stdout.readline(), 60):
            assert time.monotonic() < deadline and proc.returncode is None
        assert redis_servers_in(data)  # it runs while the service runs
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert redis_servers_in(data) == []
        # the server was reaped by its owner, not behind asyncio's child watcher's back
        assert b"Unknown child process" not in out + err
