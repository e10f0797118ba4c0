"""Facebook rendering: plain text, entities decoded, link vs photo posts."""

from __future__ import annotations

import pytest

from bot.models import Article
from publishers.base import Payload
from publishers.facebook import FacebookChannel
from publishers.facebook.render import MESSAGE_LIMIT, render

LINK = FacebookChannel(id="fb", kind="facebook", page_id="100000000000042")
PHOTO = FacebookChannel(id="fb", kind="facebook", page_id="100000000000042", post_type="photo")
URL = "https://profit.kz/news/1/?a=1&b=2"
IMAGE = "https://profit.kz/img/1.jpg"


def article(**fields: object) -> Article:
    values: dict[str, object] = {
        "id": "a1",
        "url": URL,
        "title": "Tom &amp; Jerry &laquo;<b>&raquo;",
        "lead": "  Лид &quot;в кавычках&quot;.  ",
        "image": IMAGE,
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def test_link_post_is_plain_text_with_entities_decoded() -> None:
    payload = render(article(), LINK)
    assert payload.method == "feed"
    assert payload.params == {
        "message": 'Tom & Jerry «<b>»\n\nЛид "в кавычках".',
        "link": URL,
    }
    assert payload.length == len(payload.params["message"])
    assert payload.limit == MESSAGE_LIMIT == 63206
    assert Payload.from_json(payload.to_json()) == payload


def test_photo_post_carries_the_link_in_the_caption() -> None:
    payload = render(article(), PHOTO)
    assert payload.method == "photos"
    assert payload.params == {
        "url": IMAGE,
        "caption": f'Tom & Jerry «<b>»\n\nЛид "в кавычках".\n\n{URL}',
    }
    assert payload.length == len(payload.params["caption"])


def test_photo_channel_without_image_posts_a_link() -> None:
    payload = render(article(image=None), PHOTO)
    assert payload.method == "feed"
    assert payload.params["link"] == URL


def test_no_lead_is_just_the_title() -> None:
    assert render(article(lead=""), LINK).params["message"] == "Tom & Jerry «<b>»"


@pytest.mark.parametrize("channel", [LINK, PHOTO])
def test_huge_lead_is_shortened_to_the_limit(channel: FacebookChannel) -> None:
    payload = render(article(lead="слово " * 20000), channel)
    text = payload.params.get("caption") or payload.params["message"]
    assert payload.length == len(text) <= MESSAGE_LIMIT
    assert "слово…" in text
    if channel is PHOTO:
        assert text.endswith(URL)
