"""What one attempt at a delivery carries through the store: the job read from the work
stream, the claim that starts the attempt, the completion that records its outcome; and
how their script arguments and replies are laid out (lua/claim.lua, lua/complete.lua).
The store (store.py) sends them; this module only shapes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.models import Article
from bot.platforms import FailureKind, RateLimit
from bot.states import State
from bot.store.keys import WORK_GROUP, Keys, parse_job, text

# Booked slots are exact, but each send lands a few ms off its slot, and Telegram counts
# a sliding window: pacing 1% under the limit absorbs that jitter (bench/ratelimit.py:
# 13 429s in 300 posts at 100%, none at 99%).
RESERVED_PACE = 0.99


@dataclass(frozen=True, slots=True)
class Job:
    entry_id: str
    op: str  # publish | edit | retract
    article_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class Claim:
    job: Job
    attempt: int  # of this operation
    article: Article
    payload: str  # the stored Post (JSON): the planned one, or the live one for edit/retract
    ambiguous_since_ms: int = 0  # > 0: an earlier attempt from then may have posted
    pending: str = ""  # edit: the corrected Post (JSON)
    cause: str = ""  # edit, retract: who or what asked for it
    remote_id: str = ""  # edit, retract: the live post's id on the platform
    sent_at_ms: int = 0
    worker: str = ""  # who holds the attempt, and since when: its lease is renewed by
    started_ms: int = 0  # those two (Store.renew_lease)


@dataclass(frozen=True, slots=True)
class Deferred:
    """The job went back to the due set: a rate limit or cooldown did not allow it yet."""

    wait_ms: int


@dataclass(frozen=True, slots=True)
class Completion:
    """What an attempt decided, as complete() records it."""

    state: State
    payload: str = ""  # the Post, when it was rendered by this attempt
    remote_id: str = ""
    remote_url: str = ""
    error: str = ""
    failure: FailureKind | None = None
    next_at_ms: int = 0
    pause_bucket: str = ""
    pause_ms: int = 0
    note: str = ""
    version: str = ""  # the published version ({"by", "text"} JSON), when one was made


def jobs_of(entries: Sequence[Any]) -> list[Job]:
    """Jobs from a stream reply's entries ([id, {b"job": ...}]); a trimmed one is None."""
    return [
        Job(text(entry_id), *parse_job(text(fields[b"job"])))
        for entry_id, fields in entries
        if fields is not None
    ]


def claim_call(
    k: Keys,
    job: Job,
    consumer: str,
    started: int,
    lease_ms: int,
    limits: Sequence[RateLimit],
    max_crashes: int,
) -> tuple[list[str], list[str | int | float]]:
    """KEYS and ARGV of lua/claim.lua."""
    keys = [k.delivery(job.article_id, job.channel), k.article(job.article_id), k.events]
    keys += [k.work, k.due, k.paused]
    args: list[str | int | float] = [job.entry_id, started, lease_ms, consumer, WORK_GROUP]
    args += [job.article_id, job.channel, max_crashes, job.op]
    for limit in limits:
        keys += [k.rate(limit.name), k.cooldown(limit.name)]
        emission_ms = 1000.0 / limit.per_second
        if limit.reserve:
            emission_ms /= RESERVED_PACE
        args += [round(emission_ms, 3), round(emission_ms * (limit.burst - 1), 3)]
        args.append("b" if limit.spacing else "1" if limit.reserve else "0")
    return keys, args


def claim_of(reply: Any, job: Job, consumer: str, started: int) -> Claim:
    """A granted claim ({1, attempt, article, ...}) as a Claim."""
    article = Article.from_json(reply[2])
    payload, pending, cause, remote_id = (text(reply[i]) for i in (3, 5, 6, 7))
    return Claim(job, int(reply[1]), article, payload, int(reply[4] or 0), pending, cause,
                 remote_id, int(reply[8] or 0), consumer, started)  # fmt: skip


def complete_call(
    k: Keys, claim: Claim, outcome: Completion, now: int, read_for: str
) -> tuple[list[str], list[str | int]]:
    """KEYS and ARGV of lua/complete.lua; `read_for`: the worker that takes its next job
    in the same call ("" for none)."""
    job = claim.job
    delivery = k.delivery(job.article_id, job.channel)
    keys = [delivery, k.events, k.work, k.due]
    if outcome.pause_bucket and outcome.pause_ms > 0:
        keys += [k.cooldown(outcome.pause_bucket), k.rate(outcome.pause_bucket)]
    else:
        keys += [delivery, delivery]  # not touched without a pause
    args: list[str | int] = [
        job.entry_id, now, WORK_GROUP, job.article_id, job.channel,
        outcome.state.value, outcome.payload, outcome.remote_id, outcome.remote_url,
        outcome.error[:1000], outcome.next_at_ms, claim.attempt,
        outcome.pause_ms if outcome.pause_bucket else 0, outcome.note,
        outcome.failure.value if outcome.failure else "", job.op, outcome.version, read_for,
    ]  # fmt: skip
    return keys, args


def completed(reply: Any) -> tuple[bool, list[Job]]:
    """lua/complete.lua's reply {recorded, next entry id, next job} (both "" for none)."""
    recorded, entry_id, job = reply
    if not entry_id or not job:
        return bool(int(recorded)), []
    return bool(int(recorded)), [Job(text(entry_id), *parse_job(text(job)))]
