"""A restarted process takes over its dead predecessor's jobs at once, instead of a
lease after they went quiet.

A process's consumer name says where it runs: `<host>-<pid namespace>.<pid>-<random>`
(its workers append `-<n>` and `-reclaim`). At start, and about once a second after (a
sibling process killed), the engine looks at the work group's consumers: one of this
machine (same host name, same pid namespace) whose pid is no longer running here is
certainly dead. Its jobs are claimed and their leases ended (lua/attempt_abandon.lua),
so the claim script handles them as it handles any lost attempt (ambiguous when the
call may have reached the platform), right away.

Anything less certain (another machine, another pid namespace, a pid reused by an
unrelated process, this process's own pid: several services may share it) waits for
the lease, as before: a live worker is never robbed.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from bot.store.attempts import Job
from bot.store.recovery import Recovery

NAME = re.compile(r"^(?P<host>.+)-(?P<ns>[0-9a-f]+)\.(?P<pid>\d+)-(?P<rand>[0-9a-f]{6})$")


@dataclass(frozen=True, slots=True)
class Identity:
    host: str
    pidns: str
    pid: int
    name: str  # the whole consumer name


def pid_namespace() -> str:
    """This process's pid namespace (its inode on Linux; "0" where there is none)."""
    try:
        return f"{Path('/proc/self/ns/pid').stat().st_ino:x}"
    except OSError:
        return "0"


def consumer_name() -> str:
    """A new process's consumer name: machine, pid namespace, pid, and a random part."""
    host = socket.gethostname() or "host"
    return f"{host}-{pid_namespace()}.{os.getpid()}-{uuid.uuid4().hex[:6]}"


def identity(process: str) -> Identity | None:
    found = NAME.match(process)
    if found is None:
        return None  # named by an older version or a test: its lease decides
    return Identity(found["host"], found["ns"], int(found["pid"]), process)


def process_of(worker: str) -> str:
    """The consumer name of the process a worker (`<process>-<n>`, `-reclaim`) is of."""
    return worker.rsplit("-", 1)[0]


def is_dead(process: str, me: str) -> bool:
    """Whether `process` certainly died: on this machine and not running any more."""
    other, mine = identity(process), identity(me)
    if other is None or mine is None or other.name == mine.name:
        return False
    if (other.host, other.pidns) != (mine.host, mine.pidns):
        return False
    if other.pid == mine.pid:
        return False  # this very process (its services share the pid), or a pid reused
    try:
        os.kill(other.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # running, under another user
    return False


async def take_over(recovery: Recovery, me: str, to: str) -> list[Job]:
    """The jobs of every dead predecessor of `me` on this machine, claimed for `to`."""
    jobs: list[Job] = []
    for worker, pending in (await recovery.consumers()).items():
        process = process_of(worker)
        if not is_dead(process, me):
            continue
        if pending:
            jobs += await recovery.take(worker, process, to)
        else:
            await recovery.forget(worker)
    return jobs
