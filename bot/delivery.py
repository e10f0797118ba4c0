"""The delivery engine: workers that take jobs from the work stream and post them.

Invariants (DESIGN.md "Delivery states and semantics"):
- A delivery is claimed (queued -> sending, attempt + 1) in Redis before its
  platform is called, and the outcome is recorded by one compare-and-set
  script after; a worker whose claim is no longer current changes nothing.
- Nothing posted is ever forgotten: the platform's id is stored with `sent`.
- A delivery is posted more than once only when an answer was ambiguous (the
  platform may have applied a call that failed on our side) and the channel's
  policy is to resend; a definite refusal is never retried, and a retryable
  one waits at least the platform's retry_after.
- No worker sleeps holding a job: a delivery that must wait goes back to the
  due set with its due time and the promoter returns it to the work stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.models import State
from bot.store import Claim, Job, Store, now_ms
from publishers.base import Outcome, Payload, Publisher, PublishError, Receipt

log = structlog.get_logger("delivery")


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
    ) -> None:
        self.store = store
        self.publishers = publishers
        self.consumer = consumer
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.lease_ms = lease_ms

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; attempts already started are finished first."""
        await self.store.ensure_group()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._promoter(stop))
            for n in range(self.concurrency):
                tg.create_task(self._worker(stop, f"{self.consumer}-{n}"))

    async def _worker(self, stop: asyncio.Event, name: str) -> None:
        while not stop.is_set():
            try:
                for job in await self.store.read_jobs(name, count=1, block_ms=500):
                    await self.deliver(job, name)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("redis unavailable", worker=name, error=str(exc))
                await _sleep_unless(stop, 1.0)
            except Exception:  # a bug must not stop the other deliveries
                log.exception("worker error", worker=name)
                await _sleep_unless(stop, 1.0)

    async def _promoter(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.store.promote_due()
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("redis unavailable", worker="promoter", error=str(exc))
                await _sleep_unless(stop, 1.0)
            await _sleep_unless(stop, 0.1)

    async def deliver(self, job: Job, consumer: str | None = None) -> State | None:
        """One attempt at one delivery; the state it ended in, or None if not ours to run."""
        claim = await self.store.claim(job, consumer or self.consumer, self.lease_ms)
        if claim is None:
            return None
        started = time.monotonic()
        attempt = await self._attempt(claim)
        await self.store.complete(
            claim,
            attempt.state,
            payload=attempt.payload.to_json() if attempt.payload and not claim.payload else "",
            remote_id=attempt.receipt.remote_id if attempt.receipt else "",
            remote_url=attempt.receipt.url if attempt.receipt else "",
            error=attempt.error,
            next_at_ms=attempt.next_at_ms,
        )
        log.info(
            "delivery attempt",
            article_id=job.article_id,
            channel=job.channel,
            attempt=claim.attempt,
            state=attempt.state.value,
            latency_ms=round((time.monotonic() - started) * 1000, 1),
            remote_id=attempt.receipt.remote_id if attempt.receipt else None,
            error=attempt.error or None,
        )
        return attempt.state

    async def _attempt(self, claim: Claim) -> Attempt:
        publisher = self.publishers.get(claim.job.channel)
        if publisher is None:
            return Attempt(
                State.FAILED,
                error=f"channel {claim.job.channel!r} is no longer configured: "
                "add it back to the config file to deliver this article there",
            )
        try:
            payload = (
                Payload.from_json(claim.payload)
                if claim.payload
                else publisher.render(claim.article)
            )
        except Exception as exc:  # a rendering bug must fail this delivery, not the worker
            return Attempt(State.FAILED, error=f"rendering failed: {exc!r}")
        try:
            receipt = await publisher.publish(payload)
        except PublishError as exc:
            return self._after_error(claim, payload, exc)
        return Attempt(State.SENT, payload, receipt)

    def _after_error(self, claim: Claim, payload: Payload, exc: PublishError) -> Attempt:
        error = f"{exc.outcome.value}: {exc.message}"
        if exc.outcome is Outcome.PERMANENT:
            return Attempt(State.FAILED, payload, error=error)
        if claim.attempt >= self.retry.max_attempts:
            return Attempt(
                State.FAILED,
                payload,
                error=f"gave up after {claim.attempt} attempts; last: {error}",
            )
        # Outcome.AMBIGUOUS is resent like a retry for now: the post may exist
        # already. Reconciliation (Facebook) and the `hold` policy (Telegram)
        # replace this for ambiguous answers.
        delay = self.retry.delay(claim.attempt, exc.retry_after)
        return Attempt(
            State.RETRY_WAIT, payload, error=error, next_at_ms=now_ms() + int(delay * 1000)
        )


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
