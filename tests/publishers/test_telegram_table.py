"""Every row of the Telegram classification table, answered by the Bot API sandbox.

The rows are read from `publishers.telegram.errors.TABLE`, so a new row is tested as
soon as it is added (docs/architecture.md "Telegram"). Each row is the sandbox's answer,
over real HTTP, to a real call: a publish() for the rows a send can meet, an aiogram
edit or delete for the others (the publisher has no edit path yet), classified with
`errors.classify` as the publisher does. Where the sandbox produces a row by itself
(a kicked bot, a 48-hour-old post...), that is checked too.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.platforms import FailureKind, Outcome, PublishError
from publishers.telegram import errors
from publishers.telegram.client import make_bot
from sandbox import Fault, Sandbox
from sandbox.tgmethods import NOT_MODIFIED
from sandbox.tgmodels import SECONDS_48H
from tests.conftest import BOT_TOKEN
from tests.publishers import harness
from tests.publishers.harness import closed_port
from tests.publishers.tg_harness import CHAT, IMAGE, Harness, article

# One sandbox and HTTP session for the module (not conftest's one per test); `tg` resets.
sandbox, http = harness.sandbox, harness.http

RETRY_AFTER = 7

Row = tuple[str, Outcome, str]

# The HTTP status the Bot API sends with each description head (tdlib/telegram-bot-api
# Client.cpp; aiogram maps it to its exception type). 429 is a "rate_limit" fault.
STATUS = {
    "Bad Request": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "Not Found": 404,
    "Conflict": 409,
    "Internal Server Error": 500,
}
# The real description where a row's prefix is only its beginning.
FULL = {
    "Bad Request: can't parse entities": (
        'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0'
    ),
    "Bad Request: message is not modified": f"Bad Request: {NOT_MODIFIED}",
}


def slug(prefix: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", prefix.casefold()).strip("-")


def row_id(row: Row) -> str:
    return slug(row[0])


def call_of(prefix: str) -> str:
    """The Bot API call a row belongs to: an edit, a delete, or a send (publish)."""
    folded = prefix.casefold()
    if "delete" in folded:
        return "deleteMessage"
    if "edit" in folded or "not modified" in folded:
        return "editMessageText"
    return "send"


def fault_for(prefix: str, method: str) -> tuple[Fault, str]:
    """The sandbox fault answering `method` with this row, and the description it sends."""
    if prefix.casefold().startswith("too many requests"):
        fault = Fault(kind="rate_limit", method=method, retry_after=RETRY_AFTER)
        return fault, f"Too Many Requests: retry after {RETRY_AFTER}"
    head = prefix.partition(":")[0]
    if head not in STATUS:
        pytest.fail(f"new row {prefix!r}: add the HTTP status of {head!r} to STATUS")
    description = FULL.get(prefix, prefix)
    fault = Fault(kind="status", method=method, status=STATUS[head], description=description)
    return fault, description


# The table as (description prefix, outcome, code); the kinds are checked on their own.
TABLE = [(rule.match, rule.outcome, rule.code) for rule in errors.TABLE]
KINDS = {rule.match: rule.kind for rule in errors.TABLE}
PHOTO = {rule.code for rule in errors.TABLE if rule.kind is FailureKind.MEDIA_UNAVAILABLE}
PHOTO_ROWS = [r for r in TABLE if r[2] in PHOTO]
EDIT_ROWS = [r for r in TABLE if call_of(r[0]) != "send" and r not in PHOTO_ROWS]
SEND_ROWS = [r for r in TABLE if r not in PHOTO_ROWS and r not in EDIT_ROWS]


@pytest.fixture(scope="module")
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    """aiogram on the sandbox, for the edits and deletes the publisher does not make."""
    client = make_bot(BOT_TOKEN, sandbox.telegram_base)
    yield client
    await client.session.close()


@pytest.fixture(scope="module")
async def telegram_harness(sandbox: Sandbox, http: aiohttp.ClientSession) -> AsyncIterator[Harness]:
    """One harness for the module (not one per test), its handles closed together."""
    async with Harness(sandbox, http) as module_harness:
        yield module_harness


async def raised(call: Awaitable[Any]) -> PublishError:
    """The PublishError for the exception a direct aiogram call raised."""
    with pytest.raises(TelegramAPIError) as info:
        await call
    return errors.classify(info.value, token=BOT_TOKEN)


def test_every_row_is_exercised() -> None:
    assert sorted(SEND_ROWS + PHOTO_ROWS + EDIT_ROWS) == sorted(TABLE)
    assert SEND_ROWS and PHOTO_ROWS and EDIT_ROWS


@pytest.mark.parametrize("kind", ["photo", "text"])
@pytest.mark.parametrize("row", SEND_ROWS, ids=row_id)
async def test_send_row_through_publish(tg: Harness, row: Row, kind: str) -> None:
    prefix, outcome, code = row
    fault, description = fault_for(prefix, "sendPhoto" if kind == "photo" else "sendMessage")
    tg.sandbox.telegram.faults.add(fault)
    error = await tg.fail(article(image=IMAGE if kind == "photo" else None))
    assert (error.outcome, error.code, error.message) == (outcome, code, description)
    assert error.kind is KINDS[prefix]
    assert error.retry_after == (RETRY_AFTER if fault.kind == "rate_limit" else None)
    assert tg.sandbox.telegram.faults.pending == []  # the fault met the call it was for
    assert tg.sandbox.telegram.posts == []


@pytest.mark.parametrize("row", PHOTO_ROWS, ids=row_id)
async def test_photo_row_is_classified_and_publish_sends_the_text(
    tg: Harness, bot: Bot, row: Row
) -> None:
    prefix, outcome, code = row
    fault, description = fault_for(prefix, "sendPhoto")
    tg.sandbox.telegram.faults.add(fault)
    error = await raised(bot.send_photo(CHAT, IMAGE))
    assert (error.outcome, error.code, error.message) == (outcome, code, description)

    tg.sandbox.telegram.faults.add(fault)
    receipt = await tg.publish()
    assert tg.sandbox.telegram.faults.pending == []
    [post] = tg.sandbox.telegram.posts
    assert post.method == "sendMessage"
    assert post.text.startswith("Kaspi & «Halyk»")
    assert receipt.remote_id == f"{post.chat_id}:{post.message_id}"


@pytest.mark.parametrize("row", EDIT_ROWS, ids=row_id)
async def test_edit_or_delete_row(tg: Harness, bot: Bot, row: Row) -> None:
    prefix, outcome, code = row
    method = call_of(prefix)
    sent = await bot.send_message(CHAT, "Первая версия")
    fault, description = fault_for(prefix, method)
    tg.sandbox.telegram.faults.add(fault)
    if method == "deleteMessage":
        error = await raised(bot.delete_message(CHAT, sent.message_id))
    else:
        error = await raised(
            bot.edit_message_text("Вторая", chat_id=CHAT, message_id=sent.message_id)
        )
    assert (error.outcome, error.code, error.message) == (outcome, code, description)
    assert tg.sandbox.telegram.faults.pending == []


# -- rows the sandbox answers by itself, without a fault ------------------------------

Scenario = Callable[[Harness, Bot], Awaitable[PublishError]]
NATURAL: dict[str, Scenario] = {}


def natural(prefix: str) -> Callable[[Scenario], Scenario]:
    def register(scenario: Scenario) -> Scenario:
        NATURAL[prefix] = scenario
        return scenario

    return register


@natural("Too Many Requests")
async def _flood(tg: Harness, bot: Bot) -> PublishError:
    tg.sandbox.telegram.rate_limit = (1, 60.0)
    await tg.publish()
    return await tg.fail()


@natural("Bad Request: failed to get HTTP URL content")
async def _unreachable_photo(tg: Harness, bot: Bot) -> PublishError:
    tg.sandbox.telegram.unreachable_urls.add(IMAGE)
    return await raised(bot.send_photo(CHAT, IMAGE))


@natural("Bad Request: wrong type of the web page content")
async def _not_an_image(tg: Harness, bot: Bot) -> PublishError:
    tg.sandbox.telegram.wrong_type_urls.add(IMAGE)
    return await raised(bot.send_photo(CHAT, IMAGE))


@natural("Bad Request: wrong file identifier/HTTP URL specified")
async def _unknown_file_id(tg: Harness, bot: Bot) -> PublishError:
    return await raised(bot.send_photo(CHAT, "AgACAgIAAxkBAAIBsandboxUnknownFileId"))


@natural("Bad Request: message is too long")
async def _text_too_long(tg: Harness, bot: Bot) -> PublishError:
    return await raised(bot.send_message(CHAT, "я" * 4097))


@natural("Bad Request: message caption is too long")
async def _caption_too_long(tg: Harness, bot: Bot) -> PublishError:
    return await raised(bot.send_photo(CHAT, IMAGE, caption="я" * 1025))


@natural("Bad Request: can't parse entities")
async def _bad_html(tg: Harness, bot: Bot) -> PublishError:
    return await raised(bot.send_message(CHAT, "<p>абзац</p>", parse_mode="HTML"))


@natural("Bad Request: chat not found")
async def _unknown_chat(tg: Harness, bot: Bot) -> PublishError:
    tg.sandbox.telegram.strict_chats = True
    return await tg.fail(chat="@nobody_here")


@natural("Forbidden: bot was kicked from the channel chat")
async def _kicked(tg: Harness, bot: Bot) -> PublishError:
    tg.sandbox.telegram.add_chat("@kicked_chan", kicked=True)
    return await tg.fail(chat="@kicked_chan")


@natural("Forbidden: bot is not a member of the channel chat")
async def _not_member(tg: Harness, bot: Bot) -> PublishError:
    tg.sandbox.telegram.add_chat("@left_chan", member=False)
    return await tg.fail(chat="@left_chan")


@natural("Bad Request: need administrator rights in the channel chat")
async def _no_rights(tg: Harness, bot: Bot) -> PublishError:
    tg.sandbox.telegram.add_chat("@readonly_chan", can_post=False)
    return await tg.fail(chat="@readonly_chan")


@natural("Unauthorized")
async def _revoked_token(tg: Harness, bot: Bot) -> PublishError:
    return await tg.fail(token="123456:WRONG-token-never-to-be-logged")


@natural("Bad Request: message is not modified")
async def _same_text_twice(tg: Harness, bot: Bot) -> PublishError:
    sent = await bot.send_message(CHAT, "Первая версия")
    await bot.edit_message_text("Вторая", chat_id=CHAT, message_id=sent.message_id)
    return await raised(bot.edit_message_text("Вторая", chat_id=CHAT, message_id=sent.message_id))


@natural("Bad Request: message to delete not found")
async def _deleted_twice(tg: Harness, bot: Bot) -> PublishError:
    sent = await bot.send_message(CHAT, "Пост")
    assert await bot.delete_message(CHAT, sent.message_id)
    return await raised(bot.delete_message(CHAT, sent.message_id))


@natural("Bad Request: message can't be deleted")
async def _older_than_48_hours(tg: Harness, bot: Bot) -> PublishError:
    sent = await bot.send_message(CHAT, "Пост")
    tg.sandbox.telegram.clock_offset = SECONDS_48H + 60
    return await raised(bot.delete_message(CHAT, sent.message_id))


@natural("Bad Request: message to edit not found")
async def _no_such_message(tg: Harness, bot: Bot) -> PublishError:
    sent = await bot.send_message(CHAT, "Пост")
    return await raised(bot.edit_message_text("X", chat_id=CHAT, message_id=sent.message_id + 99))


@natural("Bad Request: there is no text in the message to edit")
async def _photo_post_text_edit(tg: Harness, bot: Bot) -> PublishError:
    sent = await bot.send_photo(CHAT, IMAGE, caption="Подпись")
    return await raised(bot.edit_message_text("X", chat_id=CHAT, message_id=sent.message_id))


@pytest.mark.parametrize("prefix", NATURAL, ids=slug)
async def test_sandbox_answers_the_row_by_itself(tg: Harness, bot: Bot, prefix: str) -> None:
    rows = {p: (o, c) for p, o, c in TABLE}
    if prefix not in rows:
        pytest.fail(f"{prefix!r} is no longer a row of errors.TABLE")
    error = await NATURAL[prefix](tg, bot)
    assert error.message.casefold().startswith(prefix.casefold())
    assert (error.outcome, error.code) == rows[prefix]


# -- transport and other 5xx (refused -> retry; after sending -> ambiguous) --


async def test_connection_refused_is_retry(tg: Harness) -> None:
    error = await tg.fail(api_base=f"http://127.0.0.1:{closed_port()}")
    assert (error.outcome, error.code) == (Outcome.RETRY, "connect_failed")
    assert BOT_TOKEN not in error.message


@pytest.mark.parametrize("apply", [False, True], ids=["not-posted", "posted"])
async def test_timeout_after_sending_is_ambiguous(tg: Harness, apply: bool) -> None:
    tg.sandbox.telegram.faults.add(Fault(kind="timeout", delay=1.0, apply=apply))
    error = await tg.fail(timeout=0.2)
    assert (error.outcome, error.code) == (Outcome.AMBIGUOUS, "timeout")
    assert len(tg.sandbox.telegram.posts) == int(apply)


@pytest.mark.parametrize("apply", [False, True], ids=["not-posted", "posted"])
async def test_reset_is_ambiguous(tg: Harness, apply: bool) -> None:
    tg.sandbox.telegram.faults.add(Fault(kind="reset", apply=apply))
    error = await tg.fail()
    assert (error.outcome, error.code) == (Outcome.AMBIGUOUS, "network")
    assert BOT_TOKEN not in error.message
    assert len(tg.sandbox.telegram.posts) == int(apply)


@pytest.mark.parametrize(
    ("status", "description"),
    [(502, "Bad Gateway"), (503, "Service Unavailable"), (504, "Gateway Timeout")],
)
async def test_other_5xx_are_ambiguous(tg: Harness, status: int, description: str) -> None:
    tg.sandbox.telegram.faults.add(Fault(kind="status", status=status, description=description))
    error = await tg.fail()
    assert (error.outcome, error.code, error.message) == (
        Outcome.AMBIGUOUS,
        "server_error",
        description,
    )
