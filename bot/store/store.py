"""The Redis store: articles, deliveries, the due set and the work stream; and, as its
parts, the events stream, the feeds' state and the editors' keys. Nothing else in the
service talks to Redis (the leader lease aside, bot/infra/leader.py).

Every delivery state transition is one Lua script in bot/store/lua/ (compare-and-set
on the current state, along the table of bot/states.py), never read-modify-write
from Python. Reads for status views are plain HGETALLs, pipelined. A write that is
acted on outside Redis (a claim, an outcome, a plan, an editor's decision) is
confirmed on the replicas first (bot/store/replication.py).
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError, ResponseError

from bot.models import Article, Delivery, IngestOutcome, IngestResult
from bot.platforms import Post, RateLimit
from bot.store import scripts
from bot.store.attempts import (
    Claim,
    Completion,
    Deferred,
    Job,
    claim_call,
    claim_of,
    complete_call,
    completed,
    jobs_of,
)
from bot.store.board import BoardReads
from bot.store.client import Redis, RedisClient
from bot.store.editors import EditorStore
from bot.store.events import EventLog
from bot.store.feeds import FeedStore
from bot.store.keys import WORK_GROUP, Keys, job_member, now_ms, text
from bot.store.pages import PageMarks
from bot.store.pushes import PushStream
from bot.store.recovery import Recovery
from bot.store.replication import Replication
from bot.store.websub import Subscriptions
from bot.urls import BadUrlError, article_id

# the attempt's shapes live in attempts.py; importers of this module still find them here
__all__ = ["ChannelPlan", "Claim", "Completion", "Deferred", "Job", "Store"]


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """What ingest plans for one channel of an article."""

    channel: str
    post: str  # the rendered Post JSON ("" when it could not be rendered now)
    approval_ms: int | None = None  # wait for an editor at most this long (0: forever)
    on_update: str = "edit"  # a correction of a posted article: edit | approve | ignore
    not_before_ms: int = 0  # not earlier than this (embargo, delay, quiet hours)
    wait: str = ""  # why it waits, for /queue
    breaking: bool = False  # skips the channel's min_spacing
    spacing_ms: int = 0  # the channel's min_spacing

    def to_json(self) -> str:
        return json.dumps(
            {"ch": self.channel, "post": self.post, "approval": self.approval_ms,
             "on_update": self.on_update, "not_before": self.not_before_ms, "wait": self.wait,
             "breaking": self.breaking, "spacing": self.spacing_ms},
            ensure_ascii=False,
        )  # fmt: skip


class Store:
    def __init__(
        self, redis: RedisClient, keys: Keys, replication: Replication | None = None
    ) -> None:
        self.redis = redis
        self.keys = keys
        # confirms on the replicas the writes a failover must not lose (WAIT)
        self.replication = replication or Replication(redis, keys.fence)
        self.events = EventLog(redis, keys)
        self.feeds = FeedStore(redis, keys)
        self.pages = PageMarks(redis, keys)
        self.websub = Subscriptions(redis, keys)
        self.editors = EditorStore(redis, keys)
        self.pushes = PushStream(redis, keys, self.replication)
        self.board = BoardReads(redis, keys)
        self.recovery = Recovery(redis, keys)  # a dead predecessor's jobs
        self._own = False  # this store is a worker's view on a connection of its own
        self._ingest = scripts.load(redis, "ingest")
        self._claim = scripts.load(redis, "claim")
        self._complete = scripts.load(redis, "complete")
        self._renew = scripts.load(redis, "attempt_renew")
        self._promote = scripts.load(redis, "promote")
        self._decide = scripts.load(redis, "decide")
        self._retract = scripts.load(redis, "retract")

    @contextlib.asynccontextmanager
    async def own_connection(self) -> AsyncIterator[Store]:
        """This store on a connection of its own, for one delivery worker: its commands
        skip the shared pool's lock and condition (~25 µs of CPU each). Its parts and
        the replication confirmations stay on the shared client. A cluster client keeps
        a pool per node and no single-connection mode: the store itself."""
        if not isinstance(self.redis, Redis):
            yield self
            return
        view = copy.copy(self)
        view.redis, view._own = self.redis.client(), True  # connected at its first command
        try:
            yield view
        finally:
            await view.renew_connection()

    async def renew_connection(self) -> None:
        """After a Redis error, a worker's own connection goes back to the pool, and its
        next command takes one that the pool hands out as it does every other: checked,
        and with Sentinel pointed at the master the sentinels name now (a connection
        kept would reconnect to the old master's address after a failover). The
        shared client is left alone."""
        if self._own:
            with contextlib.suppress(RedisError, OSError):  # a connection Redis dropped
                await self.redis.aclose()  # back to the pool; reusable, not closed

    async def ensure_groups(self) -> None:
        """The workers' group on the work stream and the editors' on the events."""
        try:
            await self.redis.xgroup_create(self.keys.work, WORK_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        await self.events.ensure_group()
        await self.pushes.ensure_group()

    async def ingest(
        self,
        article: Article,
        plans: Sequence[ChannelPlan | str],
        *,
        deliver: bool = True,
        content_hash: str | None = None,
        replan: bool = False,
        cause: str = "",
        routes: Mapping[str, list[object]] | None = None,
    ) -> IngestResult:
        """Record the article and plan a delivery per channel, each stored with its
        rendering before anything is sent; or, for a known article whose content
        changed, correct what is planned or posted (docs/architecture.md "The flow of an
        article"). A channel given by id alone is planned without a rendering (the worker
        renders it). `replan`: an article remembered without deliveries (a feed's
        backfill) is planned now (an editor asked for it). `routes`: why each channel
        was or was not chosen, kept with a new article for /status and `newsbot status`."""
        specs = [ChannelPlan(p, "") if isinstance(p, str) else p for p in plans]
        k = self.keys
        keys = [k.article(article.id), k.articles, k.events, k.work, k.due]
        keys += [k.delivery(article.id, plan.channel) for plan in specs]
        keys += [k.spacing(plan.channel) for plan in specs]
        digest = content_hash or article.content_hash()
        args: list[str | int] = [article.id, article.to_json(), digest, now_ms()]
        args += [("2" if replan else "1") if deliver else "0", article.url, cause]
        args.append(json.dumps(routes, ensure_ascii=False) if routes else "")
        args += [plan.to_json() for plan in specs]
        (outcome,) = await self._ingest(keys=keys, args=args)
        result = IngestOutcome(text(outcome))
        if result is not IngestOutcome.DUPLICATE:  # planned: not to be lost in a failover
            await self.replication.confirm()
        planned = tuple(p.channel for p in specs) if result is IngestOutcome.NEW and deliver else ()
        return IngestResult(article.id, result, planned)

    async def retract(self, article_id: str, channel: str, why: str) -> tuple[bool, str]:
        """Take one delivery of an article down (retract.lua): (changed, state now)."""
        k = self.keys
        keys = [k.delivery(article_id, channel), k.events, k.due]
        done, state = await self._retract(keys=keys, args=[article_id, channel, now_ms(), why])
        if int(done):
            await self.replication.confirm()
        return bool(int(done)), text(state)

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
        return [job for _stream, entries in reply or [] for job in jobs_of(entries)]

    async def claim(
        self,
        job: Job,
        consumer: str,
        lease_ms: int,
        limits: Sequence[RateLimit] = (),
        max_crashes: int = 3,
    ) -> Claim | Deferred | None:
        """Take a delivery for one attempt, within its rate limits; None: nothing to do."""
        started = now_ms()
        keys, args = claim_call(self.keys, job, consumer, started, lease_ms, limits, max_crashes)
        reply = await self._claim(keys=keys, args=args, client=self.redis)
        if int(reply[0]) == 2:
            return Deferred(int(reply[1]))
        if int(reply[0]) != 1:
            return None
        # on the replicas before the platform is called: a claim lost in a failover
        # would be posted again without being known as ambiguous
        await self.replication.confirm()
        return claim_of(reply, job, consumer, started)

    async def renew_lease(self, claim: Claim, lease_ms: int) -> bool:
        """Extend an attempt's lease; False when it is no longer this worker's."""
        delivery = self.keys.delivery(claim.job.article_id, claim.job.channel)
        args: list[str | int] = [claim.worker, claim.started_ms, now_ms() + lease_ms]
        args += [WORK_GROUP, claim.job.entry_id]
        return bool(await self._renew(keys=[delivery, self.keys.work], args=args))

    async def reclaim_stale(self, consumer: str, idle_ms: int, count: int = 20) -> list[Job]:
        """Jobs read by workers that went silent for `idle_ms` (XAUTOCLAIM): the claim
        script decides whether their delivery's lease has really expired."""
        reply: Any = await self.redis.xautoclaim(
            self.keys.work, WORK_GROUP, consumer, idle_ms, "0-0", count=count
        )
        return jobs_of(reply[1])  # an entry trimmed from the stream meanwhile is left out

    async def complete(self, claim: Claim, outcome: Completion) -> bool:
        """Record the outcome of a claimed attempt; False when the claim was stale.
        `pause_ms` > 0 sets a cooldown on `pause_bucket` for every worker."""
        recorded, _ = await self.complete_and_read(claim, outcome, "")
        return recorded

    async def complete_and_read(
        self, claim: Claim, outcome: Completion, consumer: str
    ) -> tuple[bool, list[Job]]:
        """complete(), and the next job for `consumer` ("" for none) read from the work
        stream in the same script: one round trip instead of two while work waits."""
        keys, args = complete_call(self.keys, claim, outcome, now_ms(), consumer)
        recorded, jobs = completed(await self._complete(keys=keys, args=args, client=self.redis))
        if recorded:  # an error here: the caller writes again (compare-and-set: harmless)
            await self.replication.confirm()
        return recorded, jobs

    async def decide(
        self, article_id: str, channel: str, action: str, who: str, value: str | int = ""
    ) -> tuple[bool, str]:
        """An editor's decision (bot/store/lua/decide.lua lists them): (applied, state now)."""
        k = self.keys
        keys = [k.delivery(article_id, channel), k.events, k.work, k.due]
        args: list[str | int] = [article_id, channel, action, now_ms(), who, value]
        done, state = await self._decide(keys=keys, args=args)
        if int(done):  # the editor is told it is done
            await self.replication.confirm()
        return bool(int(done)), text(state)

    async def pending_post(self, article_id: str, channel: str) -> Post | None:
        """A live post's correction that waits (for the editors, or its turn)."""
        raw = await self.redis.hget(self.keys.delivery(article_id, channel), "pending_post")
        return Post.from_json(raw) if raw else None

    async def cooldown_seconds(self, bucket: str) -> float:
        """How long `bucket` stays paused (a 429, throttling), 0 when it is not."""
        ttl = await self.redis.pttl(self.keys.cooldown(bucket))
        return max(int(ttl), 0) / 1000

    # --- reads -------------------------------------------------------------

    async def get_article(self, article_id: str) -> Article | None:
        raw = await self.redis.hget(self.keys.article(article_id), "json")
        return Article.from_json(raw) if raw else None

    async def get_articles(self, article_ids: Sequence[str]) -> dict[str, Article]:
        """The articles that exist among `article_ids`, in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for aid in article_ids:
            pipe.hget(self.keys.article(aid), "json")
        rows = await pipe.execute()
        found = zip(article_ids, rows, strict=True)
        return {aid: Article.from_json(raw) for aid, raw in found if raw}

    async def deliveries(self, article_id: str) -> list[Delivery]:
        """The deliveries planned for an article, in channel order."""
        return (await self.deliveries_of([article_id]))[article_id]

    async def deliveries_of(self, article_ids: Sequence[str]) -> dict[str, list[Delivery]]:
        """The deliveries of many articles, in two round trips."""
        pipe = self.redis.pipeline(transaction=False)
        for aid in article_ids:
            pipe.hget(self.keys.article(aid), "channels")
        planned = [
            (aid, [c for c in text(raw or b"").split(",") if c])
            for aid, raw in zip(article_ids, await pipe.execute(), strict=True)
        ]
        pipe = self.redis.pipeline(transaction=False)
        for aid, channels in planned:
            for ch in channels:
                pipe.hgetall(self.keys.delivery(aid, ch))
        rows = iter(await pipe.execute())
        found: dict[str, list[Delivery]] = {}
        for aid, channels in planned:
            hashes = [(ch, next(rows)) for ch in channels]
            found[aid] = [
                Delivery.from_hash(aid, ch, {text(a): text(b) for a, b in row.items()})
                for ch, row in hashes
                if row
            ]
        return found

    async def due_times(
        self, pairs: Sequence[tuple[str, str]], op: str = "publish"
    ) -> list[int | None]:
        """When each (article, channel) job is due in the due set, if it waits there."""
        pipe = self.redis.pipeline(transaction=False)
        for aid, channel in pairs:
            pipe.zscore(self.keys.due, job_member(aid, channel, op))
        return [None if score is None else int(score) for score in await pipe.execute()]

    async def routes(self, article_id: str) -> dict[str, tuple[bool, str, dict[str, str]]]:
        """Why each channel was or was not chosen for a new article (bot.routing):
        channel -> (chosen, reason code, its values)."""
        raw = await self.redis.hget(self.keys.article(article_id), "routes")
        found = json.loads(raw) if raw else {}
        return {ch: (bool(c), str(code), dict(values)) for ch, (c, code, values) in found.items()}

    async def set_content_hash(self, article_id: str, digest: str) -> None:
        """Remember the source version `digest` of a known article (nothing else changes)."""
        await self.redis.hset(self.keys.article(article_id), "hash", digest)

    async def content_hash(self, article_id: str) -> str | None:
        """The source-content hash an article was last ingested with; None if unknown."""
        raw = await self.redis.hget(self.keys.article(article_id), "hash")
        return None if raw is None else text(raw)

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
        return [text(i) for i in ids]

    async def article_ids_since(self, since_ms: int) -> list[str]:
        ids = await self.redis.zrangebyscore(self.keys.articles, since_ms, "+inf")
        return [text(i) for i in ids]

    async def pending_count(self) -> int:
        """Deliveries not yet finished: in the work stream or waiting in the due set."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xlen(self.keys.work)
        pipe.zcard(self.keys.due)
        work, due = await pipe.execute()
        return int(work) + int(due)
