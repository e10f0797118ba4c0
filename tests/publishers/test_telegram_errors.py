"""Telegram classification: every row of the table and every aiogram exception type."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage

from bot.platforms import FailureKind, Outcome, OutcomeRule
from publishers.telegram.errors import TABLE, classify, lookup, redact

METHOD = SendMessage(chat_id="@newsbot_test", text="x")
TOKEN = "987654321:TEST-secret-bot-token-ABCDEFGHIJKLMNO"

EXPECTED = {
    "Too Many Requests: retry after 5": (Outcome.RETRY, "rate_limited"),
    "Internal Server Error": (Outcome.AMBIGUOUS, "server_error"),
    "Bad Request: failed to get HTTP URL content": (Outcome.RETRY, "photo_unreachable"),
    "Bad Request: wrong type of the web page content": (Outcome.RETRY, "photo_bad_type"),
    "Bad Request: wrong file identifier/HTTP URL specified": (Outcome.RETRY, "photo_bad_url"),
    "Bad Request: PHOTO_INVALID_DIMENSIONS": (Outcome.RETRY, "photo_invalid"),
    "Bad Request: message is too long": (Outcome.PERMANENT, "too_long"),
    "Bad Request: message caption is too long": (Outcome.PERMANENT, "too_long"),
    'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 3': (
        Outcome.PERMANENT,
        "parse_entities",
    ),
    "Bad Request: chat not found": (Outcome.PERMANENT, "chat_not_found"),
    "Forbidden: bot was kicked from the channel chat": (Outcome.PERMANENT, "kicked"),
    "Forbidden: bot is not a member of the channel chat": (Outcome.PERMANENT, "not_member"),
    "Bad Request: need administrator rights in the channel chat": (
        Outcome.PERMANENT,
        "no_rights",
    ),
    "Bad Request: have no write access to the chat": (Outcome.PERMANENT, "no_rights"),
    "Unauthorized": (Outcome.PERMANENT, "unauthorized"),
    "Bad Request: message is not modified: specified new message content": (
        Outcome.OK,
        "not_modified",
    ),
    "Bad Request: message to delete not found": (Outcome.OK, "already_deleted"),
    "Bad Request: message can't be deleted": (Outcome.PERMANENT, "cannot_delete"),
    "Bad Request: message can't be edited": (Outcome.PERMANENT, "cannot_edit"),
    "Bad Request: message to edit not found": (Outcome.PERMANENT, "edit_not_found"),
    "Bad Request: there is no text in the message to edit": (Outcome.PERMANENT, "no_text_to_edit"),
    "Bad Request: there is no caption in the message to edit": (
        Outcome.PERMANENT,
        "no_caption_to_edit",
    ),
}


def _exception_for(description: str) -> TelegramAPIError:
    if description.startswith("Bad Request"):
        return TelegramBadRequest(METHOD, description)
    if description.startswith("Forbidden"):
        return TelegramForbiddenError(METHOD, description)
    if description.startswith("Unauthorized"):
        return TelegramUnauthorizedError(METHOD, description)
    if description.startswith("Internal"):
        return TelegramServerError(METHOD, description)
    return TelegramAPIError(METHOD, description)


def pair(rule: OutcomeRule | None) -> tuple[Outcome, str] | None:
    return None if rule is None else (rule.outcome, rule.code)


def test_every_table_row_is_tested() -> None:
    assert {pair(lookup(d)) for d in EXPECTED} == {(r.outcome, r.code) for r in TABLE}


def test_the_kinds_the_core_decides_on() -> None:
    kinds = {r.code: r.kind for r in TABLE}
    assert kinds["kicked"] is kinds["not_member"] is kinds["no_rights"] is FailureKind.FORBIDDEN
    assert kinds["unauthorized"] is FailureKind.TOKEN_INVALID
    assert kinds["cannot_delete"] is FailureKind.TOO_OLD
    assert kinds["photo_unreachable"] is FailureKind.MEDIA_UNAVAILABLE
    assert kinds["not_modified"] is None and kinds["already_deleted"] is None


@pytest.mark.parametrize(("description", "expected"), EXPECTED.items())
def test_table_row(description: str, expected: tuple[Outcome, str]) -> None:
    error = classify(_exception_for(description))
    assert (error.outcome, error.code) == expected
    assert error.message == description


def test_retry_after_carries_seconds_and_the_platform_description() -> None:
    exc = TelegramRetryAfter(METHOD, "Too Many Requests: retry after 7", retry_after=7)
    error = classify(exc)
    assert (error.outcome, error.code, error.retry_after) == (Outcome.RETRY, "rate_limited", 7.0)
    assert error.message == "Too Many Requests: retry after 7"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TelegramServerError(METHOD, "Bad Gateway"), (Outcome.AMBIGUOUS, "server_error")),
        (
            TelegramEntityTooLarge(METHOD, "Request Entity Too Large"),
            (Outcome.PERMANENT, "too_large"),
        ),
        (
            TelegramBadRequest(METHOD, "Bad Request: something new"),
            (Outcome.PERMANENT, "bad_request"),
        ),
        (
            TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user"),
            (Outcome.PERMANENT, "forbidden"),
        ),
        (
            TelegramUnauthorizedError(METHOD, "Unauthorized: invalid token"),
            (Outcome.PERMANENT, "unauthorized"),
        ),
        (TelegramNotFound(METHOD, "Not Found"), (Outcome.PERMANENT, "not_found")),
        (
            ClientDecodeError("Failed to decode object", ValueError("x"), "<html>"),
            (Outcome.AMBIGUOUS, "bad_response"),
        ),
        (TimeoutError(), (Outcome.AMBIGUOUS, "timeout")),
        (
            TypeError("send_message() got an unexpected keyword argument 'x'"),
            (Outcome.PERMANENT, "bad_payload"),
        ),
        (RuntimeError("boom"), (Outcome.AMBIGUOUS, "unexpected")),
    ],
)
def test_by_exception_type(exc: BaseException, expected: tuple[Outcome, str]) -> None:
    error = classify(exc)
    assert (error.outcome, error.code) == expected


def _network(cause: BaseException, message: str) -> TelegramNetworkError:
    """What AiohttpSession.make_request raises: the aiohttp error chained as the cause."""
    try:
        raise TelegramNetworkError(METHOD, message) from cause
    except TelegramNetworkError as exc:
        return exc


async def _refused() -> aiohttp.ClientConnectorError:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nobody listens
    async with aiohttp.ClientSession() as session:
        try:
            await session.get(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage")
        except aiohttp.ClientConnectorError as exc:
            return exc
    raise AssertionError("connected to a closed port")


async def test_connection_refused_is_retry() -> None:
    cause = await _refused()
    error = classify(_network(cause, f"ClientConnectorError: {cause}"), token=TOKEN)
    assert (error.outcome, error.code) == (Outcome.RETRY, "connect_failed")
    assert "Cannot connect" in error.message


@pytest.mark.parametrize(
    ("cause", "message", "expected"),
    [
        (
            aiohttp.ServerDisconnectedError(),
            "ServerDisconnectedError",
            (Outcome.AMBIGUOUS, "network"),
        ),
        (aiohttp.ClientConnectionResetError("reset"), "reset", (Outcome.AMBIGUOUS, "network")),
        (aiohttp.ClientOSError(32, "Broken pipe"), "Broken pipe", (Outcome.AMBIGUOUS, "network")),
        (aiohttp.ClientPayloadError("cut"), "cut", (Outcome.AMBIGUOUS, "network")),
        (TimeoutError(), "Request timeout error", (Outcome.AMBIGUOUS, "timeout")),
        (aiohttp.SocketTimeoutError(), "Request timeout error", (Outcome.AMBIGUOUS, "timeout")),
        (
            aiohttp.ConnectionTimeoutError(),
            "Request timeout error",
            (Outcome.RETRY, "connect_timeout"),
        ),
    ],
)
def test_network_errors(cause: BaseException, message: str, expected: tuple[Outcome, str]) -> None:
    error = classify(_network(cause, message))
    assert (error.outcome, error.code) == expected


def test_network_error_without_cause_is_judged_by_its_text() -> None:
    assert classify(TelegramNetworkError(METHOD, "Request timeout error")).code == "timeout"


def test_token_is_redacted_everywhere() -> None:
    exc = _network(
        aiohttp.InvalidURL(f"http://x/bot{TOKEN}/sendMessage"), f"InvalidURL: bot{TOKEN}"
    )
    error = classify(exc, token=TOKEN)
    assert TOKEN not in error.message
    assert TOKEN not in str(error)
    assert "<redacted>" in error.message
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "bad_url")
    assert redact(f"a bot{TOKEN} b {TOKEN}", TOKEN) == "a <redacted> b <redacted>"
