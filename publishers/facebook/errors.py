"""Every way a Graph API call can fail, turned into a PublishError with an Outcome.

The code table follows PLATFORMS.md "Facebook Graph API" (sources:
https://developers.facebook.com/docs/graph-api/guides/error-handling ,
https://developers.facebook.com/docs/graph-api/overview/rate-limiting/). Posting is not
idempotent: a code 1/2 or 5xx answer has been seen to create the post anyway (koala
issue 699), so for a publish those are ambiguous, never a plain retry.
"""

from __future__ import annotations

from typing import Final

import aiohttp

from publishers.base import Outcome, PublishError
from publishers.facebook.graph import GraphError, GraphNetworkError

RETRY, AMBIGUOUS, PERMANENT = Outcome.RETRY, Outcome.AMBIGUOUS, Outcome.PERMANENT

LINK_NOT_SCRAPABLE: Final = 1609005

# Graph error code -> (outcome for a publish, code).
TABLE: Final[dict[int, tuple[Outcome, str]]] = {
    1: (AMBIGUOUS, "unknown_error"),
    2: (AMBIGUOUS, "service_error"),
    **dict.fromkeys((4, 17, 32, 341, 613, 80001), (RETRY, "rate_limited")),
    100: (PERMANENT, "invalid_parameter"),
    **dict.fromkeys((3, 10, *range(200, 300)), (PERMANENT, "permission")),
    # 190 with subcodes 458-467: expired, password changed, app removed... all need a new token.
    **dict.fromkeys((102, 190, 492), (PERMANENT, "token")),
    368: (PERMANENT, "policy_block"),  # and the Page pauses for POLICY_PAUSE_SECONDS
    506: (PERMANENT, "duplicate"),  # "already posted": the engine looks the post up
    # The publisher posts again at once with the link in the text, without a preview.
    LINK_NOT_SCRAPABLE: (RETRY, "link_not_scrapable"),
}
# Throttled without estimated_time_to_regain_access: Meta's guidance is to wait before
# calling again; a minute per answer keeps retries from feeding the throttling.
RATE_LIMIT_PAUSE_SECONDS: Final = 60.0
# 368 "temporarily blocked for policy violations": posting again soon prolongs the block.
POLICY_PAUSE_SECONDS: Final = 3600.0


def redact(text: str, token: str | None) -> str:
    return text.replace(token, "<redacted>") if token else text


def lookup(code: int, subcode: int | None = None) -> tuple[Outcome, str] | None:
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
    outcome, code, message, retry_after = _classify(exc)
    if outcome is AMBIGUOUS and not publishing:
        outcome = RETRY
    return PublishError(outcome, redact(message, token), retry_after=retry_after, code=code)


def _classify(exc: BaseException) -> tuple[Outcome, str, str, float | None]:
    if isinstance(exc, GraphError):
        # The code decides when the table knows it (a 368 flagged transient is still a
        # policy block); is_transient and the status only classify unknown codes.
        row = lookup(exc.code, exc.subcode)
        if row is None:
            if exc.is_transient:
                row = AMBIGUOUS, "transient"
            elif exc.status >= 500:
                row = AMBIGUOUS, "server_error"
            else:
                row = PERMANENT, "graph_error"
        outcome, code = row
        retry_after = None
        if code == "rate_limited":
            retry_after = RATE_LIMIT_PAUSE_SECONDS
            if exc.usage and exc.usage.regain_access_minutes > 0:
                retry_after = exc.usage.regain_access_minutes * 60
        elif code == "policy_block":
            retry_after = POLICY_PAUSE_SECONDS
        return outcome, code, exc.message or f"HTTP {exc.status}", retry_after
    if isinstance(exc, GraphNetworkError):
        if not exc.reached:
            return RETRY, "connect_timeout" if exc.timeout else "connect_failed", exc.message, None
        return AMBIGUOUS, "timeout" if exc.timeout else "network", exc.message, None
    if isinstance(exc, TimeoutError):
        return AMBIGUOUS, "timeout", "request timeout", None
    if isinstance(exc, aiohttp.ClientError):
        return AMBIGUOUS, "network", f"{type(exc).__name__}: {exc}", None
    return AMBIGUOUS, "unexpected", f"{type(exc).__name__}: {exc}", None
