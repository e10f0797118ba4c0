"""The Telegram publisher over real HTTP against the Bot API sandbox."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from bot.platforms import Outcome
from sandbox import Fault
from tests.conftest import BOT_TOKEN
from tests.publishers import tg_harness
from tests.publishers.harness import ArticleFactory, closed_port
from tests.publishers.tg_harness import CHAT, IMAGE, Harness

URL = "https://profit.kz/news/71234/?utm=1&x=2"

article = partial(
    tg_harness.article,
    url=URL,
    title='Kaspi & «Halyk»: <рост> "на 18,5%"',
    lead="Банки отчитались за квартал. Рост выручки составил 18,5%.",
)


@pytest.fixture
def tg_article() -> ArticleFactory:
    return article


def only_post(tg: Harness) -> Any:
    """The one post the sandbox recorded; Any, as its text fields are optional."""
    [post] = tg.sandbox.telegram.posts
    return post


async def test_photo_post_is_delivered_with_its_caption(tg: Harness) -> None:
    receipt = await tg.publish()
    post = only_post(tg)
    assert post.method == "sendPhoto"
    assert post.photo == IMAGE
    assert post.parse_mode == "HTML"
    assert post.caption == (
        'Kaspi & «Halyk»: <рост> "на 18,5%"\n\n'
        "Банки отчитались за квартал. Рост выручки составил 18,5%.\n\nЧитать далее"
    )
    assert receipt.remote_id == f"{post.chat_id}:{post.message_id}"
    assert receipt.url == f"https://t.me/{CHAT[1:]}/{post.message_id}"
    assert tg.secrets == [BOT_TOKEN]


async def test_text_post_is_delivered_with_a_link_preview(tg: Harness) -> None:
    receipt = await tg.publish(article(image=None))
    post = only_post(tg)
    assert post.method == "sendMessage"
    assert post.text.startswith('Kaspi & «Halyk»: <рост> "на 18,5%"\n\n')
    assert post.text.endswith("\n\nЧитать далее")
    assert post.link_preview_options["url"] == URL
    assert post.link_preview_options["prefer_large_media"] is True
    assert receipt.url.endswith(f"/{post.message_id}")


async def test_long_article_with_image_is_a_text_post_previewing_the_image(
    tg: Harness,
) -> None:
    # One sentence too long for a caption: no two sentences fit, so no photo post.
    await tg.publish(article(lead="Длинный лид " * 300 + "."), summary_max=4000)
    post = only_post(tg)
    assert post.method == "sendMessage"
    assert post.link_preview_options["url"] == IMAGE
    assert len(post.text) <= 4096


async def test_private_channel_link_drops_the_minus_100(tg: Harness) -> None:
    chat = "-1001234567890"
    tg.sandbox.telegram.add_chat(chat)
    receipt = await tg.publish(chat=chat)
    post = only_post(tg)
    assert receipt.url == f"https://t.me/c/1234567890/{post.message_id}"
    assert receipt.remote_id == f"-1001234567890:{post.message_id}"


async def test_unreachable_photo_falls_back_to_a_text_post(tg: Harness) -> None:
    tg.sandbox.telegram.unreachable_urls.add(IMAGE)
    receipt = await tg.publish()
    post = only_post(tg)
    assert post.method == "sendMessage"
    assert post.text.startswith("Kaspi & «Halyk»")
    assert receipt.remote_id.endswith(f":{post.message_id}")


async def test_429_is_retry_after(tg: Harness) -> None:
    tg.sandbox.telegram.faults.add(Fault(kind="rate_limit", retry_after=3))
    error = await tg.fail()
    assert (error.outcome, error.code, error.retry_after) == (Outcome.RETRY, "rate_limited", 3)
    assert error.message.startswith("Too Many Requests")
    assert tg.sandbox.telegram.posts == []


async def test_500_is_ambiguous(tg: Harness) -> None:
    tg.sandbox.telegram.faults.add(
        Fault(kind="status", status=500, description="Internal Server Error")
    )
    error = await tg.fail()
    assert (error.outcome, error.code) == (Outcome.AMBIGUOUS, "server_error")


async def test_timeout_is_ambiguous(tg: Harness) -> None:
    tg.sandbox.telegram.faults.add(Fault(kind="timeout", delay=3))
    error = await tg.fail(timeout=0.3)
    assert (error.outcome, error.code) == (Outcome.AMBIGUOUS, "timeout")


async def test_reset_is_ambiguous(tg: Harness) -> None:
    tg.sandbox.telegram.faults.add(Fault(kind="reset"))
    error = await tg.fail()
    assert error.outcome is Outcome.AMBIGUOUS


async def test_connection_refused_is_retry(tg: Harness) -> None:
    error = await tg.fail(api_base=f"http://127.0.0.1:{closed_port()}")
    assert (error.outcome, error.code) == (Outcome.RETRY, "connect_failed")
    assert BOT_TOKEN not in str(error)


async def test_bad_token_is_permanent_and_never_shown(tg: Harness) -> None:
    bad = "123456:WRONG-token-never-to-be-logged"
    error = await tg.fail(token=bad)
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "unauthorized")
    assert error.message == "Unauthorized"
    assert bad not in error.message
    assert bad not in str(error)
    assert bad not in repr(error.args)


async def test_chat_not_found_is_permanent_with_the_platform_text(tg: Harness) -> None:
    tg.sandbox.telegram.strict_chats = True
    error = await tg.fail(chat="@nobody_here")
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "chat_not_found")
    assert error.message == "Bad Request: chat not found"


async def test_no_rights_is_permanent(tg: Harness) -> None:
    tg.sandbox.telegram.add_chat("@readonly_chan", can_post=False)
    error = await tg.fail(chat="@readonly_chan")
    assert error.outcome is Outcome.PERMANENT


async def test_missing_token_is_a_config_sentence(tg: Harness) -> None:
    with pytest.raises(ValueError, match=r"^TELEGRAM_BOT_TOKEN is not set: "):
        tg.handle(token=None)


async def test_timeout_after_the_post_was_made_is_ambiguous(tg: Harness) -> None:
    tg.sandbox.telegram.faults.add(Fault(kind="timeout", delay=2, apply=True))
    error = await tg.fail(timeout=0.3)
    assert (error.outcome, error.code) == (Outcome.AMBIGUOUS, "timeout")
    assert len(tg.sandbox.telegram.posts) == 1  # why "ambiguous", not "retry"


async def test_caption_at_the_limit_counts_as_telegram_does(tg: Harness) -> None:
    # 1,024 visible code points, but several times that in HTML and in UTF-16 units.
    fixed = len("T\n\n\n\nЧитать далее")
    lead = ("&<🚀" * 400)[: 1024 - fixed]
    await tg.publish(article(title="T", lead=lead), summary_max=1024)
    post = only_post(tg)
    assert post.method == "sendPhoto"
    assert len(post.caption) == 1024


async def test_longest_text_is_fitted_and_accepted(tg: Harness) -> None:
    lead = "Предложение с «кавычками» & знаками. " * 300
    await tg.publish(article(image=None, lead=lead), summary_max=4000)
    post = only_post(tg)
    assert 4000 < len(post.text) <= 4096
    assert "знаками.\n\nЧитать далее" in post.text
