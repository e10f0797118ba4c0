"""Every way a Graph API call can fail, turned into a PublishError with an Outcome and a
FailureKind (this platform's outcome table, bot.platforms.OutcomeRule rows).

The code table follows docs/architecture.md "Facebook" (sources:
https://developers.facebook.com/docs/graph-api/guides/error-handling ,
https://developers.facebook.com/docs/graph-api/overview/rate-limiting/). Posting is not
idempotent: a code 1/2 or 5xx answer has been seen to create the post anyway (koala
issue 699), so for a publish those are ambiguous, never a plain retry.
"""

from __future__ import annotations

from typing import Final

import aiohttp

from bot.platforms import FailureKind, Outcome, OutcomeRule, PublishError
from publishers.facebook.graph import GraphError, GraphNetworkError

RETRY, AMBIGUOUS, PERMANENT = Outcome.RETRY, Outcome.AMBIGUOUS, Outcome.PERMANENT
K = FailureKind

LINK_NOT_SCRAPABLE: Final = 1609005


def _rules(
    codes: tuple[int, ...], outcome: Outcome, kind: FailureKind, name: str
) -> dict[int, OutcomeRule]:
    return {c: OutcomeRule(str(c), outcome, kind, name) for c in codes}


# Graph error code -> what it means for a publish.
TABLE: Final[dict[int, OutcomeRule]] = {
    **_rules((1,), AMBIGUOUS, K.UNAVAILABLE, "unknown_error"),
    **_rules((2,), AMBIGUOUS, K.UNAVAILABLE, "service_error"),
    **_rules((4, 17, 32, 341, 613, 80001), RETRY, K.RATE_LIMITED, "rate_limited"),
    **_rules((100,), PERMANENT, K.BAD_REQUEST, "invalid_parameter"),
    **_rules((3, 10, *range(200, 300)), PERMANENT, K.FORBIDDEN, "permission"),
    # 190 with subcodes 458-467: expired, password changed, app removed... all need a new token.
    **_rules((102, 190, 492), PERMANENT, K.TOKEN_INVALID, "token"),
    # 368: and the Page pauses for POLICY_PAUSE_SECONDS
    **_rules((368,), PERMANENT, K.POLICY_BLOCKED, "policy_block"),
    # 506: "already posted": the engine looks the post up
    **_rules((506,), PERMANENT, K.DUPLICATE, "duplicate"),
    # 1609005: the publisher posts again at once with the link in the text, no preview.
    **_rules((LINK_NOT_SCRAPABLE,), RETRY, K.MEDIA_UNAVAILABLE, "link_not_scrapable"),
}
# When the code is not in the table.
TRANSIENT = OutcomeRule("is_transient", AMBIGUOUS, K.UNAVAILABLE, "transient")
SERVER_ERROR = OutcomeRule("HTTP 5xx", AMBIGUOUS, K.UNAVAILABLE, "server_error")
OTHER_ERROR = OutcomeRule("other", PERMANENT, K.UNKNOWN, "graph_error")
OUTCOMES: Final = (*TABLE.values(), TRANSIENT, SERVER_ERROR, OTHER_ERROR)
# Throttled without estimated_time_to_regain_access: Meta's guidance is to wait before
# calling again; a minute per answer keeps retries from feeding the throttling.
RATE_LIMIT_PAUSE_SECONDS: Final = 60.0
# 368 "temporarily blocked for policy violations": posting again soon prolongs the block.
POLICY_PAUSE_SECONDS: Final = 3600.0


def redact(text: str, token: str | None) -> str:
    return text.replace(token, "<redacted>") if token else text


def lookup(code: int, subcode: int | None = None) -> OutcomeRule | None:
    """The table row for an error; 1609005 may come as code 100's subcode."""
    if subcode == LINK_NOT_SCRAPABLE:
        return TABLE[LINK_NOT_SCRAPABLE]
    return TABLE.get(code)


def classify(
    exc: BaseException, *, token: str | None = None, publishing: bool = True
) -> PublishError:
    """The PublishError for any exception a Graph call raised, its message redacted.

    With `publishing=False` (reads, deletes) nothing can be created twice, so what
    would be ambiguous is a plain retry.
    """
    rule, message, retry_after = _classify(exc)
    outcome = RETRY if rule.outcome is AMBIGUOUS and not publishing else rule.outcome
    return PublishError(
        outcome, rule.kind or K.UNKNOWN, redact(message, token), retry_after=retry_after,
        code=rule.code,
    )  # fmt: skip


def _classify(exc: BaseException) -> tuple[OutcomeRule, str, float | None]:
    if isinstance(exc, GraphError):
        # The code decides when the table knows it (a 368 flagged transient is still a
        # policy block); is_transient and the status only classify unknown codes.
        rule = lookup(exc.code, exc.subcode)
        if rule is None:
            rule = TRANSIENT if exc.is_transient else SERVER_ERROR if exc.status >= 500 else None
        rule = rule or OTHER_ERROR
        retry_after = None
        if rule.kind is K.RATE_LIMITED:
            retry_after = RATE_LIMIT_PAUSE_SECONDS
            if exc.usage and exc.usage.regain_access_minutes > 0:
                retry_after = exc.usage.regain_access_minutes * 60
        elif rule.kind is K.POLICY_BLOCKED:
            retry_after = POLICY_PAUSE_SECONDS
        return rule, exc.message or f"HTTP {exc.status}", retry_after
    if isinstance(exc, GraphNetworkError):
        if not exc.reached:
            code = "connect_timeout" if exc.timeout else "connect_failed"
            return OutcomeRule("", RETRY, K.UNAVAILABLE, code), exc.message, None
        code = "timeout" if exc.timeout else "network"
        return OutcomeRule("", AMBIGUOUS, K.UNAVAILABLE, code), exc.message, None
    if isinstance(exc, TimeoutError):
        return OutcomeRule("", AMBIGUOUS, K.UNAVAILABLE, "timeout"), "request timeout", None
    described = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ClientError):
        return OutcomeRule("", AMBIGUOUS, K.UNAVAILABLE, "network"), described, None
    return OutcomeRule("", AMBIGUOUS, K.UNKNOWN, "unexpected"), described, None
