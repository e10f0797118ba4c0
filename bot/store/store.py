"""Redis store: articles, deliveries, the due set and the work stream.

Every delivery state transition is one Lua script in `bot/lua/` (compare-and-set
on the current state), never read-modify-write from Python. Reads for status
views are plain HGETALLs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import ResponseError

from bot.keys import WORK_GROUP, Keys, job_member, parse_job
from bot.models import Article, Delivery, IngestOutcome, IngestResult, State
from bot.urls import BadUrlError, article_id
from publishers.base import RateLimit

RESERVED_PACE = 0.99


def now_ms() -> int:
    return int(time.time() * 1000)


def _load_script(redis: Redis, name: str) -> AsyncScript:
    lua = resources.files("bot") / "lua"
    source = (lua / "_lib.lua").read_text() + "\n" + (lua / f"{name}.lua").read_text()
    return redis.register_script(source)


@dataclass(frozen=True, slots=True)
class Job:
    entry_id: str
    op: str
    article_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class Claim:
    job: Job
    attempt: int
    article: Article
    payload: str  # stored rendering, "" before the first successful render
    ambiguous_since_ms: int = 0  # > 0: an earlier attempt from then may have posted


@dataclass(frozen=True, slots=True)
class Deferred:
    """The job went back to the due set: a rate limit or cooldown did not allow it yet."""

    wait_ms: int


EDITORS_GROUP = "editors"


class Store:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._ingest = _load_script(redis, "ingest")
        self._claim = _load_script(redis, "claim")
        self._complete = _load_script(redis, "complete")
        self._promote = _load_script(redis, "promote")
        self._decide = _load_script(redis, "decide")

    async def ensure_group(self) -> None:
        """The workers' group on the work stream, and the editors' bot's on the events
        (made at start, so approvals wait for the bot even while it is down)."""
        for stream, group, start in (
            (self.keys.work, WORK_GROUP, "0"),
            (self.keys.events, EDITORS_GROUP, "$"),
        ):
            try:
                await self.redis.xgroup_create(stream, group, id=start, mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def ingest(
        self,
        article: Article,
        channels: Sequence[str],
        *,
        deliver: bool = True,
        payloads: Mapping[str, str] | None = None,
        content_hash: str | None = None,
        approvals: Mapping[str, int] | None = None,
        replan: bool = False,
    ) -> IngestResult:
        """Record the article and plan a delivery per channel, each stored with its
        rendering (`payloads`, JSON by channel) before anything is sent. A channel in
        `approvals` waits for an editor (`awaiting_approval`), at most that many ms
        (0: until one decides). `replan`: an article remembered without deliveries
        (a feed's backfill) is planned now (an editor asked for it)."""
        k = self.keys
        keys = [k.article(article.id), k.articles, k.events, k.work]
        keys += [k.delivery(article.id, ch) for ch in channels]
        keys.append(k.due)
        digest = content_hash or article.content_hash()
        args: list[str | int] = [article.id, article.to_json(), digest, now_ms()]
        args += [("2" if replan else "1") if deliver else "0", article.url]
        for ch in channels:
            approval = (approvals or {}).get(ch)
            args += [ch, (payloads or {}).get(ch, ""), "" if approval is None else approval]
        (outcome,) = await self._ingest(keys=keys, args=args)
        result = IngestOutcome(_text(outcome))
        planned = tuple(channels) if result is IngestOutcome.NEW and deliver else ()
        return IngestResult(article.id, result, planned)

    async def promote_due(self, batch: int = 500) -> tuple[int, int]:
        """Due jobs to the work stream: (how many moved, ms until the next one or -1)."""
        k = self.keys
        moved, next_ms = await self._promote(
            keys=[k.due, k.work, k.events], args=[now_ms(), batch, k.prefix]
        )
        return int(moved), int(next_ms)

    async def read_jobs(self, consumer: str, count: int, block_ms: int) -> list[Job]:
        reply: Any = await self.redis.xreadgroup(
            WORK_GROUP, consumer, {self.keys.work: ">"}, count=count, block=block_ms
        )
        jobs: list[Job] = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                op, aid, channel = parse_job(_text(fields[b"job"]))
                jobs.append(Job(_text(entry_id), op, aid, channel))
        return jobs

    async def claim(
        self,
        job: Job,
        consumer: str,
        lease_ms: int,
        limits: Sequence[RateLimit] = (),
        max_crashes: int = 3,
    ) -> Claim | Deferred | None:
        """Take a delivery for one attempt, within its rate limits; None: nothing to do."""
        k = self.keys
        keys = [
            k.delivery(job.article_id, job.channel),
            k.article(job.article_id),
            k.events,
            k.work,
            k.due,
            k.paused,
        ]
        args: list[str | int | float] = [job.entry_id, now_ms(), lease_ms, consumer, WORK_GROUP]
        args += [job.article_id, job.channel, max_crashes]
        for limit in limits:
            keys += [k.rate(limit.name), k.cooldown(limit.name)]
            emission_ms = 1000.0 / limit.per_second
            if limit.reserve:
                # Booked slots are exact, but each send lands a few ms off its slot, and
                # Telegram counts a sliding window: pacing 1% under the limit absorbs that
                # jitter (bench/ratelimit.py: 13 429s in 300 posts at 100%, none at 99%).
                emission_ms /= RESERVED_PACE
            args += [round(emission_ms, 3), round(emission_ms * (limit.burst - 1), 3)]
            args.append("1" if limit.reserve else "0")
        reply = await self._claim(keys=keys, args=args)
        if int(reply[0]) == 2:
            return Deferred(int(reply[1]))
        if int(reply[0]) != 1:
            return None
        article = Article.from_json(reply[2])
        return Claim(job, int(reply[1]), article, _text(reply[3]), int(reply[4] or 0))

    async def reclaim_stale(self, consumer: str, idle_ms: int, count: int = 20) -> list[Job]:
        """Jobs read by workers that went silent for `idle_ms` (XAUTOCLAIM): the claim
        script decides whether their delivery's lease has really expired."""
        reply: Any = await self.redis.xautoclaim(
            self.keys.work, WORK_GROUP, consumer, idle_ms, "0-0", count=count
        )
        jobs: list[Job] = []
        for entry in reply[1]:
            entry_id, fields = entry
            if fields is None:  # trimmed from the stream meanwhile
                continue
            op, aid, channel = parse_job(_text(fields[b"job"]))
            jobs.append(Job(_text(entry_id), op, aid, channel))
        return jobs

    async def complete(
        self,
        claim: Claim,
        state: State,
        *,
        payload: str = "",
        remote_id: str = "",
        remote_url: str = "",
        error: str = "",
        next_at_ms: int = 0,
        pause_bucket: str = "",
        pause_ms: int = 0,
        note: str = "",
    ) -> bool:
        """Record the outcome of a claimed attempt; False when the claim was stale.

        `pause_ms` > 0 sets a cooldown on `pause_bucket` for every worker."""
        job, k = claim.job, self.keys
        keys = [k.delivery(job.article_id, job.channel), k.events, k.work, k.due]
        keys += [k.cooldown(pause_bucket or "none"), k.rate(pause_bucket or "none")]
        args: list[str | int] = [
            job.entry_id,
            now_ms(),
            WORK_GROUP,
            job.article_id,
            job.channel,
            state.value,
            payload,
            remote_id,
            remote_url,
            error[:1000],
            next_at_ms,
            claim.attempt,
            pause_ms,
            note,
        ]
        return bool(await self._complete(keys=keys, args=args))

    async def decide(
        self, article_id: str, channel: str, action: str, who: str, value: str | int = ""
    ) -> tuple[bool, str]:
        """An editor's decision (bot/lua/decide.lua lists them): (applied, state now)."""
        k = self.keys
        keys = [k.delivery(article_id, channel), k.events, k.work, k.due]
        args: list[str | int] = [article_id, channel, action, now_ms(), who, value]
        done, state = await self._decide(keys=keys, args=args)
        return bool(int(done)), _text(state)

    async def set_paused(self, who: str | None) -> None:
        """Pause every delivery of the namespace (`who` paused it), or resume (None)."""
        if who is None:
            await self.redis.delete(self.keys.paused)
        else:
            await self.redis.set(self.keys.paused, f"{who}@{now_ms()}")

    async def paused_by(self) -> str | None:
        raw = await self.redis.get(self.keys.paused)
        return None if raw is None else _text(raw)

    async def audit(self, entry: Mapping[str, str]) -> None:
        fields: dict[Any, Any] = dict(entry)
        await self.redis.xadd(self.keys.audit, fields, maxlen=100_000, approximate=True)

    async def read_audit(self, count: int = 100) -> list[dict[str, str]]:
        rows: Any = await self.redis.xrevrange(self.keys.audit, count=count)
        return [{_text(a): _text(b) for a, b in fields.items()} for _id, fields in rows]

    async def due_at(self, article_id: str, channel: str) -> int | None:
        score = await self.redis.zscore(self.keys.due, job_member("publish", article_id, channel))
        return None if score is None else int(score)

    async def read_events(self, consumer: str, count: int, block_ms: int) -> list[dict[str, str]]:
        """New events for the editors' bot (each to one of its processes), acknowledged
        as they are handed out: an alert is worth at most one message."""
        group = EDITORS_GROUP
        reply: Any = await self.redis.xreadgroup(
            group, consumer, {self.keys.events: ">"}, count=count, block=block_ms
        )
        events: list[dict[str, str]] = []
        ids = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                events.append({_text(a): _text(b) for a, b in fields.items()})
                ids.append(entry_id)
        if ids:
            await self.redis.xack(self.keys.events, group, *ids)
        return events

    # --- reads -------------------------------------------------------------

    async def get_article(self, article_id: str) -> Article | None:
        raw = await self.redis.hget(self.keys.article(article_id), "json")
        return Article.from_json(raw) if raw else None

    async def deliveries(self, article_id: str) -> list[Delivery]:
        """The deliveries planned for an article, in channel order."""
        raw = await self.redis.hget(self.keys.article(article_id), "channels")
        channels = [c for c in _text(raw or b"").split(",") if c]
        pipe = self.redis.pipeline(transaction=False)
        for ch in channels:
            pipe.hgetall(self.keys.delivery(article_id, ch))
        rows = await pipe.execute()
        return [
            Delivery.from_hash(article_id, ch, {_text(a): _text(b) for a, b in row.items()})
            for ch, row in zip(channels, rows, strict=True)
            if row
        ]

    async def content_hash(self, article_id: str) -> str | None:
        """The source-content hash an article was last ingested with; None if unknown."""
        raw = await self.redis.hget(self.keys.article(article_id), "hash")
        return None if raw is None else _text(raw)

    async def find_article(self, ref: str) -> str | None:
        """An article id from an id or any URL of the article (utm-tagged, trailing slash...)."""
        candidates = [ref]
        if "://" in ref:
            try:
                candidates = [article_id(ref)]
            except BadUrlError:
                return None
        for aid in candidates:
            if await self.redis.exists(self.keys.article(aid)):
                return aid
        return None

    async def recent_article_ids(self, limit: int = 20) -> list[str]:
        ids = await self.redis.zrevrange(self.keys.articles, 0, limit - 1)
        return [_text(i) for i in ids]

    async def article_ids_since(self, since_ms: int) -> list[str]:
        ids = await self.redis.zrangebyscore(self.keys.articles, since_ms, "+inf")
        return [_text(i) for i in ids]

    async def pending_count(self) -> int:
        """Deliveries not yet finished: in the work stream or waiting in the due set."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xlen(self.keys.work)
        pipe.zcard(self.keys.due)
        work, due = await pipe.execute()
        return int(work) + int(due)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


__all__ = ["Claim", "Job", "Store", "job_member", "now_ms"]
