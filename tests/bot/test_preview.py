"""`newsbot preview`: the golden posts of the fixture article, read as an editor
would, and the preview's paths for a URL, a file and wrong input.

Regenerate the golden file after an intended change of the posts with
`UPDATE_GOLDEN=1 make test`, then read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import default_platforms
from bot.cli import main
from bot.net import make_fetch_session
from bot.preview import PreviewError, default_channels, load_article, preview
from sandbox.tghtml import parse_html
from tests.conftest import FIXTURES

PAGE = FIXTURES / "profit-kz-article.html"
GOLDEN = FIXTURES / "golden" / "profit-kz-article.json"
CHANNELS = FIXTURES / "golden" / "channels.toml"
LEAD = (
    "Особое внимание страны уделяют проекту по организации международного стыка "
    "телекоммуникационных сетей РК и Туркменистана."
)
TITLE = "Казахстан и Туркменистан укрепляют сотрудничество в сфере цифровых технологий и связи"
CHROME = ("Цифра дня", "18,5%", "Следите за новостями", "Подписывайтесь", "Главная", "©")


@pytest.fixture
def config_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_CONFIG", str(CHANNELS))


def run_preview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["preview", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_golden_posts_of_the_fixture_article(
    config_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_preview(capsys, str(PAGE), "--json")
    assert code == 0
    posts = json.loads(out)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(out, encoding="utf-8")
    assert posts == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_golden_posts_read_as_an_editor_would(
    config_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run_preview(capsys, str(PAGE), "--json")
    tg, fb_link, fb_photo = json.loads(out)
    for post in (tg, fb_link, fb_photo):
        assert not any(chrome in post["text"] for chrome in CHROME), post["channel"]
        assert post["published"] == "2025-11-26T13:30:00+05:00"
        assert post["text"].endswith("#Туркменистан #ВОЛС #TNS_Plus") or post is fb_photo
        [warning] = post["warnings"]
        assert warning["code"] == "mixed_script"
        assert "gремьер-министра" in warning["message"]
    seen = parse_html(tg["text"]).text
    assert seen == f"{TITLE}\n\n{LEAD}\n\nЧитать далее\n\n#Туркменистан #ВОЛС #TNS_Plus"
    assert (tg["method"], tg["parse_mode"], tg["limit"]) == ("sendPhoto", "HTML", 1024)
    assert tg["image"] == "https://profit.kz/clients/uploads/news/2025/11/kz-tm-fiber.jpg"
    assert tg["link"].endswith("/?utm_source=telegram&utm_medium=social&utm_campaign=tg-main")
    assert fb_link["params"] == {
        "message": f"{TITLE}\n\n{LEAD}\n\n#Туркменистан #ВОЛС #TNS_Plus",
        "link": fb_link["link"],
    }
    assert fb_photo["method"] == "photos"
    assert f"Читать далее: {fb_photo['link']}" in fb_photo["text"]
    assert fb_photo["text"].endswith("\n\nProfit.kz — новости IT и телекома Казахстана")


def test_text_view_shows_call_length_and_warnings(
    config_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_preview(capsys, str(PAGE), "--channel", "tg-main")
    assert code == 0
    assert "published 2025-11-26T13:30:00+05:00" in out
    assert "── tg-main (telegram) · sendPhoto · 253/1024 · HTML" in out
    assert (
        "! words mix Latin and Cyrillic letters: Хаджимуратa, Худайгулыевa, gремьер-министра" in out
    )
    assert "fb-link" not in out


def test_without_a_config_file_the_default_channels_are_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSBOT_CONFIG", str(tmp_path / "none.toml"))
    code, out, err = run_preview(capsys, str(PAGE), "--json")
    assert code == 0
    assert "showing the default channels" in err
    assert [p["channel"] for p in json.loads(out)] == ["telegram", "facebook"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "nope"], "no channel 'nope' is configured: use one of tg-main, fb-link"),
        (["missing.html"], "is neither an http(s) URL nor a readable file"),
        (["ftp://x/"], "is neither an http(s) URL nor a readable file"),
    ],
)
def test_wrong_arguments_get_one_sentence(
    config_env: None, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    ref = [] if args[0].startswith("-") else args[:1]
    code, out, err = run_preview(capsys, *(ref or [str(PAGE)]), *(args[1:] if ref else args))
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert out == ""


def test_a_page_without_a_web_address_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config_env: None
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><h1>Title</h1><p>Some text of the article.</p></body></html>")
    code, _, err = run_preview(capsys, str(page))
    assert code == 2
    assert "names no web address (no canonical link or og:url)" in err


@pytest.fixture
async def page_server() -> AsyncIterator[str]:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=PAGE.read_bytes(), content_type="text/html")

    app = web.Application()
    app.router.add_get("/news/1/", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/news/1/"
    await runner.cleanup()


async def fetch_session(allow_private: bool) -> aiohttp.ClientSession:
    return make_fetch_session(allow_private=allow_private, user_agent="newsbot-test")


async def test_preview_of_a_url_fetches_the_page_once(page_server: str) -> None:
    async with await fetch_session(True) as session:
        article = await load_article(page_server + "?utm_source=x", session, allow_private=True)
    # The page's canonical link names the article; the posts use it.
    assert article.url.startswith("https://profit.kz/news/71234/")
    assert article.lead == LEAD
    platforms = default_platforms()
    [tg, fb] = preview(article, default_channels(platforms), platforms)
    assert tg.method == "sendPhoto" and fb.method == "feed"
    assert tg.warnings == fb.warnings


async def test_preview_of_a_private_address_is_refused_by_default(page_server: str) -> None:
    async with await fetch_session(False) as session:
        with pytest.raises(PreviewError, match=r"could not be fetched.*save the page"):
            await load_article(page_server, session, allow_private=False)
