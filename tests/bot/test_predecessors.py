"""A restarted process takes over its dead predecessor's jobs at once (issue 14): a
consumer name says where its process runs, and only a process certainly gone on this
machine is robbed of its jobs before their lease runs out. Real Redis, the sandbox."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess

from bot.app import open_app
from bot.delivery.predecessors import consumer_name, identity, is_dead, pid_namespace
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from sandbox import Sandbox
from tests.bot.test_delivery import TG, events
from tests.bot.test_pipeline import ENV, deliver_all, fixture_article
from tests.conftest import make_config


def gone_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def named(pid: int, host: str | None = None, ns: str | None = None, rand: str = "a1b2c3") -> str:
    return f"{host or socket.gethostname()}-{ns or pid_namespace()}.{pid}-{rand}"


def test_a_consumer_name_says_where_its_process_runs() -> None:
    me = consumer_name()
    found = identity(me)
    assert found is not None and found.pid == os.getpid()
    assert (found.host, found.pidns) == (socket.gethostname(), pid_namespace())


def test_only_a_process_certainly_gone_on_this_machine_is_dead() -> None:
    me = consumer_name()
    assert is_dead(named(gone_pid()), me)
    assert not is_dead(named(os.getpid(), rand="ffffff"), me)  # another service of this process
    assert not is_dead(named(os.getppid()), me)  # running
    assert not is_dead(named(gone_pid(), host="elsewhere"), me)  # another machine
    assert not is_dead(named(gone_pid(), ns="abc"), me)  # another pid namespace
    assert not is_dead(me, me)
    assert not is_dead("proc-a", me)  # named by a test or an older version: the lease decides


async def test_a_restarted_process_takes_its_dead_predecessors_jobs_at_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    """The predecessor read a job and started its attempt (a 60 s lease), then died: the
    new process resolves it at once, as an ambiguous attempt (its post may exist)."""
    config = make_config(redis_server.url, sandbox, channels=[TG], NEWSBOT_LEASE_SECONDS=60)
    article, dead = fixture_article(), named(gone_pid())
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        (job,) = await app.store.read_jobs(f"{dead}-0", count=1, block_ms=100)
        assert await app.store.claim(job, f"{dead}-0", 60_000) is not None
        (tg,) = await deliver_all(app, [article.id], timeout=20)  # far less than the lease
        log = await events(app.redis, config.settings.namespace)
        workers = await app.redis.xinfo_consumers(app.store.keys.work, "workers")
    assert (tg.state, tg.attempts) == (State.SENT, 2)
    assert [e["note"] for e in log if e["state"] == "ambiguous"] == ["worker lost"]
    assert f"{dead}-0" not in {w["name"].decode() for w in workers}  # forgotten


async def test_a_live_process_keeps_its_jobs_until_its_lease_runs_out(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[TG], NEWSBOT_LEASE_SECONDS=60)
    article, live = fixture_article(), named(os.getppid())
    stop = asyncio.Event()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        (job,) = await app.store.read_jobs(f"{live}-0", count=1, block_ms=100)
        assert await app.store.claim(job, f"{live}-0", 60_000) is not None
        runner = asyncio.create_task(app.run(stop, poll_feeds=False))
        await asyncio.sleep(2.0)  # the engine has started and looked at the consumers
        stop.set()
        await runner
        (tg,) = await app.store.deliveries(article.id)
    assert (tg.state, len(sandbox.telegram.posts)) == (State.SENDING, 0)
