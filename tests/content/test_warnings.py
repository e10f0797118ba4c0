"""Editor warnings: each one fires on its case and stays quiet on near misses."""

from __future__ import annotations

import pytest

from bot.content.summary import summarise
from bot.content.warnings import article_warnings, mixed_script_words, summary_warnings
from bot.models import Article

IMAGE = "https://e.kz/i.jpg"


def codes(article: Article) -> list[str]:
    return [w.code for w in article_warnings(article)]


def article(**fields: object) -> Article:
    values: dict[str, object] = {
        "id": "a", "url": "https://e.kz/1", "title": "Заголовок", "lead": "Лид.", "image": IMAGE,
    }  # fmt: skip
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def test_a_clean_article_has_no_warnings() -> None:
    assert codes(article()) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("с заместителем gремьер-министра — министром", ["gремьер-министра"]),
        ("Министра связи Хаджимуратa Худайгулыевa.", ["Хаджимуратa", "Худайгулыевa"]),
        # Latin and Cyrillic in separate parts of a compound, or apart, are fine.
        ("IT-компания, PR-отдел, iPhone-ы и Wi-Fi в Алматы", []),
        ("TNS-Plus и «Туркментелеком», 5G-сети, COVID-19", []),
        ("Қазақстан and Kazakhstan", []),
    ],
)
def test_mixed_script_words(text: str, words: list[str]) -> None:
    assert mixed_script_words(text) == words


def test_mixed_script_is_found_in_the_body_and_named() -> None:
    [warning] = article_warnings(article(body="Абзац про gремьер-министра."))
    assert warning.code == "mixed_script"
    assert "gремьер-министра" in warning.message


def test_no_lead_no_image_and_a_long_title() -> None:
    assert codes(article(lead="  ", image=None, title="Т" * 201)) == [
        "no_lead",
        "no_image",
        "long_title",
    ]
    assert codes(article(title="Т" * 200)) == []


def test_summary_cut_below_two_sentences_warns_but_a_one_sentence_lead_does_not() -> None:
    lead = "Первое предложение довольно длинное. Второе тоже не короткое."
    cut = summarise(lead, "", "", 40)
    assert cut.sentences_used == 1
    assert [w.code for w in summary_warnings(cut, ())] == ["summary_cut"]
    whole = summarise("Одно предложение.", "", "", 40)
    assert summary_warnings(whole, ()) == []
    two_of_three = summarise(lead + " Третье.", "", "", 65)
    assert two_of_three.sentences_used == 2 and summary_warnings(two_of_three, ()) == []
    truncated = summarise("Одно очень длинное предложение без конца и края", "", "", 20,
                          allow_truncation=True)  # fmt: skip
    assert [w.code for w in summary_warnings(truncated, ())] == ["summary_cut"]
    assert "cut" in summary_warnings(truncated, ())[0].message


def test_dropped_parts_are_named() -> None:
    whole = summarise("Одно предложение.", "", "", 40)
    [warning] = summary_warnings(whole, ("summary", "hashtags"))
    assert warning.code == "parts_dropped"
    assert warning.message.endswith("lost: summary, hashtags")


@pytest.mark.parametrize(
    ("code", "detail", "shown"),
    [
        ("title_suffix_removed", "Yonhap News Agency", "taken off: Yonhap News Agency"),
        ("summary_from_body", "the page's description: a byline", "first paragraphs"),
        ("summary_cut", "the page's description was cut short", "cut its description short"),
        ("no_date", "the page states none", "no publication date was found"),
        ("tags_dropped", "NK (a wire code)", "left out of the hashtags: NK (a wire code)"),
    ],
)
def test_extraction_notes_become_warnings_that_name_what_to_check(
    code: str, detail: str, shown: str
) -> None:
    [warning] = article_warnings(article(notes=((code, detail),)))
    assert warning.code == code
    assert shown in warning.message and detail in warning.message
