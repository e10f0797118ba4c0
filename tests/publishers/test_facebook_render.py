"""Facebook rendering: plain text, entities decoded, link vs photo posts."""

from __future__ import annotations

import pytest

from bot.models import Article
from bot.platforms import Post
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
    assert payload.call.method == "feed"
    assert payload.call.params == {
        "message": 'Tom & Jerry «<b>»\n\nЛид "в кавычках".',
        "link": URL,
    }
    assert payload.length == len(payload.call.params["message"])
    assert payload.limit == MESSAGE_LIMIT == 63206
    assert Post.from_json(payload.to_json()) == payload


def test_photo_post_carries_the_link_in_the_caption() -> None:
    payload = render(article(), PHOTO)
    assert payload.call.method == "photos"
    assert payload.call.params == {
        "url": IMAGE,
        "caption": f'Tom & Jerry «<b>»\n\nЛид "в кавычках".\n\nЧитать далее: {URL}',
    }
    assert payload.length == len(payload.call.params["caption"])


def test_photo_channel_without_image_posts_a_link() -> None:
    payload = render(article(image=None), PHOTO)
    assert payload.call.method == "feed"
    assert payload.call.params["link"] == URL


def test_no_lead_is_just_the_title() -> None:
    assert render(article(lead=""), LINK).call.params["message"] == "Tom & Jerry «<b>»"


@pytest.mark.parametrize("channel", [LINK, PHOTO])
def test_huge_lead_is_shortened_to_the_limit(channel: FacebookChannel) -> None:
    payload = render(article(lead="слово " * 20000), channel)
    text = payload.call.params.get("caption") or payload.call.params["message"]
    assert payload.length == len(text) <= MESSAGE_LIMIT
    assert "слово…" in text
    if channel is PHOTO:
        assert text.endswith(URL)


def test_hashtags_utm_and_signature_in_a_link_post() -> None:
    channel = FacebookChannel(
        id="fb-main", kind="facebook", page_id="1", signature="— Profit.kz",
        utm={"utm_source": "facebook", "utm_campaign": "{channel}"},
    )  # fmt: skip
    payload = render(article(tags=("TNS-Plus", "ВОЛС", "вОЛС", "2025")), channel)
    assert payload.call.params["message"].endswith("\n\n#TNS_Plus #ВОЛС\n\n— Profit.kz")
    assert payload.call.params["link"] == f"{URL}&utm_source=facebook&utm_campaign=fb-main"


def test_summary_is_cut_at_a_sentence_to_summary_max() -> None:
    lead = "Первое предложение лида. Второе предложение лида. Третье, которое не влезет."
    payload = render(
        article(lead=lead), FacebookChannel(id="fb", kind="facebook", page_id="1", summary_max=55)
    )
    assert payload.call.params["message"].endswith(
        "\n\nПервое предложение лида. Второе предложение лида."
    )
    assert [w.code for w in payload.warnings] == []


def test_custom_template_is_plain_text_not_escaped() -> None:
    channel = FacebookChannel(
        id="fb", kind="facebook", page_id="1",
        template="{{ title | upper }} ({{ site_name or 'сайт' }})\n{{ summary }}",
    )  # fmt: skip
    payload = render(article(title="A & B <c>"), channel)
    assert payload.call.params["message"] == 'A & B <C> (сайт)\nЛид "в кавычках".'


def test_a_template_that_does_not_compile_is_refused_with_its_line() -> None:
    with pytest.raises(ValueError, match="does not compile at line 2"):
        FacebookChannel(id="fb", kind="facebook", page_id="1", template="{{ title }}\n{% if %}")
    with pytest.raises(ValueError, match=r"fails to render.*'titel' is undefined"):
        FacebookChannel(id="fb", kind="facebook", page_id="1", template="{{ titel }}")
