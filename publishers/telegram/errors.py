"""Every way a Bot API call can fail, turned into a PublishError with an Outcome and a
FailureKind (the outcome table of this platform, bot.platforms.OutcomeRule rows).

The description table follows docs/architecture.md "Telegram" (sources:
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

from bot.platforms import FailureKind, Outcome, OutcomeRule, PublishError

OK, RETRY, AMBIGUOUS, PERMANENT = Outcome.OK, Outcome.RETRY, Outcome.AMBIGUOUS, Outcome.PERMANENT
K = FailureKind

# Description prefix (case-insensitive) -> what it means. docs/architecture.md
# "Platforms" has the sources (Bot API docs, telegram-bot-api Client.cpp).
TABLE: Final[tuple[OutcomeRule, ...]] = (
    OutcomeRule("Too Many Requests", RETRY, K.RATE_LIMITED, "rate_limited"),
    OutcomeRule("Internal Server Error", AMBIGUOUS, K.UNAVAILABLE, "server_error"),
    # The photo URL: retryable, and publish() falls back to a message without it.
    OutcomeRule("Bad Request: failed to get HTTP URL content", RETRY, K.MEDIA_UNAVAILABLE,
                "photo_unreachable"),
    OutcomeRule("Bad Request: wrong type of the web page content", RETRY, K.MEDIA_UNAVAILABLE,
                "photo_bad_type"),
    OutcomeRule("Bad Request: wrong file identifier/HTTP URL specified", RETRY,
                K.MEDIA_UNAVAILABLE, "photo_bad_url"),
    # Telegram fetched the image but cannot use it (sendPhoto: at most 10 MB, width +
    # height at most 10000, ratio at most 20): the text goes out without it.
    OutcomeRule("Bad Request: PHOTO_INVALID_DIMENSIONS", RETRY, K.MEDIA_UNAVAILABLE,
                "photo_invalid"),
    OutcomeRule("Bad Request: PHOTO_SAVE_FILE_INVALID", RETRY, K.MEDIA_UNAVAILABLE,
                "photo_invalid"),
    OutcomeRule("Bad Request: IMAGE_PROCESS_FAILED", RETRY, K.MEDIA_UNAVAILABLE, "photo_invalid"),
    # Our own rendering was wrong: permanent, and worth an alert.
    OutcomeRule("Bad Request: message is too long", PERMANENT, K.BAD_REQUEST, "too_long"),
    OutcomeRule("Bad Request: message caption is too long", PERMANENT, K.BAD_REQUEST, "too_long"),
    OutcomeRule("Bad Request: can't parse entities", PERMANENT, K.BAD_REQUEST, "parse_entities"),
    # The channel is unhealthy.
    OutcomeRule("Bad Request: chat not found", PERMANENT, K.NOT_FOUND, "chat_not_found"),
    OutcomeRule("Forbidden: bot was kicked from the channel chat", PERMANENT, K.FORBIDDEN,
                "kicked"),
    OutcomeRule("Forbidden: bot is not a member of the channel chat", PERMANENT, K.FORBIDDEN,
                "not_member"),
    OutcomeRule("Bad Request: need administrator rights in the channel chat", PERMANENT,
                K.FORBIDDEN, "no_rights"),
    OutcomeRule("Bad Request: have no write access to the chat", PERMANENT, K.FORBIDDEN,
                "no_rights"),
    OutcomeRule("Unauthorized", PERMANENT, K.TOKEN_INVALID, "unauthorized"),
    # Edits and deletes.
    OutcomeRule("Bad Request: message is not modified", OK, None, "not_modified"),
    OutcomeRule("Bad Request: message to delete not found", OK, None, "already_deleted"),
    # Bots cannot delete channel posts older than 48 hours (Bot API deleteMessage).
    OutcomeRule("Bad Request: message can't be deleted", PERMANENT, K.TOO_OLD, "cannot_delete"),
    OutcomeRule("Bad Request: message can't be edited", PERMANENT, K.BAD_REQUEST, "cannot_edit"),
    OutcomeRule("Bad Request: message to edit not found", PERMANENT, K.NOT_FOUND,
                "edit_not_found"),
    OutcomeRule("Bad Request: there is no text in the message to edit", PERMANENT,
                K.BAD_REQUEST, "no_text_to_edit"),
    OutcomeRule("Bad Request: there is no caption in the message to edit", PERMANENT,
                K.BAD_REQUEST, "no_caption_to_edit"),
)  # fmt: skip

# When no row matches: by aiogram exception type, most specific first.
_BY_TYPE: Final[tuple[tuple[type[TelegramAPIError], OutcomeRule], ...]] = (
    (TelegramUnauthorizedError, OutcomeRule("401", PERMANENT, K.TOKEN_INVALID, "unauthorized")),
    (TelegramForbiddenError, OutcomeRule("403", PERMANENT, K.FORBIDDEN, "forbidden")),
    # basic groups only, never channels
    (TelegramMigrateToChat, OutcomeRule("migrate", PERMANENT, K.NOT_FOUND, "migrated")),
    (TelegramBadRequest, OutcomeRule("400", PERMANENT, K.BAD_REQUEST, "bad_request")),
    # A 404 from the Bot API means the URL is wrong: a malformed token or API base.
    (TelegramNotFound, OutcomeRule("404", PERMANENT, K.TOKEN_INVALID, "not_found")),
    (TelegramConflictError, OutcomeRule("409", PERMANENT, K.UNKNOWN, "conflict")),
    (TelegramServerError, OutcomeRule("5xx", AMBIGUOUS, K.UNAVAILABLE, "server_error")),
)
# Every answer this platform knows, for the contract (bot.platforms.Platform.outcomes).
OUTCOMES: Final = (*TABLE, *(rule for _type, rule in _BY_TYPE))

_ORIGINAL = "\nOriginal description: "  # how TelegramRetryAfter wraps the description


def redact(text: str, token: str | None) -> str:
    """`text` without the bot token: aiogram puts it in request URLs (`.../bot<token>/...`)."""
    if not token:
        return text
    return text.replace(f"bot{token}", "<redacted>").replace(token, "<redacted>")


def lookup(description: str) -> OutcomeRule | None:
    """The table row whose prefix starts `description`."""
    folded = description.casefold()
    return next((rule for rule in TABLE if folded.startswith(rule.match.casefold())), None)


def classify(
    exc: BaseException, *, token: str | None = None, publishing: bool = True
) -> PublishError:
    """The PublishError for any exception a Bot API call raised; its texts are redacted.

    With `publishing=False` (deletes) a second call cannot post twice, so what would be
    ambiguous is a plain retry.
    """
    rule, message, retry_after = _classify(exc)
    outcome = RETRY if rule.outcome is AMBIGUOUS and not publishing else rule.outcome
    kind = rule.kind or K.UNKNOWN
    return PublishError(
        outcome, kind, redact(message, token), retry_after=retry_after, code=rule.code
    )


def _classify(exc: BaseException) -> tuple[OutcomeRule, str, float | None]:
    if isinstance(exc, TelegramRetryAfter):
        description = exc.message.partition(_ORIGINAL)[2] or exc.message
        return TABLE[0], description, float(exc.retry_after)
    if isinstance(exc, TelegramEntityTooLarge):
        return OutcomeRule("413", PERMANENT, K.BAD_REQUEST, "too_large"), exc.message, None
    if isinstance(exc, TelegramNetworkError):
        return _transport(exc.__cause__, exc.message), _transport_message(exc), None
    if isinstance(exc, TelegramAPIError):
        rule = lookup(exc.message)
        if rule is None:
            rule = next((r for t, r in _BY_TYPE if isinstance(exc, t)), None)
        # Another status (3xx, odd 4xx): Telegram answered and refused, nothing was posted.
        return rule or OutcomeRule("", RETRY, K.UNKNOWN, "api_error"), exc.message, None
    if isinstance(exc, ClientDecodeError):
        # Not a Bot API answer (an HTML page from a proxy): the call may have gone through.
        return OutcomeRule("", AMBIGUOUS, K.UNAVAILABLE, "bad_response"), exc.message, None
    if isinstance(exc, (aiohttp.ClientError, TimeoutError)):
        return _transport(exc, ""), _describe(exc), None
    if isinstance(exc, (TypeError, ValueError)):
        # aiogram validates a call's arguments before sending: a payload we built wrong.
        return OutcomeRule("", PERMANENT, K.BAD_REQUEST, "bad_payload"), _describe(exc), None
    return OutcomeRule("", AMBIGUOUS, K.UNKNOWN, "unexpected"), _describe(exc), None


def _transport(cause: BaseException | None, text: str) -> OutcomeRule:
    """Retry when the request provably never left (no connection); else ambiguous."""
    if isinstance(cause, aiohttp.ConnectionTimeoutError):
        return OutcomeRule("", RETRY, K.UNAVAILABLE, "connect_timeout")
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake
        return OutcomeRule("", RETRY, K.UNAVAILABLE, "connect_failed")
    if isinstance(cause, aiohttp.InvalidURL):
        return OutcomeRule("", PERMANENT, K.BAD_REQUEST, "bad_url")
    if isinstance(cause, TimeoutError) or (cause is None and "timeout" in text.casefold()):
        return OutcomeRule("", AMBIGUOUS, K.UNAVAILABLE, "timeout")
    # reset, server disconnected, broken payload
    return OutcomeRule("", AMBIGUOUS, K.UNAVAILABLE, "network")


def _transport_message(exc: TelegramNetworkError) -> str:
    cause = exc.__cause__
    if cause is None or isinstance(cause, TimeoutError):
        return exc.message
    return _describe(cause)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
