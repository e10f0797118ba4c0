"""Fault injection on both sandbox servers: every kind, applied or not."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from sandbox import Fault, FaultPlan, Sandbox

CHANNEL = "@faulty"
PAGE, PAGE_TOKEN = "1000001", "EAApage" + "x" * 30


@pytest.fixture
def sb(sb: Sandbox) -> Sandbox:
    sb.facebook.add_page(PAGE, PAGE_TOKEN)
    return sb


@pytest.mark.parametrize("apply", [False, True])
async def test_status_fault_answers_the_real_error_body(bot: Bot, sb: Sandbox, apply: bool) -> None:
    sb.telegram.faults.add(Fault(kind="status", method="sendMessage", apply=apply))
    with pytest.raises(TelegramServerError) as info:
        await bot.send_message(CHANNEL, "новость")
    assert info.value.message == "Internal Server Error"
    assert len(sb.telegram.posts_in(CHANNEL)) == (1 if apply else 0)
    assert (sb.telegram.calls[-1].status, sb.telegram.calls[-1].error) == (
        500,
        "Internal Server Error",
    )
    await bot.send_message(CHANNEL, "дальше")  # the fault was used up
    assert len(sb.telegram.posts_in(CHANNEL)) == (2 if apply else 1)


async def test_rate_limit_fault_and_method_filter(bot: Bot, sb: Sandbox) -> None:
    sb.telegram.faults.add(Fault(kind="rate_limit", method="SENDPHOTO", retry_after=3, times=2))
    await bot.send_message(CHANNEL, "not a photo")
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as info:
            await bot.send_photo(CHANNEL, "https://e.kz/1.jpg")
        assert info.value.retry_after == 3
    await bot.send_photo(CHANNEL, "https://e.kz/1.jpg")
    assert [c.status for c in sb.telegram.calls] == [200, 429, 429, 200]


@pytest.mark.parametrize("apply", [False, True])
async def test_timeout_fault(bot: Bot, sb: Sandbox, apply: bool) -> None:
    sb.telegram.faults.add(Fault(kind="timeout", delay=0.4, apply=apply))
    with pytest.raises(TelegramNetworkError, match="Request timeout error"):
        await bot.send_message(CHANNEL, "медленно", request_timeout=0.1)  # type: ignore[arg-type]
    await asyncio.sleep(0.5)  # the server answers late, to nobody
    assert len(sb.telegram.posts_in(CHANNEL)) == (1 if apply else 0)


async def test_a_patient_client_gets_the_slow_answer(bot: Bot, sb: Sandbox) -> None:
    sb.telegram.faults.add(Fault(kind="timeout", delay=0.2))
    msg = await bot.send_message(CHANNEL, "дождался")
    assert msg.text == "дождался" and len(sb.telegram.posts_in(CHANNEL)) == 1


@pytest.mark.parametrize("apply", [False, True])
async def test_reset_fault_drops_the_connection(bot: Bot, sb: Sandbox, apply: bool) -> None:
    sb.telegram.faults.add(Fault(kind="reset", apply=apply))
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(CHANNEL, "обрыв")
    assert len(sb.telegram.posts_in(CHANNEL)) == (1 if apply else 0)
    assert sb.telegram.calls[-1].status == 0


async def test_random_faults_are_reproducible_with_a_seed() -> None:
    def outcomes(seed: int) -> list[bool]:
        plan = FaultPlan()
        plan.random(0.5, [Fault(kind="status"), Fault(kind="reset")], seed=seed)
        return [plan.take("sendMessage") is not None for _ in range(40)]

    first = outcomes(7)
    assert first == outcomes(7)
    assert 5 < sum(first) < 35
    plan = FaultPlan()
    plan.random(1.0, [Fault(kind="status", method="sendPhoto")], seed=1)
    assert plan.take("sendMessage") is None and plan.take("sendPhoto") is not None
    plan.clear()
    assert plan.take("sendPhoto") is None


async def test_graph_faults(sb: Sandbox) -> None:
    feed = f"{sb.graph_url}/v24.0/{PAGE}/feed"
    sb.facebook.faults.add(Fault(kind="status", method="feed", apply=True))
    sb.facebook.faults.add(Fault(kind="rate_limit", method="feed", retry_after=120))
    sb.facebook.faults.add(Fault(kind="status", status=400, code=368, method="feed"))
    async with aiohttp.ClientSession() as http:
        async with http.post(feed, data={"message": "a", "access_token": PAGE_TOKEN}) as resp:
            assert resp.status == 500
            error = (await resp.json())["error"]
            assert (error["code"], error["is_transient"], error["type"]) == (
                2,
                True,
                "OAuthException",
            )
            assert (
                error["message"]
                == "An unexpected error has occurred. Please retry your request later."
            )
        assert len(sb.facebook.posts_on(PAGE)) == 1  # the ambiguous case: posted anyway
        async with http.post(feed, data={"message": "b", "access_token": PAGE_TOKEN}) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"]["message"] == "(#32) Page request limit reached"
            usage = json.loads(resp.headers["X-Business-Use-Case-Usage"])[PAGE][0]
            assert (usage["call_count"], usage["estimated_time_to_regain_access"]) == (100, 2)
        async with http.post(feed, data={"message": "c", "access_token": PAGE_TOKEN}) as resp:
            error = (await resp.json())["error"]
            assert (error["code"], error["error_subcode"]) == (368, 1390008)
        sb.facebook.faults.add(Fault(kind="reset", method="feed"))
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await http.post(feed, data={"message": "d", "access_token": PAGE_TOKEN})
    assert [p.message for p in sb.facebook.posts_on(PAGE)] == ["a"]
    assert [c.status for c in sb.facebook.calls] == [500, 400, 400, 0]


async def test_control_endpoints(sb: Sandbox, bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        fault = {
            "kind": "status",
            "status": 502,
            "description": "Bad Gateway",
            "method": "sendMessage",
        }
        async with http.post(f"{sb.telegram_base}/_sandbox/faults", json=fault) as resp:
            assert resp.status == 200
        async with http.post(f"{sb.telegram_base}/_sandbox/faults", json={"kind": "boom"}) as resp:
            assert resp.status == 400
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(CHANNEL, "x")
        await bot.send_message(CHANNEL, "y")
        async with http.get(f"{sb.telegram_base}/_sandbox/posts") as resp:
            assert [p["text"] for p in await resp.json()] == ["y"]
        async with http.post(f"{sb.telegram_base}/_sandbox/reset") as resp:
            assert resp.status == 200
        assert sb.telegram.posts == [] and sb.telegram.calls == []
        update = {
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": 5, "type": "private"},
                "text": "/s",
            }
        }
        async with http.post(f"{sb.telegram_base}/_sandbox/updates", json=update) as resp:
            assert (await resp.json())["update_id"] == 1
        async with http.post(f"{sb.graph_url}/_sandbox/faults", json={"kind": "reset"}) as resp:
            assert resp.status == 200 and len(sb.facebook.faults.pending) == 1
        async with http.get(f"{sb.graph_url}/_sandbox/posts") as resp:
            assert await resp.json() == []
