"""GET /metrics: scraped over real HTTP from the running service and parsed with
prometheus_client's own parser; the figures move when articles come in, deliveries are
made, feeds are polled and editors send commands, and they are those of every process
(`run --workers 2`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from bot.app import open_app
from bot.infra.health import RedisHealth
from bot.infra.redis_embedded import EmbeddedRedis
from bot.metrics import ATTEMPTS, Flusher, Metrics
from bot.metrics.families import ALL, PLATFORM_CALL
from bot.metrics.recorder import decode
from bot.models import Article, State
from bot.store import Keys, Store, now_ms
from bot.store.metrics import MetricsStore
from bot.urls import article_id
from sandbox import Fault, Sandbox
from tests.bot.test_cli import env_for
from tests.bot.test_pipeline import ENV, deliver_all, fixture_article
from tests.conftest import PAGE_ID, FeedServer, make_config
from tests.handlers.harness import EDITOR, STRANGER, running_bot

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape_text(port: int) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def scrape(port: int) -> Samples:
    status, _type, body = await scrape_text(port)
    assert status == 200, body
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over the series of `name` that carry these labels (others free)."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


async def test_deliveries_attempts_latencies_and_ingest_are_counted(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)
    article = fixture_article()
    assert article.published_at is not None
    # the first Telegram attempt is refused with a 429: one rate_limited attempt, then ok
    sandbox.telegram.faults.add(Fault(kind="rate_limit", method="sendPhoto", retry_after=1))
    async with open_app(config, env=ENV) as app:
        before = await scrape(app.web.port)
        assert total(before, "newsbot_deliveries_total") == 0
        await app.ingest.submit(article)
        await app.ingest.submit(article)  # the same again: a duplicate
        tg, fb = await deliver_all(app, [article.id])
        assert (tg.state, fb.state) == (State.SENT, State.SENT)
        first = await scrape(app.web.port)
        status, content_type, _body = await scrape_text(app.web.port)
        second = await scrape(app.web.port)
    assert status == 200 and content_type.startswith("text/plain")
    sent = "newsbot_deliveries_total"
    assert value(first, sent, channel="tg-main", state="sent") == 1
    assert value(first, sent, channel="fb-page", state="sent") == 1
    assert total(first, sent, state="failed") == 0
    attempts = "newsbot_delivery_attempts_total"
    assert value(first, attempts, channel="tg-main", op="publish", outcome="rate_limited") == 1
    assert value(first, attempts, channel="tg-main", op="publish", outcome="ok") == 1
    assert value(first, attempts, channel="fb-page", op="publish", outcome="ok") == 1
    calls = "newsbot_platform_call_seconds_count"
    assert value(first, calls, channel="tg-main", op="publish") == 2
    assert value(first, calls, channel="fb-page", op="publish") == 1
    inf = value(first, "newsbot_platform_call_seconds_bucket", channel="tg-main", op="publish",
                le="+Inf")  # fmt: skip
    assert inf == 2
    assert value(first, "newsbot_publish_to_post_seconds_count", channel="tg-main") == 1
    # the fixture article was published long ago: its whole latency is over a day
    assert value(first, "newsbot_publish_to_post_seconds_sum", channel="fb-page") > 86400  # type: ignore[operator]
    ingested = "newsbot_articles_ingested_total"
    assert value(first, ingested, source="feed", outcome="new") == 1
    assert value(first, ingested, source="feed", outcome="duplicate") == 1
    assert value(first, "newsbot_processes") == 1
    # each flush measures its own round trip, which the next one carries
    assert total(second, "newsbot_redis_roundtrip_seconds_count") >= 1
    assert value(second, sent, channel="tg-main", state="sent") == 1  # a scrape adds nothing


async def test_a_permanent_refusal_is_counted_as_failed_with_its_kind(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)
    article = fixture_article()
    kicked = "Forbidden: bot was kicked from the channel chat"
    sandbox.telegram.faults.add(
        Fault(kind="status", method="sendPhoto", status=403, description=kicked)
    )
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        tg, _fb = await deliver_all(app, [article.id])
        samples = await scrape(app.web.port)
    assert tg.state is State.FAILED and tg.failure == "forbidden"
    assert value(samples, "newsbot_deliveries_total", channel="tg-main", state="failed") == 1
    assert value(samples, "newsbot_deliveries_total", channel="tg-main", state="sent") is None
    attempts = "newsbot_delivery_attempts_total"
    assert value(samples, attempts, channel="tg-main", op="publish", outcome="forbidden") == 1


async def test_gauges_show_the_queues_cooldowns_feeds_tokens_and_pause(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    feeds = [{"id": "ok", "url": feed_server.url}, {"id": "broken", "url": feed_server.url}]
    config = make_config(redis_server.url, sandbox, feeds=feeds)
    async with open_app(config, env=ENV) as app:  # not running: nothing moves the queues
        r, k, now = app.redis, app.store.keys, now_ms()
        await r.xadd(k.work, {"job": "publish:a1:tg-main"})
        await r.xadd(k.work, {"job": "publish:a2:tg-main"})
        assert len(await app.store.read_jobs("someone", count=1, block_ms=10)) == 1
        await r.zadd(
            k.due, {"publish:a3:tg-main": now - 60_000, "publish:a4:tg-main": now + 60_000}
        )
        await r.set(k.cooldown(f"fb:page:{PAGE_ID}"), 1, px=30_000)
        await r.set(k.paused, "ed")
        await r.hset(k.token_expiry(), mapping={"fb-page": 1_900_000_000, "tg-main": 2_000_000_000})
        ten_minutes_ago = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now / 1000 - 600))
        await r.hset(k.feed("ok"), mapping={"last_ok_at": ten_minutes_ago, "error_streak": 0})
        since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now / 1000 - 2400))
        await r.hset(k.feed("broken"), mapping={"failing_since": since, "error_streak": 7})
        samples = await scrape(app.web.port)
        _status, _type, body = await scrape_text(app.web.port)
    assert value(samples, "newsbot_work_stream_length") == 2
    assert value(samples, "newsbot_work_pending_jobs") == 1
    assert value(samples, "newsbot_due_jobs") == 2
    assert 59 < value(samples, "newsbot_due_lag_seconds") < 90  # type: ignore[operator]
    cooling = value(samples, "newsbot_cooldown_seconds", bucket=f"fb:page:{PAGE_ID}")
    assert cooling is not None and 20 < cooling <= 30
    assert value(samples, "newsbot_cooldown_seconds", bucket="tg:bot") == 0
    assert value(samples, "newsbot_paused") == 1
    expiry = "newsbot_token_expiry_timestamp_seconds"
    assert value(samples, expiry, platform="facebook", channel="fb-page") == 1_900_000_000
    assert value(samples, expiry, platform="telegram", channel="tg-main") == 2_000_000_000
    assert 599 < value(samples, "newsbot_feed_lag_seconds", feed="ok") < 700  # type: ignore[operator]
    assert 2399 < value(samples, "newsbot_feed_lag_seconds", feed="broken") < 2500  # type: ignore[operator]
    assert value(samples, "newsbot_feed_last_success_timestamp_seconds", feed="broken") is None
    assert value(samples, "newsbot_feed_error_streak", feed="broken") == 7
    assert value(samples, "newsbot_feed_interval_seconds", feed="ok") == 60
    # every family is described, even before it has a sample
    described = {f.name for f in text_string_to_metric_families(body)}
    assert {f.name.removesuffix("_total") for f in ALL} <= described


async def test_feed_polls_are_counted_by_result(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    config = make_config(redis_server.url, sandbox, feeds=[{"id": "f", "url": feed_server.url}])
    async with open_app(config, env=ENV) as app:
        poller = app.pollers[0]
        assert (await poller.poll_once()).status == 200
        assert (await poller.poll_once()).not_modified
        feed_server.status = 500
        assert (await poller.poll_once()).error
        samples = await scrape(app.web.port)
    polls = "newsbot_feed_polls_total"
    assert value(samples, polls, feed="f", result="200") == 1
    assert value(samples, polls, feed="f", result="304") == 1
    assert value(samples, polls, feed="f", result="error") == 1
    assert value(samples, "newsbot_feed_error_streak", feed="f") == 1
    last = value(samples, "newsbot_feed_last_success_timestamp_seconds", feed="f")
    assert last is not None and abs(last - time.time()) < 60
    # a feed seen for the first time only remembers its items (backfill 0)
    assert value(samples, "newsbot_articles_ingested_total", source="feed", outcome="known") == 1


async def test_editors_commands_are_counted_by_outcome(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox) as bot:
        bot.send(EDITOR, "/help")
        await bot.reply(EDITOR)
        bot.send(EDITOR, "/status 0123456789abcdef")  # unknown: the editor is told why
        await bot.reply(EDITOR)
        bot.send(STRANGER, "/help")
        await bot.reply(STRANGER)
        bot.send(EDITOR, "/nonsense")
        await bot.reply(EDITOR)
        samples = await scrape(bot.app.web.port)
    commands = "newsbot_editor_commands_total"
    assert value(samples, commands, command="help", outcome="ok") == 1
    assert value(samples, commands, command="status", outcome="error") == 1
    assert value(samples, commands, command="help", outcome="refused") == 1
    assert value(samples, commands, command="other", outcome="ok") == 1


async def test_counting_off_leaves_the_counters_empty_and_the_gauges_on(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, NEWSBOT_METRICS=False)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        await deliver_all(app, [article.id])
        samples = await scrape(app.web.port)
        assert await app.redis.exists(app.store.keys.metrics()) == 0
    assert total(samples, "newsbot_deliveries_total") == 0
    assert total(samples, "newsbot_articles_ingested_total") == 0
    assert value(samples, "newsbot_work_stream_length") == 0
    assert value(samples, "newsbot_processes") == 0


async def test_a_flush_that_cannot_reach_redis_keeps_its_counts_for_the_next(
    redis: Redis, redis_server: EmbeddedRedis
) -> None:
    keys = Keys("tflush")
    metrics = Metrics()
    metrics.count(ATTEMPTS, "tg-main", "publish", "ok", by=3)
    metrics.observe(PLATFORM_CALL, 0.01, "tg-main", "publish")  # on a bound: le="0.01"
    metrics.observe(PLATFORM_CALL, 0.3, "tg-main", "publish")
    dead = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=1)
    try:
        nowhere = Flusher(metrics, MetricsStore(dead, keys), "p1", RedisHealth())
        await nowhere.flush_quietly()  # refused: kept
        assert await redis.exists(keys.metrics()) == 0
    finally:
        await dead.aclose()
    await Flusher(metrics, MetricsStore(redis, keys), "p1", RedisHealth()).flush()
    stored = {decode(f): float(v) for f, v in (await redis.hgetall(keys.metrics())).items()}
    assert stored[("newsbot_delivery_attempts_total", "", ("tg-main", "publish", "ok"))] == 3
    bucket = ("newsbot_platform_call_seconds", "0.01", ("tg-main", "publish"))
    assert stored[bucket] == 1
    assert stored[("newsbot_platform_call_seconds", "0.5", ("tg-main", "publish"))] == 1
    total_sum = stored[("newsbot_platform_call_seconds", "sum", ("tg-main", "publish"))]
    assert abs(total_sum - 0.31) < 1e-9
    assert await redis.hexists(keys.processes(), "p1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_two_processes_are_counted_together_whichever_answers_the_scrape(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    # each post takes 0.2 s, so one process cannot drain the work before the other helps
    sandbox.telegram.faults.add(Fault(kind="timeout", delay=0.2, apply=True, times=100))
    sandbox.facebook.faults.add(Fault(kind="timeout", delay=0.2, apply=True, times=100))
    port = free_port()  # one port for both: SO_REUSEPORT, the kernel picks who answers
    env = env_for(tmp_path, redis_server.url, sandbox, "http://127.0.0.1:9/rss")
    env |= {"NEWSBOT_WORKERS": "1", "NEWSBOT_HTTP_PORT": str(port)}
    (tmp_path / "newsbot.toml").write_text(CHANNELS_ONLY.format(page=PAGE_ID))
    store = Store(Redis.from_url(redis_server.url), Keys(env["NEWSBOT_NAMESPACE"]))
    log_path = tmp_path / "out.log"
    log_file = log_path.open("wb")  # a file, not a pipe: nobody reads while it runs
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--workers", "2", env=env, cwd=tmp_path,
        stdout=log_file, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    scrapes: list[Samples] = []
    try:
        deadline = time.monotonic() + 60
        while log_path.read_text().count('"service started"') < 2:
            assert time.monotonic() < deadline and proc.returncode is None
            await asyncio.sleep(0.2)
        for n in range(10):  # planned as a CMS or a feed would, in the shared Redis
            url = f"https://news.example.kz/{n}"
            article = Article(id=article_id(url), url=url, title=f"News {n}", lead="A lead.")
            await store.ingest(article, ["tg-main", "fb-page"])
        while len(sandbox.telegram.posts) + len(sandbox.facebook.posts) < 20:
            assert time.monotonic() < deadline and proc.returncode is None
            await asyncio.sleep(0.1)
        # each process flushes about once a second: every scrape soon shows all 20
        while len(scrapes) < 6:
            assert time.monotonic() < deadline, scrapes[-1:] and sent_by_channel(scrapes[-1])
            samples = await scrape(port)
            if sum(sent_by_channel(samples).values()) == 20:
                scrapes.append(samples)
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
    finally:
        await stop_group(proc)
        log_file.close()
        await store.redis.aclose()
    lines = log_path.read_text().splitlines()
    assert proc.returncode == 0, "\n".join(lines[-20:])
    delivered_by = {line.split('"pid": ')[1].split(",")[0] for line in lines
                    if "delivery attempt" in line}  # fmt: skip
    assert len(delivered_by) == 2  # both processes delivered, and the counts hold both
    assert len(sandbox.telegram.posts) == len(sandbox.facebook.posts) == 10
    for samples in scrapes:  # whichever process answered
        assert sent_by_channel(samples) == {"tg-main": 10, "fb-page": 10}
        attempts = "newsbot_delivery_attempts_total"
        assert total(samples, attempts, outcome="ok") == 20
        assert total(samples, "newsbot_platform_call_seconds_count") == 20
        assert value(samples, "newsbot_processes") == 2


CHANNELS_ONLY = """
[[channels]]
id = "tg-main"
kind = "telegram"
chat = "@newsbot_test"
rate_per_minute = 6000
burst = 10

[[channels]]
id = "fb-page"
kind = "facebook"
page_id = "{page}"
rate_per_minute = 6000
burst = 10
"""


async def stop_group(proc: asyncio.subprocess.Process) -> None:
    """The supervisor and its worker processes gone, even after a failed assertion (a
    killed supervisor would leave its children running)."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)  # it stops its children first
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 60)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever of the group is left
    await proc.wait()


def sent_by_channel(samples: Samples) -> dict[str, float]:
    return {
        dict(labels)["channel"]: v
        for (name, labels), v in samples.items()
        if name == "newsbot_deliveries_total" and dict(labels).get("state") == "sent"
    }
