"""One attempt at one delivery, decided: the platform is called (or checked first, after
an ambiguous attempt) and its answer becomes the delivery's next state.

How an answer moves a delivery (docs/architecture.md "Delivery"):
- OK -> sent, with the platform's post id and link.
- RETRY (nothing was posted) -> retry_wait after exponential backoff with jitter, never
  earlier than the platform's retry_after; an answer that says when to come back (a
  429, throttling) is waited out however often it comes; other retries end failed
  after max_attempts.
- AMBIGUOUS (it may have posted) -> ambiguous: the next attempt first looks the post up
  on a platform that can (RECONCILE), else resends, or holds the delivery for the
  editors when the channel says `ambiguous = "hold"`.
- PERMANENT -> failed, with the platform's own words and the FailureKind; a
  DUPLICATE refusal is looked up instead (the post exists).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import structlog

from bot.platforms import Capability, FailureKind, Outcome, Outlet, Post, PublishError, Receipt
from bot.states import State
from bot.store import Claim, Completion, now_ms

log = structlog.get_logger("delivery")
# A Page's feed may lag the post that was just made: give it a moment before checking.
RECONCILE_DELAY_SECONDS = 2.0
NOT_CONFIGURED_RETRY_MS = 60_000


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
    post: Post | None = None
    receipt: Receipt | None = None
    error: str = ""
    failure: FailureKind | None = None
    next_at_ms: int = 0
    pause_seconds: float = 0.0
    note: str = ""
    version: str = ""  # the published version ({"by", "text"} JSON), when one was made

    def completion(self, claim: Claim, bucket: str) -> Completion:
        # a publish stores the post it rendered itself; an edit or retraction the new one
        changed = claim.job.op != "publish" or not claim.payload
        return Completion(
            state=self.state,
            payload=self.post.to_json() if self.post is not None and changed else "",
            remote_id=self.receipt.remote_id if self.receipt else "",
            remote_url=self.receipt.url if self.receipt else "",
            error=self.error,
            failure=self.failure,
            next_at_ms=self.next_at_ms,
            pause_bucket=bucket,
            pause_ms=int(self.pause_seconds * 1000),
            note=self.note,
            version=self.version,
        )


async def attempt(
    claim: Claim, outlet: Outlet | None, retry: RetryPolicy, *, silent: bool = False
) -> Attempt:
    """One publish attempt; `silent`: without notification (the channel's quiet hours)."""
    if outlet is None:
        # During a rolling config change another process may know the channel:
        # wait for it, and fail only when the attempts are spent.
        error = (
            f"channel {claim.job.channel!r} is not configured in this process: "
            "add it to the config file to deliver this article there"
        )
        if claim.attempt >= retry.max_attempts:
            return Attempt(State.FAILED, error=error, failure=FailureKind.UNKNOWN)
        return Attempt(State.RETRY_WAIT, error=error, next_at_ms=now_ms() + NOT_CONFIGURED_RETRY_MS)
    try:
        post = Post.from_json(claim.payload) if claim.payload else outlet.render(claim.article)
    except Exception as exc:  # a rendering bug must fail this delivery, not the worker
        log.exception("rendering failed", article_id=claim.job.article_id)
        error = f"rendering failed ({type(exc).__name__}): {exc}"
        return Attempt(State.FAILED, error=error, failure=FailureKind.BAD_REQUEST)
    note = ""
    if claim.ambiguous_since_ms:
        settled = await _settle_ambiguity(claim, outlet, post, retry)
        if isinstance(settled, Attempt):
            return settled
        note = settled
    try:
        receipt = await outlet.publisher.publish(post, silent=silent)
    except PublishError as exc:
        if exc.kind is FailureKind.DUPLICATE and outlet.can(Capability.RECONCILE):
            return await _after_duplicate(claim, outlet, post, exc, retry)
        return _after_error(claim, outlet, post, exc, retry)
    return Attempt(State.SENT, post, receipt, pause_seconds=receipt.pause_seconds, note=note,
                   version=first_version(post))  # fmt: skip


def first_version(post: Post) -> str:
    return json.dumps({"by": "published", "text": post.text}, ensure_ascii=False)


async def _settle_ambiguity(
    claim: Claim, outlet: Outlet, post: Post, retry: RetryPolicy
) -> Attempt | str:
    """An earlier attempt may have posted: find that post, hold, or say why we resend."""
    if not outlet.can(Capability.RECONCILE):
        if outlet.channel.ambiguous == "hold":
            return Attempt(State.HELD, post, note="held: an earlier attempt may have posted")
        return "resend: an earlier attempt may have posted"
    try:
        found = await outlet.publisher.find_existing(post, claim.ambiguous_since_ms)
    except PublishError as exc:  # cannot check now: check again later, never post blind
        delay = retry.delay(claim.attempt, exc.retry_after)
        return Attempt(State.AMBIGUOUS, post, error=f"check failed: {exc.message}",
                       failure=exc.kind, next_at_ms=now_ms() + int(delay * 1000))  # fmt: skip
    if found is not None:
        return Attempt(State.SENT, post, found, note="reconciled: the post was there",
                       version=first_version(post))  # fmt: skip
    return "reconciled: no post found, posting"


async def _after_duplicate(
    claim: Claim, outlet: Outlet, post: Post, exc: PublishError, retry: RetryPolicy
) -> Attempt:
    """The platform refused the post as a duplicate (Graph 506): it is there already,
    from an attempt whose answer we lost; look it up."""
    try:
        found = await outlet.publisher.find_existing(post, 0)
    except PublishError as check:
        return _after_error(claim, outlet, post, check, retry)
    if found is None:
        error = f"{exc.outcome.value}: {exc.message}"
        return Attempt(State.FAILED, post, error=error, failure=exc.kind)
    return Attempt(State.SENT, post, found, note="reconciled: refused as a duplicate",
                   version=first_version(post))  # fmt: skip


def _after_error(
    claim: Claim, outlet: Outlet, post: Post, exc: PublishError, retry: RetryPolicy
) -> Attempt:
    error = f"{exc.outcome.value}: {exc.message}"
    pause = exc.retry_after or 0.0
    if exc.outcome is Outcome.PERMANENT:
        return Attempt(State.FAILED, post, error=error, failure=exc.kind, pause_seconds=pause)
    # An answer that says when to come back (429, Graph throttling) is waited out
    # however often it comes: the post is late, never lost.
    if claim.attempt >= retry.max_attempts and exc.retry_after is None:
        error = f"gave up after {claim.attempt} attempts; last: {error}"
        return Attempt(State.FAILED, post, error=error, failure=exc.kind, pause_seconds=pause)
    delay = retry.delay(claim.attempt, exc.retry_after)
    if exc.outcome is Outcome.AMBIGUOUS:
        reconciles = outlet.can(Capability.RECONCILE)
        if not reconciles and outlet.channel.ambiguous == "hold":
            return Attempt(State.HELD, post, error=error, failure=exc.kind, note="held")
        delay = max(delay, RECONCILE_DELAY_SECONDS if reconciles else 0.0)
        state = State.AMBIGUOUS
    else:
        state = State.RETRY_WAIT
    next_at = now_ms() + int(delay * 1000)
    return Attempt(state, post, error=error, failure=exc.kind, next_at_ms=next_at,
                   pause_seconds=pause)  # fmt: skip
