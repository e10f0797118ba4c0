"""No private or local address ever reaches a platform call (bot.content.guard,
bot.addresses), and no field is bigger than a real article's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.addresses import is_public_address, url_problem
from bot.app import default_platforms, open_app
from bot.content.guard import MAX_BODY_CHARS, cap_fields, vet
from bot.content.warnings import article_warnings
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from bot.net import make_fetch_session
from bot.preview import default_channels, load_article, preview
from sandbox import Sandbox
from tests.bot.test_pipeline import ENV, deliver_all, fixture_article
from tests.conftest import FIXTURES, PAGE_ID, make_config

PRIVATE_IMAGES = [
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://127.0.0.1/a.jpg",
    "http://[::1]/a.jpg",
    "http://[::7f00:1]/a.jpg",  # IPv4-compatible IPv6 of 127.0.0.1
    "http://[::ffff:192.168.1.1]/a.jpg",
    "http://[64:ff9b::a9fe:a9fe]/a.jpg",  # NAT64 of 169.254.169.254
    "http://[2002:c0a8:101::]/a.jpg",  # 6to4 of 192.168.1.1
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a.jpg",  # Teredo (client 192.0.2.45)
    "http://[64:ff9b:1::a]/a.jpg",  # local-use NAT64
    "http://0x7f.1/a.jpg",
    "http://2130706433/a.jpg",
    "http://localhost/a.jpg",
    "http://metadata.google.internal/a.jpg",
    "http://intranet/a.jpg",
    "gopher://example.com/a.jpg",
    "//example.com/a.jpg",
]


@pytest.mark.parametrize("url", PRIVATE_IMAGES)
def test_every_spelling_of_a_private_or_local_address_is_refused(url: str) -> None:
    assert url_problem(url, allow_private=False) is not None
    if url.startswith("http://"):  # NEWSBOT_ALLOW_PRIVATE_NETWORKS lifts the address rules
        assert url_problem(url, allow_private=True) is None


@pytest.mark.parametrize(
    "url", ["https://profit.kz/upload/a.jpg", "http://8.8.8.8/a.jpg", "https://[2a00:1450::1]/"]
)
def test_public_addresses_pass(url: str) -> None:
    assert url_problem(url, allow_private=False) is None


def test_resolved_addresses_of_every_class_are_checked_in_one_place() -> None:
    assert not is_public_address("::7f00:1")
    assert not is_public_address("fe80::1%eth0")
    assert is_public_address("2a00:1450:4001::1")


@pytest.mark.parametrize("image", PRIVATE_IMAGES)
async def test_a_refused_image_is_dropped_with_an_editor_warning(image: str) -> None:
    article = replace(fixture_article(), image=image)
    vetted = await vet(article, allow_private=False)
    assert vetted.image is None
    [warning] = [w for w in article_warnings(vetted) if w.code == "image_refused"]
    assert "goes out without it" in warning.message


def test_fields_are_capped_once_with_a_note() -> None:
    article = replace(fixture_article(), body="слово " * MAX_BODY_CHARS)
    capped = cap_fields(article)
    assert len(capped.body) <= MAX_BODY_CHARS + 1
    assert [code for code, _ in capped.notes] == ["field_capped"]
    assert cap_fields(capped) == capped  # idempotent
    assert cap_fields(fixture_article()) == fixture_article()


async def test_a_private_image_never_reaches_send_photo_or_the_link_preview(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    # Regression: an article's image went to sendPhoto (and to Graph /photos) without
    # the fetcher's checks; a self-hosted Bot API in --local mode reads file:// paths.
    channels = [
        {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_test"},
        {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID, "post_type": "photo"},
    ]
    config = make_config(
        redis_server.url, sandbox, channels=channels, NEWSBOT_ALLOW_PRIVATE_NETWORKS=False
    )
    articles = [
        replace(fixture_article(), id=f"{n:016x}", url=f"https://profit.kz/news/{n}/", image=image)
        for n, image in enumerate(["file:///etc/passwd", "http://169.254.169.254/x.jpg"])
    ]
    async with open_app(config, env=ENV) as app:
        for article in articles:
            await app.ingest.submit(article)
        deliveries = await deliver_all(app, [a.id for a in articles])
    assert {d.state for d in deliveries} == {State.SENT}
    assert all("image_refused" in d.payload for d in deliveries)
    for post in sandbox.telegram.posts:
        assert post.method == "sendMessage" and post.photo is None
        assert (post.link_preview_options or {}).get("url", "").startswith("https://profit.kz/")
    for fb_post in sandbox.facebook.posts:
        assert fb_post.link and fb_post.link.startswith("https://profit.kz/")
    calls = [str(c) for c in sandbox.telegram.calls] + [str(c) for c in sandbox.facebook.calls]
    assert not any("169.254" in c or "file:" in c for c in calls)


@pytest.mark.parametrize(
    "markup",
    [
        '<meta property="og:image" content="file:///etc/passwd">',
        '<meta property="og:image" content="http://127.0.0.1/secret.jpg">',
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"image": "http://[::1]/x.jpg"}</script>',
    ],
)
async def test_preview_of_a_saved_page_shows_no_private_image(tmp_path: Path, markup: str) -> None:
    page = (FIXTURES / "profit-kz-article.html").read_text(encoding="utf-8")
    page = page.replace('<meta property="og:image"', '<meta property="og:image:old"')
    page = page.replace("</head>", markup + "</head>", 1)
    saved = tmp_path / "page.html"
    saved.write_text(page, encoding="utf-8")
    async with make_fetch_session(allow_private=False, user_agent="t") as session:
        article = await load_article(str(saved), session, allow_private=False)
    assert article.image is None or article.image.startswith("https://profit.kz/")
    platforms = default_platforms()
    for p in preview(article, default_channels(platforms), platforms):
        assert p.image is None or p.image.startswith("https://profit.kz/")
        assert "127.0.0.1" not in str(p.params) and "file:" not in str(p.params)
