"""The delivery board over real HTTP: who may see it, what it shows, its filters, its
headers. The service runs on the test session's Redis with the sandbox."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.infra.logging import Redactor, configure_logging
from bot.infra.redis_embedded import EmbeddedRedis
from bot.settings import ConfigError
from sandbox import Fault, Sandbox
from tests.board.helpers import (
    BEARER,
    FB,
    TG,
    TOKEN,
    board_service,
    board_url,
    get,
    new_article,
    row_of,
    until_state,
)
from tests.conftest import make_config


async def test_without_a_token_there_is_no_board(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with board_service(redis_server, sandbox, token=None) as app:
        for path in ("/board", f"/board/login?token={TOKEN}", "/board/events"):
            status, _text, _r = await get(board_url(app, path), BEARER)
            assert status == 404, path


async def test_a_missing_or_wrong_token_is_refused(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with board_service(redis_server, sandbox) as app:
        status, text, response = await get(board_url(app))
        assert status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "/board/login?token=<NEWSBOT_BOARD_TOKEN>" in text
        for headers in (
            {"Authorization": "Bearer wrong-token-0123456789"},
            {"Authorization": f"Basic {TOKEN}"},
            {"Cookie": f"newsbot_board={TOKEN}"},  # the cookie is not the token itself
        ):
            assert (await get(board_url(app), headers))[0] == 401, headers
        assert (await get(board_url(app, "/board/events")))[0] == 401
        status, _text, response = await get(
            board_url(app, "/board/login?token=wrong"), allow_redirects=False
        )
        assert status == 401 and "Set-Cookie" not in response.headers
        assert (await get(board_url(app), BEARER))[0] == 200


async def test_login_sets_a_strict_http_only_cookie_and_redirects_to_the_board(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with board_service(redis_server, sandbox) as app:
        login = board_url(app, f"/board/login?token={TOKEN}")
        status, _text, response = await get(login, allow_redirects=False)
        assert status == 303 and response.headers["Location"] == "/board"
        cookie = response.headers["Set-Cookie"]
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "path", "samesite"} <= attributes
        assert "SameSite=Strict" in cookie and "Path=/board" in cookie
        assert "secure" not in attributes  # plain http here
        assert TOKEN not in cookie
        proxied = await get(login, {"X-Forwarded-Proto": "https"}, allow_redirects=False)
        assert "secure" in proxied[2].headers["Set-Cookie"].lower()
        # a browser: the login link, then the board with the cookie it set
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar) as browser, browser.get(login) as r:
            assert r.status == 200 and str(r.url).endswith("/board")
            assert "Delivery board" in await r.text()


async def test_the_board_shows_each_delivery_escaped_with_a_followable_post_link(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with board_service(redis_server, sandbox) as app:
        article = new_article()
        await app.ingest.submit(article)
        for channel in ("tg-main", "fb-page"):
            await until_state(app, article.id, channel, "sent")
        status, page, response = await get(board_url(app), BEARER)
        assert status == 200
        policy = response.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert page.count(f'nonce="{nonce.group(1)}"') == 2  # the style and the one script
        assert len(re.findall(r"<script", page)) == 1
        assert response.headers["Cache-Control"] == "no-store"
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        assert "<img src=x" not in page and "alert(2)</script>" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        for channel in ("tg-main", "fb-page"):
            row = row_of(page, article.id, channel)
            assert 'data-state="sent"' in row
            assert '<td data-label="Attempts" class="short num">1</td>' in row
            assert re.search(r'data-label="Latency" class="short num">\d+(\.\d)? m?s<', row), row
            assert ">v1 · published<" in row  # the post's current version
            link = re.search(r'<a class="post" href="([^"]+)"', row)
            assert link, row
            assert link.group(1).startswith(sandbox.post_pages.base_url)
            status, post_page, _r = await get(link.group(1))
            assert status == 200  # the sandbox's page of that very post
            assert "Первое предложение лида" in post_page
        assert TOKEN not in page


async def test_filters_hide_other_channels_and_states_and_bad_ones_are_named(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with board_service(redis_server, sandbox) as app:
        article = new_article("Фильтры")
        await app.ingest.submit(article)
        for channel in ("tg-main", "fb-page"):
            await until_state(app, article.id, channel, "sent")
        _s, page, _r = await get(board_url(app, "/board?channel=tg-main"), BEARER)
        assert " hidden>" not in row_of(page, article.id, "tg-main")
        assert row_of(page, article.id, "fb-page").split(">")[0].endswith(" hidden")
        assert '<option value="tg-main" selected>' in page
        _s, page, _r = await get(board_url(app, "/board?state=failed"), BEARER)
        assert all(
            row_of(page, article.id, c).split(">")[0].endswith(" hidden")
            for c in ("tg-main", "fb-page")
        )
        assert "No deliveries match the filters" in page
        _s, page, _r = await get(board_url(app, "/board?state=posted"), BEARER)
        assert " hidden>" not in row_of(page, article.id, "fb-page")
        for query, words in (
            (
                "channel=nope",
                "channel 'nope' is not an active channel: use one of tg-main, fb-page",
            ),
            ("state=lost", "state 'lost' is not a state or group"),
            ("limit=0", "limit must be a whole number from 1 to 500"),
        ):
            status, text, _r = await get(board_url(app, f"/board?{query}"), BEARER)
            assert status == 400 and words in text, (query, text)


async def test_waiting_reasons_and_the_last_error_in_the_platforms_words(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    approving = {**FB, "approval": True}
    async with board_service(redis_server, sandbox, channels=[TG, approving]) as app:
        embargoed = new_article("Эмбарго", publish_at=datetime.now(UTC) + timedelta(hours=2))
        await app.ingest.submit(embargoed)
        # a 429 on Telegram: that delivery waits for its retry, the bucket cools down
        sandbox.telegram.faults.add(Fault(kind="rate_limit", retry_after=300))
        limited = new_article("Лимит")
        await app.ingest.submit(limited)
        await until_state(app, limited.id, "tg-main", "retry_wait")
        cooling = new_article("Охлаждение")
        await app.ingest.submit(cooling)
        _s, page, _r = await get(board_url(app), BEARER)

        embargo_row = row_of(page, embargoed.id, "tg-main")
        assert 'data-state="queued"' in embargo_row and ">embargo until " in embargo_row, (
            embargo_row
        )
        approval_row = row_of(page, limited.id, "fb-page")
        assert 'data-state="awaiting_approval"' in approval_row
        assert "awaiting an editor&#39;s approval" in approval_row
        retry_row = row_of(page, limited.id, "tg-main")
        assert "retry after backoff until" in retry_row
        # Telegram's own words for the 429, as the sandbox answers them
        assert "last error (rate_limited): " in retry_row and "Too Many Requests" in retry_row
        await until_state(app, cooling.id, "tg-main", "queued")
        _s, page, _r = await get(board_url(app), BEARER)
        cooling_row = row_of(page, cooling.id, "tg-main")
        assert "cooldown: the platform asked to wait" in cooling_row, cooling_row
        assert "ready to send" in page and "scheduled <b>" in page


async def test_a_pause_shows_on_waiting_rows_and_in_the_queue(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with board_service(redis_server, sandbox, channels=[TG]) as app:
        await app.store.editors.set_paused("@chief")
        article = new_article("На паузе")
        await app.ingest.submit(article)
        _s, page, _r = await get(board_url(app), BEARER)
        row = row_of(page, article.id, "tg-main")
        assert 'data-state="queued"' in row and "paused by an editor (@chief)" in row
        assert '<strong class="paused">paused by @chief</strong>' in page
        await app.store.editors.set_paused(None)


async def test_the_token_never_reaches_a_log_line(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    stream = io.StringIO()
    redactor = Redactor()
    configure_logging("DEBUG", redactor, stream=stream)
    try:
        async with board_service(redis_server, sandbox, redactor=redactor) as app:
            await get(board_url(app, f"/board/login?token={TOKEN}"))
            await get(board_url(app, f"/board/login?token={TOKEN}x"))
            await get(board_url(app, "/board?limit=abc"), BEARER)
            logging.getLogger("aiohttp.access").info("GET /board/login?token=%s", TOKEN)
    finally:
        logging.getLogger().handlers.clear()
    lines = stream.getvalue()
    assert "http server listening" in lines  # the capture works
    assert TOKEN not in lines


async def test_a_weak_board_token_is_refused_in_one_sentence(sandbox: Sandbox) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config("redis://127.0.0.1:1", sandbox, NEWSBOT_BOARD_TOKEN="short")
    assert str(caught.value).startswith("environment: NEWSBOT_BOARD_TOKEN must be at least 16")
    empty = make_config("redis://127.0.0.1:1", sandbox, NEWSBOT_BOARD_TOKEN="")
    assert empty.settings.board_token is None


async def test_a_board_without_redis_says_so(tmp_path: Path, sandbox: Sandbox) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    await server.start()
    try:
        async with board_service(server, sandbox, channels=[TG]) as app:
            await server.stop(force=True)
            status, text, _r = await get(board_url(app), BEARER)
            assert status == 503 and text.startswith("The board cannot read Redis now (")
            await server.start()  # back, so that the service can stop cleanly
    finally:
        await server.stop(force=True)
