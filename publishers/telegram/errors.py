"""Every way a Bot API call can fail, turned into a PublishError with an Outcome.

The description table follows PLATFORMS.md "Classification" row by row (sources:
https://core.telegram.org/bots/api , tdlib/telegram-bot-api `Client.cpp`). Exception
types are aiogram 3's (`aiogram/exceptions.py`, `client/session/base.py`
`check_response`): 429 -> TelegramRetryAfter, 5xx -> TelegramServerError, 413 ->
TelegramEntityTooLarge (a TelegramNetworkError subclass, so it is tested first), and
`AiohttpSession.make_request` wraps every aiohttp ClientError and asyncio timeout in
TelegramNetworkError("HTTP Client says - ...") raised `from` the original error.
"""

from __future__ import annotations

from typing import Final

import aiohttp
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from publishers.base import Outcome, PublishError

OK, RETRY, AMBIGUOUS, PERMANENT = Outcome.OK, Outcome.RETRY, Outcome.AMBIGUOUS, Outcome.PERMANENT

# Description prefix (case-insensitive) -> (outcome, code). PLATFORMS.md "Classification".
TABLE: Final[tuple[tuple[str, Outcome, str], ...]] = (
    ("Too Many Requests", RETRY, "rate_limited"),
    ("Internal Server Error", AMBIGUOUS, "server_error"),
    # The photo URL: retryable, and publish() falls back to a message without it.
    ("Bad Request: failed to get HTTP URL content", RETRY, "photo_unreachable"),
    ("Bad Request: wrong type of the web page content", RETRY, "photo_bad_type"),
    ("Bad Request: wrong file identifier/HTTP URL specified", RETRY, "photo_bad_url"),
    # Telegram fetched the image but cannot use it (sendPhoto: at most 10 MB, width +
    # height at most 10000, ratio at most 20): the text goes out without it.
    ("Bad Request: PHOTO_INVALID_DIMENSIONS", RETRY, "photo_invalid"),
    ("Bad Request: PHOTO_SAVE_FILE_INVALID", RETRY, "photo_invalid"),
    ("Bad Request: IMAGE_PROCESS_FAILED", RETRY, "photo_invalid"),
    # Our own rendering was wrong: permanent, and worth an alert.
    ("Bad Request: message is too long", PERMANENT, "too_long"),
    ("Bad Request: message caption is too long", PERMANENT, "too_long"),
    ("Bad Request: can't parse entities", PERMANENT, "parse_entities"),
    # The channel is unhealthy.
    ("Bad Request: chat not found", PERMANENT, "chat_not_found"),
    ("Forbidden: bot was kicked from the channel chat", PERMANENT, "kicked"),
    ("Forbidden: bot is not a member of the channel chat", PERMANENT, "not_member"),
    ("Bad Request: need administrator rights in the channel chat", PERMANENT, "no_rights"),
    ("Bad Request: have no write access to the chat", PERMANENT, "no_rights"),
    ("Unauthorized", PERMANENT, "unauthorized"),
    # Edits and deletes.
    ("Bad Request: message is not modified", OK, "not_modified"),
    ("Bad Request: message to delete not found", OK, "already_deleted"),
    ("Bad Request: message can't be deleted", PERMANENT, "cannot_delete"),
    ("Bad Request: message can't be edited", PERMANENT, "cannot_edit"),
    ("Bad Request: message to edit not found", PERMANENT, "edit_not_found"),
    ("Bad Request: there is no text in the message to edit", PERMANENT, "no_text_to_edit"),
)

PHOTO_UNAVAILABLE: Final = frozenset(
    {"photo_unreachable", "photo_bad_type", "photo_bad_url", "photo_invalid"}
)

