"""The delivery engine: workers that take jobs from the work stream and post them.

Delivery semantics (DESIGN.md): nothing planned is ever lost; a post is made twice
only after an ambiguous answer on a channel that cannot be checked.
- A delivery is claimed in Redis (queued -> sending, attempt + 1, a lease) before
  its platform is called, and the outcome is recorded by one compare-and-set
  script after; a worker whose attempt is no longer current changes nothing.
- A worker that dies mid-attempt leaves its job pending in the stream; another
  worker takes it over (XAUTOCLAIM) once the lease has expired, and the delivery
  is treated as ambiguous: its post may exist.
- Ambiguous means "check before posting again": Facebook reads the Page's feed
  for the post; Telegram (which cannot list a channel) resends or holds the
  delivery for the editors, per channel. A delivery whose worker dies
  `max_crashes` times fails instead of looping.
- A definite refusal is never retried; a retryable one waits at least the
  platform's retry_after, which also pauses the channel's bucket for every
  worker. No worker sleeps holding a job: one that may not run yet goes back to
  the due set with its due time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import structlog
from redis.exceptions import RedisError

from bot.models import State
from bot.store import Claim, Deferred, Job, Store, now_ms
from publishers.base import Outcome, Payload, Publisher, PublishError, Receipt

log = structlog.get_logger("delivery")
# Any Redis refusal (connection lost, READONLY after a failover, OOM, BUSY) is waited
# out and retried; it must never stop the service.
REDIS_ERRORS = (RedisError, ConnectionError, OSError)
# A Page's feed may lag the post that was just made: give it a moment before checking.
RECONCILE_DELAY_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 2.0
    max_seconds: float = 900.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; never earlier than the platform's retry_after."""
        backoff = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        delay = backoff * random.uniform(0.5, 1.0)
        if retry_after is not None:
            # a little over retry_after, so that all workers do not return at once
            delay = max(delay, retry_after * random.uniform(1.0, 1.1))
        return float(delay)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt decided, before it is recorded."""

    state: State
    payload: Payload | None = None
    receipt: Receipt | None = None
    error: str = ""
    next_at_ms: int = 0
    pause_seconds: float = 0.0
    note: str = ""


class RedisHealth:
    """Logs a Redis outage once when it starts and once when it ends, not per retry."""

    def __init__(self) -> None:
        self.up = True

    def failed(self, exc: BaseException) -> None:
        if self.up:
            self.up = False
            log.warning("redis unavailable, retrying", error=str(exc))

    def ok(self) -> None:
        if not self.up:
            self.up = True
            log.info("redis available again")


AfterPublish = Callable[[Claim, Attempt], Awaitable[None]]


class DeliveryEngine:
    def __init__(
        self,
        store: Store,
        publishers: Mapping[str, Publisher],
        *,
        consumer: str,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        lease_ms: int = 120_000,
        max_crashes: int = 3,
        rate_limits: bool = True,
        health: RedisHealth | None = None,
        after_publish: AfterPublish | None = None,
    ) -> None:
        self.store = store
        self.publishers = publishers
        self.consumer = consumer
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.lease_ms = lease_ms
        self.max_crashes = max_crashes
        self.rate_limits = rate_limits
        self.health = health or RedisHealth()
        # Test hook between the platform call and the state write (crash simulation).
        self.after_publish = after_publish

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; attempts already started are finished first."""
        await self.store.ensure_group()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._reclaimer(stop))
            for n in range(self.concurrency):
                tg.create_task(self._worker(stop, f"{self.consumer}-{n}"))

    async def _worker(self, stop: asyncio.Event, name: str) -> None:
        while not stop.is_set():
            try:
                jobs = await self.store.read_jobs(name, count=1, block_ms=500)
                self.health.ok()
                for job in jobs:
                    await self.deliver(job, name)
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                await sleep_unless(stop, 0.5)
            except Exception:  # a bug must not stop the other deliveries
                log.exception("worker error", worker=name)
                await sleep_unless(stop, 1.0)

    async def _reclaimer(self, stop: asyncio.Event) -> None:
        """Takes over the jobs of workers that died (their lease expired)."""
        name = f"{self.consumer}-reclaim"
        while not stop.is_set():
            try:
                # idle longer than a lease (plus a margin): the lease starts a little
                # after the job was read, so an idle job may still be within its lease
                jobs = await self.store.reclaim_stale(name, self.lease_ms + 2000)
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                jobs = []
            for job in jobs:  # one failing job must not hold back the others taken over
                try:
                    log.info("job taken over", article_id=job.article_id, channel=job.channel)
                    await self.deliver(job, name)
                except REDIS_ERRORS as exc:
                    self.health.failed(exc)
                except Exception:
                    log.exception("reclaimer error", article_id=job.article_id)
            await sleep_unless(stop, min(5.0, max(0.2, self.lease_ms / 4000)))

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
        publisher = self.publishers.get(job.channel)
        limits = publisher.rate_limits() if publisher and self.rate_limits else ()
        claim = await self.store.claim(
            job, consumer or self.consumer, self.lease_ms, limits, self.max_crashes
        )
        if claim is None or isinstance(claim, Deferred):
            return None
        started = time.monotonic()
        attempt = await self._attempt(claim, publisher)
        if self.after_publish is not None:
            await self.after_publish(claim, attempt)
        recorded = await self._record(claim, attempt, limits[0].name if limits else "")
        log.info(
            "delivery attempt" if recorded else "delivery attempt not recorded (superseded)",
            article_id=job.article_id,
            channel=job.channel,
            attempt=claim.attempt,
            state=attempt.state.value,
            latency_ms=round((time.monotonic() - started) * 1000, 1),
            remote_id=attempt.receipt.remote_id if attempt.receipt else None,
            error=attempt.error or None,
            note=attempt.note or None,
        )
        return attempt.state

    async def _record(self, claim: Claim, attempt: Attempt, bucket: str) -> bool:
        """Write the outcome; while Redis is away, keep trying until the lease ends
        (after that another worker owns the delivery and treats it as ambiguous)."""
        deadline = time.monotonic() + self.lease_ms / 1000
        while True:
            try:
                recorded = await self.store.complete(
                    claim,
                    attempt.state,
                    payload=attempt.payload.to_json()
                    if attempt.payload and not claim.payload
                    else "",
                    remote_id=attempt.receipt.remote_id if attempt.receipt else "",
                    remote_url=attempt.receipt.url if attempt.receipt else "",
                    error=attempt.error,
                    next_at_ms=attempt.next_at_ms,
                    pause_bucket=bucket,
                    pause_ms=int(attempt.pause_seconds * 1000),
                    note=attempt.note,
                )
                self.health.ok()
                return recorded
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                if time.monotonic() > deadline:
                    log.error("outcome not recorded: lease over", article_id=claim.job.article_id,
                              channel=claim.job.channel, state=attempt.state.value)  # fmt: skip
                    return False
                await asyncio.sleep(0.25)

    async def _attempt(self, claim: Claim, publisher: Publisher | None) -> Attempt:
        if publisher is None:
            # During a rolling config change another process may know the channel:
            # wait for it, and fail only when the attempts are spent.
            error = (
                f"channel {claim.job.channel!r} is not configured in this process: "
                "add it to the config file to deliver this article there"
            )
            if claim.attempt >= self.retry.max_attempts:
                return Attempt(State.FAILED, error=error)
            return Attempt(State.RETRY_WAIT, error=error, next_at_ms=now_ms() + 60_000)
        try:
            payload = (
                Payload.from_json(claim.payload)
                if claim.payload
                else publisher.render(claim.article)
            )
        except Exception as exc:  # a rendering bug must fail this delivery, not the worker
            log.exception("rendering failed", article_id=claim.job.article_id)
            return Attempt(State.FAILED, error=f"rendering failed ({type(exc).__name__}): {exc}")
        note = ""
        if claim.ambiguous_since_ms:
            settled = await self._settle_ambiguity(claim, publisher, payload)
            if isinstance(settled, Attempt):
                return settled
            note = settled
        try:
            receipt = await publisher.publish(payload)
        except PublishError as exc:
            if exc.code == "duplicate" and publisher.can_reconcile:
                return await self._after_duplicate(claim, publisher, payload, exc)
            return self._after_error(claim, publisher, payload, exc)
        return Attempt(State.SENT, payload, receipt, pause_seconds=receipt.pause_seconds, note=note)

    async def _settle_ambiguity(
        self, claim: Claim, publisher: Publisher, payload: Payload
    ) -> Attempt | str:
        """An earlier attempt may have posted: find that post, hold, or say why we resend."""
        if not publisher.can_reconcile:
            if publisher.channel.ambiguous == "hold":
                return Attempt(State.HELD, payload, note="held: an earlier attempt may have posted")
            return "resend: an earlier attempt may have posted"
        try:
            found = await publisher.find_existing(payload, claim.ambiguous_since_ms)
        except PublishError as exc:  # cannot check now: check again later, never post blind
            delay = self.retry.delay(claim.attempt, exc.retry_after)
            return Attempt(State.AMBIGUOUS, payload, error=f"check failed: {exc.message}",
                           next_at_ms=now_ms() + int(delay * 1000))  # fmt: skip
        if found is not None:
            return Attempt(State.SENT, payload, found, note="reconciled: the post was there")
        return "reconciled: no post found, posting"

    async def _after_duplicate(
        self, claim: Claim, publisher: Publisher, payload: Payload, exc: PublishError
    ) -> Attempt:
        """The platform refused the post as a duplicate (Graph 506): it is there
        already, from an attempt whose answer we lost; look it up."""
        try:
            found = await publisher.find_existing(payload, 0)
        except PublishError as check:
            return self._after_error(claim, publisher, payload, check)
        if found is None:
            return Attempt(State.FAILED, payload, error=f"{exc.outcome.value}: {exc.message}")
        return Attempt(State.SENT, payload, found, note="reconciled: refused as a duplicate")

    def _after_error(
        self, claim: Claim, publisher: Publisher, payload: Payload, exc: PublishError
    ) -> Attempt:
        error = f"{exc.outcome.value}: {exc.message}"
        pause = exc.retry_after or 0.0
        if exc.outcome is Outcome.PERMANENT:
            if exc.code:  # the cause by name, for the editors' alert ("kicked", "token"...)
                error = f"{exc.outcome.value} ({exc.code}): {exc.message}"
            return Attempt(State.FAILED, payload, error=error, pause_seconds=pause)
        # An answer that says when to come back (429, Graph throttling) is waited out
        # however often it comes: the post is late, never lost.
        if claim.attempt >= self.retry.max_attempts and exc.retry_after is None:
            error = f"gave up after {claim.attempt} attempts; last: {error}"
            return Attempt(State.FAILED, payload, error=error, pause_seconds=pause)
        delay = self.retry.delay(claim.attempt, exc.retry_after)
        if exc.outcome is Outcome.AMBIGUOUS:
            if not publisher.can_reconcile and publisher.channel.ambiguous == "hold":
                return Attempt(State.HELD, payload, error=error, note="held")
            delay = max(delay, RECONCILE_DELAY_SECONDS if publisher.can_reconcile else 0.0)
            state = State.AMBIGUOUS
        else:
            state = State.RETRY_WAIT
        next_at = now_ms() + int(delay * 1000)
        return Attempt(state, payload, error=error, next_at_ms=next_at, pause_seconds=pause)


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
