"""The Facebook publisher over real HTTP against the Graph API sandbox."""

from __future__ import annotations

from functools import partial

import pytest

from bot.platforms import Outcome, Receipt
from sandbox import Fault
from tests.conftest import PAGE_ID, PAGE_TOKEN
from tests.publishers import fb_harness
from tests.publishers.fb_harness import IMAGE, URL, Harness
from tests.publishers.harness import ArticleFactory, closed_port

# Escaped as in a feed: the post shows it decoded.
article = partial(fb_harness.article, title="Kaspi &amp; Halyk")


@pytest.fixture
def fb_article() -> ArticleFactory:
    return article


async def test_link_post(fb: Harness) -> None:
    receipt = await fb.publish()
    [post] = fb.sandbox.facebook.posts
    assert post.page_id == PAGE_ID
    assert post.message == "Kaspi & Halyk\n\nБанки отчитались за квартал."
    assert post.link == URL
    assert receipt == Receipt(post.id, f"https://www.facebook.com/{post.id}")
    assert fb.secrets == [PAGE_TOKEN]


async def test_photo_post(fb: Harness) -> None:
    receipt = await fb.publish(post_type="photo")
    [post] = fb.sandbox.facebook.posts
    assert post.photo_url == IMAGE
    assert post.message == f"Kaspi & Halyk\n\nБанки отчитались за квартал.\n\nЧитать далее: {URL}"
    assert receipt.remote_id == post.id
    assert receipt.url == f"https://www.facebook.com/{post.id}"


async def test_usage_headers_come_with_each_answer_for_the_rate_limiter(fb: Harness) -> None:
    # per answer, never kept on the client: workers share it, and another worker's
    # headers must not decide this Page's pause
    publisher = fb.publisher()
    answer = await publisher.client.post(f"{PAGE_ID}/feed", {"message": "m", "link": URL})
    assert answer.usage is not None and 0 <= answer.usage.max_percent <= 100
    assert not hasattr(publisher.client, "last_usage")


async def test_bad_token_is_permanent_and_never_shown(fb: Harness) -> None:
    bad = "EAAwrongTokenNeverToBeLogged"
    error = await fb.fail(token=bad)
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "token")
    assert bad not in str(error)
    assert fb.sandbox.facebook.posts == []


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(kind="status", status=400, code=506), (Outcome.PERMANENT, "duplicate")),
        (Fault(kind="status", status=500, code=2), (Outcome.AMBIGUOUS, "service_error")),
        (Fault(kind="status", status=400, code=32), (Outcome.RETRY, "rate_limited")),
        (Fault(kind="status", status=400, code=613), (Outcome.RETRY, "rate_limited")),
        (Fault(kind="status", status=400, code=368), (Outcome.PERMANENT, "policy_block")),
        (Fault(kind="status", status=400, code=100), (Outcome.PERMANENT, "invalid_parameter")),
    ],
)
async def test_graph_errors(fb: Harness, fault: Fault, expected: tuple[Outcome, str]) -> None:
    fb.sandbox.facebook.faults.add(fault)
    error = await fb.fail()
    assert (error.outcome, error.code) == expected
    assert error.message


async def test_timeout_is_ambiguous(fb: Harness) -> None:
    fb.sandbox.facebook.faults.add(Fault(kind="timeout", delay=3))
    error = await fb.fail(timeout=0.3)
    assert (error.outcome, error.code) == (Outcome.AMBIGUOUS, "timeout")


async def test_connection_refused_is_retry(fb: Harness) -> None:
    error = await fb.fail(graph_url=f"http://127.0.0.1:{closed_port()}")
    assert (error.outcome, error.code) == (Outcome.RETRY, "connect_failed")


async def test_missing_token_is_a_config_sentence(fb: Harness) -> None:
    with pytest.raises(ValueError, match=rf"^FACEBOOK_PAGE_TOKEN is not set: .* page {PAGE_ID} "):
        fb.publisher(token=None)


async def test_an_unscrapable_link_is_posted_at_once_in_the_text_without_preview(
    fb: Harness,
) -> None:
    fb.sandbox.facebook.unscrapable_urls.add(URL)
    receipt = await fb.publish()
    (post,) = fb.sandbox.facebook.posts
    assert receipt.remote_id == post.id and post.link in (None, "")
    assert post.message is not None and post.message.endswith(URL)


async def test_invalidated_token_is_permanent(fb: Harness) -> None:
    fb.sandbox.facebook.invalidate_token(PAGE_TOKEN)
    error = await fb.fail()
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "token")
    assert PAGE_TOKEN not in str(error)


async def test_timeout_after_the_post_was_made_is_ambiguous(fb: Harness) -> None:
    fb.sandbox.facebook.faults.add(Fault(kind="timeout", delay=2, apply=True))
    error = await fb.fail(timeout=0.3)
    assert error.outcome is Outcome.AMBIGUOUS
    assert len(fb.sandbox.facebook.posts) == 1  # why it must not be a plain retry


async def test_client_reads_and_deletes_with_the_token_in_a_header(fb: Harness) -> None:
    publisher = fb.publisher()
    receipt = await publisher.publish(fb.render(article(), publisher.channel))
    feed = await publisher.client.get(f"{PAGE_ID}/feed", {"fields": "id,message"})
    assert [p["id"] for p in feed["data"]] == [receipt.remote_id]
    assert await publisher.client.delete(receipt.remote_id) == {"success": True}
    assert fb.sandbox.facebook.posts_on(PAGE_ID) == []