# When no row matches: by aiogram exception type, most specific first.
_BY_TYPE: Final[tuple[tuple[type[TelegramAPIError], Outcome, str], ...]] = (
    (TelegramUnauthorizedError, PERMANENT, "unauthorized"),
    (TelegramForbiddenError, PERMANENT, "forbidden"),
    (TelegramMigrateToChat, PERMANENT, "migrated"),  # basic groups only, never channels
    (TelegramBadRequest, PERMANENT, "bad_request"),
    # A 404 from the Bot API means the URL is wrong: a malformed token or API base.
    (TelegramNotFound, PERMANENT, "not_found"),
    (TelegramConflictError, PERMANENT, "conflict"),
    (TelegramServerError, AMBIGUOUS, "server_error"),
)

_ORIGINAL = "\nOriginal description: "  # how TelegramRetryAfter wraps the description


def redact(text: str, token: str | None) -> str:
    """`text` without the bot token: aiogram puts it in request URLs (`.../bot<token>/...`)."""
    if not token:
        return text
    return text.replace(f"bot{token}", "<redacted>").replace(token, "<redacted>")


def lookup(description: str) -> tuple[Outcome, str] | None:
    """The table row whose prefix starts `description`."""
    folded = description.casefold()
    for prefix, outcome, code in TABLE:
        if folded.startswith(prefix.casefold()):
            return outcome, code
    return None


def classify(
    exc: BaseException, *, token: str | None = None, publishing: bool = True
) -> PublishError:
    """The PublishError for any exception a Bot API call raised; its texts are redacted.

    With `publishing=False` (deletes) a second call cannot post twice, so what would be
    ambiguous is a plain retry.
    """
    outcome, code, message, retry_after = _classify(exc)
    if outcome is AMBIGUOUS and not publishing:
        outcome = RETRY
    return PublishError(outcome, redact(message, token), retry_after=retry_after, code=code)


def _classify(exc: BaseException) -> tuple[Outcome, str, str, float | None]:
    if isinstance(exc, TelegramRetryAfter):
        description = exc.message.partition(_ORIGINAL)[2] or exc.message
        return RETRY, "rate_limited", description, float(exc.retry_after)
    if isinstance(exc, TelegramEntityTooLarge):
        return PERMANENT, "too_large", exc.message, None
    if isinstance(exc, TelegramNetworkError):
        outcome, code = _transport(exc.__cause__, exc.message)
        return outcome, code, _transport_message(exc), None
    if isinstance(exc, TelegramAPIError):
        row = lookup(exc.message)
        if row is None:
            row = next(((o, c) for t, o, c in _BY_TYPE if isinstance(exc, t)), None)
        # Another status (3xx, odd 4xx): Telegram answered and refused, nothing was posted.
        outcome, code = row or (RETRY, "api_error")
        return outcome, code, exc.message, None
    if isinstance(exc, ClientDecodeError):
        # Not a Bot API answer (an HTML page from a proxy): the call may have gone through.
        return AMBIGUOUS, "bad_response", exc.message, None
    if isinstance(exc, (aiohttp.ClientError, TimeoutError)):
        outcome, code = _transport(exc, "")
        return outcome, code, _describe(exc), None
    if isinstance(exc, (TypeError, ValueError)):
        # aiogram validates a call's arguments before sending: a payload we built wrong.
        return PERMANENT, "bad_payload", _describe(exc), None
    return AMBIGUOUS, "unexpected", _describe(exc), None


def _transport(cause: BaseException | None, text: str) -> tuple[Outcome, str]:
    """Retry when the request provably never left (no connection); else ambiguous."""
    if isinstance(cause, aiohttp.ConnectionTimeoutError):
        return RETRY, "connect_timeout"
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake
        return RETRY, "connect_failed"
    if isinstance(cause, aiohttp.InvalidURL):
        return PERMANENT, "bad_url"
    if isinstance(cause, TimeoutError) or (cause is None and "timeout" in text.casefold()):
        return AMBIGUOUS, "timeout"
    return AMBIGUOUS, "network"  # reset, server disconnected, broken payload


def _transport_message(exc: TelegramNetworkError) -> str:
    cause = exc.__cause__
    if cause is None or isinstance(cause, TimeoutError):
        return exc.message
    return _describe(cause)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
