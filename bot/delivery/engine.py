"""The delivery engine: workers that take jobs from the work stream and post them.

Delivery semantics (docs/architecture.md "Delivery"): nothing planned is ever lost; a
post is made twice only after an ambiguous answer on a channel that cannot be checked.
- A delivery is claimed in Redis (queued -> sending, attempt + 1, a lease) before
  its platform is called, and the outcome is recorded by one compare-and-set
  script after; a worker whose attempt is no longer current changes nothing.
- A worker that dies mid-attempt leaves its job pending in the stream; another
  worker takes it over (XAUTOCLAIM) once the lease has expired, and the delivery
  is treated as ambiguous: its post may exist.
- Ambiguous means "check before posting again": a platform that can reconcile
  (Facebook) is read back for the post; one that cannot (Telegram) resends or holds
  the delivery for the editors, per channel. A delivery whose worker dies
  `max_crashes` times fails instead of looping.
- A definite refusal is never retried; a retryable one waits at least the
  platform's retry_after, which also pauses the channel's bucket for every
  worker. No worker sleeps holding a job: one that may not run yet goes back to
  the due set with its due time.
How each answer moves a delivery is bot/delivery/attempt.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime

import structlog

from bot import timing
from bot.delivery import operations, predecessors
from bot.delivery.attempt import Attempt, RetryPolicy, attempt
from bot.infra.health import REDIS_ERRORS, RedisHealth, sleep_unless
from bot.metrics import ATTEMPTS, DELIVERIES, PLATFORM_CALL, PUBLISH_TO_POST, Metrics
from bot.models import Article
from bot.platforms import Capability, Outlet
from bot.states import State
from bot.store import Claim, Deferred, Job, Store

log = structlog.get_logger("delivery")
# what ends a delivery (until an editor acts): counted once, when the attempt is recorded
FINAL = frozenset({State.SENT, State.FAILED, State.HELD})


class DeliveryEngine:
    def __init__(
        self,
        store: Store,
        outlets: Mapping[str, Outlet],
        *,
        consumer: str,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        lease_ms: int = 10_000,
        max_crashes: int = 3,
        rate_limits: bool = True,
        health: RedisHealth | None = None,
        timezone: str = "UTC",
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.outlets = outlets
        self.consumer = consumer
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.lease_ms = lease_ms
        self.max_crashes = max_crashes
        self.rate_limits = rate_limits
        self.health = health or RedisHealth()
        self.timezone = timezone  # a channel's quiet hours are in it unless it names its own
        self.metrics = metrics or Metrics(enabled=False)
        self.running: set[str] = set()  # the worker and reclaimer tasks now running (/readyz)

    def tasks_running(self) -> tuple[int, int]:
        """(delivery tasks running, how many this process should run): the workers and
        the reclaimer."""
        return len(self.running), self.concurrency + 1

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; attempts already started are finished first."""
        await self.store.ensure_groups()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._reclaimer(stop))
            for n in range(self.concurrency):
                tg.create_task(self._worker(stop, f"{self.consumer}-{n}"))

    async def _worker(self, stop: asyncio.Event, name: str) -> None:
        self.running.add(name)
        try:
            async with self.store.own_connection() as store:
                await self._work(stop, name, store)
        finally:
            self.running.discard(name)

    async def _work(self, stop: asyncio.Event, name: str, store: Store) -> None:
        while not stop.is_set():
            try:
                jobs = await store.read_jobs(name, count=1, block_ms=500)
                self.health.ok()
                while jobs:  # an outcome's script hands over the next job, if any
                    job = jobs.pop(0)
                    more = not jobs and not stop.is_set()
                    jobs += (await self._attempt(job, name, store, read_next=more))[1]
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                await store.renew_connection()
                await sleep_unless(stop, 0.5)
            except Exception:  # a bug must not stop the other deliveries
                log.exception("worker error", worker=name)
                await sleep_unless(stop, 1.0)

    async def _reclaimer(self, stop: asyncio.Event) -> None:
        """Takes over the jobs of workers that died (their lease expired)."""
        name = f"{self.consumer}-reclaim"
        self.running.add(name)
        try:
            await self._reclaim(stop, name)
        finally:
            self.running.discard(name)

    async def _reclaim(self, stop: asyncio.Event, name: str) -> None:
        while not stop.is_set():
            try:
                # a process of this machine that is certainly gone (a predecessor, a
                # sibling killed): its jobs at once (bot/delivery/predecessors.py)
                jobs = await predecessors.take_over(self.store.recovery, self.consumer, name)
                if jobs:
                    log.info("jobs of a dead process taken over", jobs=len(jobs))
                # idle longer than a lease: a live worker's renewals keep its job's entry
                # fresh (lua/attempt_renew.lua), so this finds a dead worker's job once
                # its lease has run out (the claim script checks the lease itself)
                jobs += await self.store.reclaim_stale(name, self.lease_ms + 500)
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                jobs = []
            if jobs:  # worked as concurrently as fresh ones, not one after another
                room = asyncio.Semaphore(self.concurrency)
                await asyncio.gather(*(self._take_over(job, name, room) for job in jobs))
            await sleep_unless(stop, min(5.0, max(0.2, self.lease_ms / 10_000)))

    async def _take_over(self, job: Job, name: str, room: asyncio.Semaphore) -> None:
        async with room:  # one failing job must not hold back the others taken over
            try:
                log.info("job taken over", article_id=job.article_id, channel=job.channel)
                await self.deliver(job, name)
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
            except Exception:
                log.exception("reclaimer error", article_id=job.article_id)

    async def promote_forever(self, stop: asyncio.Event) -> None:
        """Due jobs to the work stream, waking when the next one is due (leader only)."""
        while not stop.is_set():
            try:
                moved, next_ms = await self.store.promote_due()
                self.health.ok()
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                await sleep_unless(stop, 0.5)
                continue
            except Exception:
                log.exception("promoter error")
                await sleep_unless(stop, 1.0)
                continue
            if moved < 500:
                wait = 0.1 if next_ms < 0 else min(0.1, max(0.002, next_ms / 1000))
                await sleep_unless(stop, wait)

    async def deliver(self, job: Job, consumer: str | None = None) -> State | None:
        """One attempt at one delivery; the state it ended in, or None if not run now."""
        return (await self._attempt(job, consumer or self.consumer, self.store))[0]

    async def _attempt(
        self, job: Job, consumer: str, store: Store, *, read_next: bool = False
    ) -> tuple[State | None, list[Job]]:
        """deliver() through `store` (a worker's own connection); `read_next`: the outcome
        is recorded together with reading the consumer's next job (one round trip
        instead of two), which is returned."""
        outlet = self.outlets.get(job.channel)
        limits = list(outlet.publisher.rate_limits()) if outlet and self.rate_limits else []
        if outlet and job.op == "publish" and outlet.channel.min_spacing:
            limits.append(timing.spacing(outlet.channel))
        claim = await store.claim(job, consumer, self.lease_ms, limits, self.max_crashes)
        if claim is None or isinstance(claim, Deferred):
            return None, []
        started = time.monotonic()
        async with self._renewing(claim):
            if job.op == "publish":
                silent = outlet is not None and timing.silent_now(
                    claim.article, outlet.channel, datetime.now(UTC), self.timezone,
                    silent_ok=outlet.can(Capability.SILENT),
                )  # fmt: skip
                result = await attempt(claim, outlet, self.retry, silent=silent)
            elif job.op == "edit":
                result = await operations.edit(claim, outlet, self.retry)
            else:
                result = await operations.retract(claim, outlet, self.retry)
        elapsed = time.monotonic() - started
        own = [limit.name for limit in limits if not limit.spacing]  # a 429 pauses the first
        recorded, jobs = await self._record(
            store, claim, result, own[0] if own else "", consumer if read_next else ""
        )
        self._count(claim, result, elapsed if outlet else None, recorded)
        log.info(
            "delivery attempt" if recorded else "delivery attempt not recorded (superseded)",
            article_id=job.article_id,
            channel=job.channel,
            op=job.op,
            attempt=claim.attempt,
            state=result.state.value,
            latency_ms=round(elapsed * 1000, 1),
            remote_id=result.receipt.remote_id if result.receipt else None,
            error=result.error or None,
            failure=result.failure.value if result.failure else None,
            note=result.note or None,
        )
        return result.state, jobs

    @contextlib.asynccontextmanager
    async def _renewing(self, claim: Claim) -> AsyncIterator[None]:
        """Renew the attempt's lease every third of it while the platform call runs: a
        slow call is never taken over while its worker lives, a dead worker's delivery
        moves one short lease after its last renewal. Most calls end well within the
        first third: a timer, not a task, waits for it (a task per attempt, created and
        cancelled, cost more CPU than the rest of the loop's work for a delivery)."""
        every = self.lease_ms / 3000

        async def renew() -> None:
            while True:
                try:
                    if not await self.store.renew_lease(claim, self.lease_ms):
                        return  # taken over or ended: the outcome will be refused
                except REDIS_ERRORS as exc:  # the lease runs on; the next renewal retries
                    self.health.failed(exc)
                await asyncio.sleep(every)

        tasks: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()
        timer = loop.call_later(every, lambda: tasks.append(loop.create_task(renew())))
        try:
            yield
        finally:
            timer.cancel()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _count(
        self, claim: Claim, result: Attempt, call_seconds: float | None, recorded: bool
    ) -> None:
        job = claim.job
        if call_seconds is not None:
            self.metrics.observe(PLATFORM_CALL, call_seconds, job.channel, job.op)
        self.metrics.count(ATTEMPTS, job.channel, job.op, outcome_of(result))
        if not recorded or job.op != "publish" or result.state not in FINAL:
            return
        self.metrics.count(DELIVERIES, job.channel, result.state.value)
        since = published_seconds_ago(claim.article)
        if result.state is State.SENT and since is not None:
            self.metrics.observe(PUBLISH_TO_POST, since, job.channel)

    async def _record(
        self, store: Store, claim: Claim, result: Attempt, bucket: str, read_for: str
    ) -> tuple[bool, list[Job]]:
        """Write the outcome (and read `read_for`'s next job, when named); while Redis is
        away, keep trying until the lease ends (after that another worker owns the
        delivery and treats it as ambiguous)."""
        deadline = time.monotonic() + self.lease_ms / 1000
        completion = result.completion(claim, bucket)
        while True:
            try:
                recorded = await store.complete_and_read(claim, completion, read_for)
                self.health.ok()
                return recorded
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                await store.renew_connection()  # a failover: the next try asks anew
                if time.monotonic() > deadline:
                    log.error("outcome not recorded: lease over", article_id=claim.job.article_id,
                              channel=claim.job.channel, state=result.state.value)  # fmt: skip
                    return False, []
                await asyncio.sleep(0.25)


def outcome_of(result: Attempt) -> str:
    """An attempt's outcome as a metric label: ok, the failure kind, or the state it
    left the delivery in when neither (held after an ambiguous attempt)."""
    if result.failure is not None:
        return result.failure.value
    if result.error:
        return "unknown"
    if result.state in (State.SENT, State.RETRACTED):
        return "ok"
    return result.state.value


def published_seconds_ago(article: Article) -> float | None:
    """Seconds since the article's stated publication (a time without a zone is UTC)."""
    if article.published_at is None:
        return None
    published = article.published_at
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return max((datetime.now(UTC) - published).total_seconds(), 0.0)
