"""Changing a live post: a correction (op edit) or a retraction (op retract), decided
here as attempt.py decides a publish (docs/architecture.md "Delivery").

- An edit calls the platform's `edit` (EDIT); a second edit of the same text changes
  nothing, so an attempt whose answer was lost is simply made again. A retryable answer
  keeps the delivery `editing`; a definite refusal leaves the post as it was (`sent`,
  with the platform's words: the editors are told).
- A retraction deletes the post (DELETE); when the platform will not (FailureKind
  TOO_OLD: Telegram after 48 hours, or any other refusal), the post is replaced by the
  channel's retraction notice (EDIT), in the article's language. Neither possible: the
  post stays (`sent`) and the editors are told.
"""

from __future__ import annotations

import html
import json

from bot.delivery.attempt import NOT_CONFIGURED_RETRY_MS, Attempt, RetryPolicy
from bot.platforms import (
    Capability,
    FailureKind,
    Outcome,
    Outlet,
    Post,
    PostFormat,
    PublishError,
    localized,
)
from bot.states import State
from bot.store import Claim, now_ms


def version(by: str, text: str) -> str:
    return json.dumps({"by": by, "text": text}, ensure_ascii=False)


def _unconfigured(claim: Claim, again: State) -> Attempt:
    """During a rolling config change another process may know the channel: later."""
    error = f"channel {claim.job.channel!r} is not configured in this process"
    return Attempt(again, error=error, next_at_ms=now_ms() + NOT_CONFIGURED_RETRY_MS)


async def edit(claim: Claim, outlet: Outlet | None, retry: RetryPolicy) -> Attempt:
    if outlet is None:
        return _unconfigured(claim, State.EDITING)
    previous, new = Post.from_json(claim.payload), Post.from_json(claim.pending)
    if not outlet.can(Capability.EDIT):
        return Attempt(State.SENT, error=f"{outlet.platform.kind} posts cannot be edited",
                       failure=FailureKind.BAD_REQUEST)  # fmt: skip
    try:
        await outlet.publisher.edit(claim.remote_id, previous, new)
    except PublishError as exc:
        return _not_now(claim, exc, retry, State.EDITING, "the correction failed")
    return Attempt(State.SENT, new, note="corrected: " + claim.cause,
                   version=version(claim.cause, new.text))  # fmt: skip


async def retract(claim: Claim, outlet: Outlet | None, retry: RetryPolicy) -> Attempt:
    if outlet is None:
        return _unconfigured(claim, State.RETRACTING)
    refusal: PublishError | None = None
    if outlet.can(Capability.DELETE):
        try:
            await outlet.publisher.delete(claim.remote_id, claim.sent_at_ms)
        except PublishError as exc:
            if exc.outcome is not Outcome.PERMANENT:
                return _not_now(claim, exc, retry, State.RETRACTING, "the retraction failed")
            refusal = exc  # too old, or refused: the notice replaces the post instead
        else:
            return Attempt(State.RETRACTED, note="deleted: " + claim.cause,
                           version=version(claim.cause, ""))  # fmt: skip
    if not outlet.can(Capability.EDIT):
        why = refusal.message if refusal else f"{outlet.platform.kind} posts cannot be deleted"
        return Attempt(State.SENT, error=f"the retraction failed: {why}",
                       failure=refusal.kind if refusal else FailureKind.BAD_REQUEST)  # fmt: skip
    previous = Post.from_json(claim.payload)
    notice = localized(outlet.channel.retracted_text, claim.article.lang)
    text = html.escape(notice) if previous.format is PostFormat.HTML else notice
    replaced = outlet.platform.with_text(previous, text)
    try:
        await outlet.publisher.edit(claim.remote_id, previous, replaced)
    except PublishError as exc:
        return _not_now(claim, exc, retry, State.RETRACTING, "the retraction failed")
    return Attempt(State.RETRACTED, replaced, note="replaced by the notice: " + claim.cause,
                   version=version(claim.cause, replaced.text))  # fmt: skip


def _not_now(
    claim: Claim, exc: PublishError, retry: RetryPolicy, again: State, what: str
) -> Attempt:
    """Retry later while the platform says so; else the post stays as it is (`sent`)."""
    error = f"{what}: {exc.outcome.value}: {exc.message}"
    retryable = exc.outcome in (Outcome.RETRY, Outcome.AMBIGUOUS)
    if retryable and (claim.attempt < retry.max_attempts or exc.retry_after is not None):
        delay = retry.delay(claim.attempt, exc.retry_after)
        return Attempt(again, error=error, failure=exc.kind,
                       next_at_ms=now_ms() + int(delay * 1000),
                       pause_seconds=exc.retry_after or 0.0)  # fmt: skip
    return Attempt(State.SENT, error=error, failure=exc.kind, pause_seconds=exc.retry_after or 0.0)
