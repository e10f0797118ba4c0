"""Retracting a post (Publisher.delete) over real HTTP against both sandboxes."""

from __future__ import annotations

import time

import pytest

from bot.platforms import Outcome, PublishError
from sandbox import Fault
from tests.publishers.fb_harness import Harness as FacebookHarness
from tests.publishers.tg_harness import CHAT
from tests.publishers.tg_harness import Harness as TelegramHarness

HOUR_MS = 3600 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


# -- Telegram ------------------------------------------------------------------------


async def test_telegram_post_then_delete_removes_it(tg: TelegramHarness) -> None:
    receipt = await tg.publish()
    await tg.publisher().delete(receipt.remote_id, now_ms())
    [post] = tg.sandbox.telegram.posts
    assert post.deleted
    assert tg.sandbox.telegram.posts_in(CHAT) == []


async def test_telegram_deleting_a_deleted_message_is_fine(tg: TelegramHarness) -> None:
    receipt = await tg.publish()
    publisher = tg.publisher()
    await publisher.delete(receipt.remote_id, now_ms())
    await publisher.delete(receipt.remote_id, now_ms())
    last = tg.sandbox.telegram.calls[-1]
    assert (last.method, last.error) == (
        "deleteMessage",
        "Bad Request: message to delete not found",
    )


async def test_telegram_message_older_than_48_hours_is_too_old_without_a_call(
    tg: TelegramHarness,
) -> None:
    receipt = await tg.publish()
    with pytest.raises(PublishError) as info:
        await tg.publisher().delete(receipt.remote_id, now_ms() - 49 * HOUR_MS)
    error = info.value
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "too_old")
    assert "sent 49 hours ago: delete it in the channel by hand" in error.message
    assert len(tg.sandbox.telegram.posts_in(CHAT)) == 1
    assert "deleteMessage" not in [c.method for c in tg.sandbox.telegram.calls]


async def test_telegram_refusing_an_old_message_is_permanent(tg: TelegramHarness) -> None:
    # Our clock says 47 h, Telegram's says 48: its answer decides.
    receipt = await tg.publish()
    tg.sandbox.telegram.clock_offset = 48 * 3600
    with pytest.raises(PublishError) as info:
        await tg.publisher().delete(receipt.remote_id, now_ms() - 47 * HOUR_MS)
    error = info.value
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "cannot_delete")
    assert error.message == "Bad Request: message can't be deleted"
    assert len(tg.sandbox.telegram.posts_in(CHAT)) == 1


async def test_telegram_delete_with_a_bad_token_is_permanent_and_never_shown(
    tg: TelegramHarness,
) -> None:
    receipt = await tg.publish()
    bad = "123456:WRONG-token-never-to-be-logged"
    with pytest.raises(PublishError) as info:
        await tg.publisher(token=bad).delete(receipt.remote_id, now_ms())
    error = info.value
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "unauthorized")
    assert bad not in str(error)
    assert bad not in repr(error.args)
    assert len(tg.sandbox.telegram.posts_in(CHAT)) == 1


async def test_telegram_delete_cut_off_is_a_retry_not_ambiguous(tg: TelegramHarness) -> None:
    # Deleting again cannot post twice, and "not found" then counts as done.
    receipt = await tg.publish()
    tg.sandbox.telegram.faults.add(Fault(kind="reset", method="deleteMessage", apply=True))
    publisher = tg.publisher()
    with pytest.raises(PublishError) as info:
        await publisher.delete(receipt.remote_id, now_ms())
    assert info.value.outcome is Outcome.RETRY
    await publisher.delete(receipt.remote_id, now_ms())
    assert tg.sandbox.telegram.posts_in(CHAT) == []


async def test_telegram_malformed_remote_id_is_permanent(tg: TelegramHarness) -> None:
    with pytest.raises(PublishError) as info:
        await tg.publisher().delete("not-a-post", now_ms())
    assert (info.value.outcome, info.value.code) == (Outcome.PERMANENT, "bad_remote_id")


# -- Facebook ------------------------------------------------------------------------


@pytest.mark.parametrize("age_ms", [0, 365 * 24 * HOUR_MS], ids=["new", "a-year-old"])
async def test_facebook_post_then_delete_removes_it(fb: FacebookHarness, age_ms: int) -> None:
    receipt = await fb.publish()
    await fb.publisher().delete(receipt.remote_id, now_ms() - age_ms)  # Graph has no window
    [post] = fb.sandbox.facebook.posts
    assert post.deleted
    assert fb.sandbox.facebook.posts_on(post.page_id) == []


async def test_facebook_deleting_twice_is_fine(fb: FacebookHarness) -> None:
    receipt = await fb.publish()
    publisher = fb.publisher()
    await publisher.delete(receipt.remote_id, now_ms())
    await publisher.delete(receipt.remote_id, now_ms())
    last = fb.sandbox.facebook.calls[-1]
    assert last.method == "delete"
    assert (last.error or "").startswith("Unsupported delete request.")


async def test_facebook_delete_with_a_bad_token_is_permanent_and_never_shown(
    fb: FacebookHarness,
) -> None:
    receipt = await fb.publish()
    bad = "EAAwrongTokenNeverToBeLogged"
    with pytest.raises(PublishError) as info:
        await fb.publisher(token=bad).delete(receipt.remote_id, now_ms())
    error = info.value
    assert (error.outcome, error.code) == (Outcome.PERMANENT, "token")
    assert bad not in str(error)
    [post] = fb.sandbox.facebook.posts
    assert not post.deleted


async def test_facebook_delete_server_error_is_a_retry_not_ambiguous(
    fb: FacebookHarness,
) -> None:
    receipt = await fb.publish()
    fb.sandbox.facebook.faults.add(Fault(kind="status", status=500, method="delete"))
    with pytest.raises(PublishError) as info:
        await fb.publisher().delete(receipt.remote_id, now_ms())
    assert (info.value.outcome, info.value.code) == (Outcome.RETRY, "service_error")
    [post] = fb.sandbox.facebook.posts
    assert not post.deleted
