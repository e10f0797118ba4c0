"""Summaries: normalisation, budgets in code points, sentence boundaries, the title
left out, the body when there is no lead, and properties over any text and budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.sentences import sentence_spans
from bot.content.summary import Summary, normalise, remove_title, summarise, truncate

FIXTURES = Path(__file__).parent.parent / "fixtures"

FIRST = "Стороны подписали меморандум 22 мая 2026 г. в Алматы."
SECOND = "«Работа продолжается. Мы готовы», — сказал Ж. Мадиев."
THIRD = "До 18,5% доведут долю e-commerce."
LEAD = f"{FIRST} {SECOND} {THIRD}"


def profit_kz() -> tuple[str, str, str]:
    """(title, lead, body) of the first publisher's article, as the extractor gives them."""
    page = (FIXTURES / "profit-kz-article.html").read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", page, re.S)
    lead = re.search(r'<div class="lead">(.*?)</div>', page, re.S)
    assert title and lead
    body = "\n\n".join(re.findall(r"<p>(.*?)</p>", page, re.S))
    return title.group(1), lead.group(1), body


# --- normalise ---


def test_normalise_decodes_entities_once_and_double_encoded() -> None:
    assert normalise("AT&amp;T &laquo;Казпочта&raquo; &#8470;&nbsp;5") == "AT&T «Казпочта» № 5"
    assert normalise("&amp;quot;TNS-Plus&amp;quot;") == '"TNS-Plus"'


def test_normalise_collapses_odd_spaces_and_removes_invisible_characters() -> None:
    text = "\ufeff 18,5\u00a0%\u202fдоли\u2009и\t\u200bрост\u00ad  \u2060 тенге \u200e"
    assert normalise(text) == "18,5 % доли и рост тенге"


def test_normalise_keeps_paragraphs_and_line_breaks_but_no_runs() -> None:
    text = "  Первый \r\n абзац.\r\n\r\n\r\n\n  Второй\u2029Третий  \n\n\n"
    assert normalise(text) == "Первый\nабзац.\n\nВторой\n\nТретий"


def test_normalise_keeps_emoji_sequences_whole() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert normalise(f"Семья {family} и флаг 🇰🇿") == f"Семья {family} и флаг 🇰🇿"


# --- summarise: budgets and sentences ---


def test_whole_lead_when_it_fits() -> None:
    summary = summarise(LEAD, "", "", 1024)
    assert summary == Summary(LEAD, 3, 3, cut=False, fits=True)


def test_budget_exactly_one_sentence() -> None:
    assert summarise(LEAD, "", "", len(FIRST)).text == FIRST
    cut = summarise(LEAD, "", "", len(FIRST) + 1 + len(SECOND) - 1)
    assert (cut.text, cut.sentences_used, cut.cut) == (FIRST, 1, True)


def test_nothing_fits_is_empty_and_not_fitting() -> None:
    summary = summarise(LEAD, "", "", len(FIRST) - 1)
    assert summary == Summary("", 0, 3, cut=True, fits=False)


def test_budget_counts_code_points_with_emoji() -> None:
    first = "Запуск 🚀 прошёл, флаг 🇰🇿 поднят \U0001f468\u200d\U0001f469\u200d\U0001f467."
    lead = f"{first} Второе предложение."
    summary = summarise(lead, "", "", len(first))
    assert summary.text == first
    assert len(first.encode("utf-16-le")) // 2 > len(first)  # not UTF-16 units
    assert summarise(lead, "", "", len(first) - 1).text == ""


def test_abbreviation_and_date_are_not_sentence_ends() -> None:
    # "22 мая 2026 г." would fit 45 code points; a cut there would end mid-sentence.
    assert summarise(LEAD, "", "", 45) == Summary("", 0, 3, cut=True, fits=False)


def test_quoted_speech_is_never_cut_inside() -> None:
    room = len(FIRST) + 1 + len("«Работа продолжается.")
    assert summarise(LEAD, "", "", room).text == FIRST


def test_min_sentences() -> None:
    assert summarise(LEAD, "", "", len(FIRST), min_sentences=2).fits is False
    assert summarise(LEAD, "", "", 1024, min_sentences=5).text == LEAD
    assert summarise(FIRST, "", "", 1024, min_sentences=2).text == FIRST


def test_nothing_to_summarise() -> None:
    assert summarise("", " \n ", "Заголовок", 100) == Summary("", 0, 0, cut=False, fits=True)


@pytest.mark.parametrize(("budget", "min_sentences"), [(-1, 1), (100, 0)])
def test_bad_arguments_are_refused(budget: int, min_sentences: int) -> None:
    with pytest.raises(ValueError, match="budget"):
        summarise(LEAD, "", "", budget, min_sentences=min_sentences)


def test_entities_and_whitespace_in_the_lead_are_normalised() -> None:
    lead = "  ТОО &laquo;TNS-Plus&raquo;\u00a0построит\n линию.&nbsp; Срок —&#160;12 мес.  "
    assert summarise(lead, "", "", 1024).text == "ТОО «TNS-Plus» построит\nлинию. Срок — 12 мес."


# --- the title ---

TITLE = "Казахстан и Туркменистан подписали меморандум"


@pytest.mark.parametrize(
    "lead",
    [
        f"{TITLE}. {FIRST}",
        f"{TITLE}\n{FIRST}",
        f"{TITLE}\n\n{FIRST}",
        f"{TITLE.upper()}: {FIRST}",
        f"«{TITLE}» — {FIRST}",
        f"{TITLE.replace(' и ', ', ')}! {FIRST}",
    ],
    ids=["period", "line", "paragraph", "upper-colon", "quoted-dash", "punctuation"],
)
def test_leading_title_is_removed(lead: str) -> None:
    assert summarise(lead, "", TITLE, 1024).text == FIRST


def test_near_repeat_of_the_title_is_removed() -> None:
    near = "Казахстан и Туркменистан подписали новый меморандум."
    assert summarise(f"{near} {FIRST}", "", TITLE, 1024).text == FIRST
    assert summarise(f"{TITLE} | Profit.kz. {FIRST}", "", f"{TITLE} | Profit.kz", 1024).text == (
        FIRST
    )


def test_title_that_starts_the_leads_sentence_stays() -> None:
    for lead in (f"{TITLE} о связи, сообщает пресс-служба.", f"{TITLE} — он вступит в силу."):
        assert summarise(lead, "", TITLE, 1024).text == lead
    assert remove_title("Казахстанские операторы растут.", "Казахстан") == (
        "Казахстанские операторы растут."
    )


def test_lead_that_only_repeats_the_title_gives_way_to_the_body() -> None:
    summary = summarise(f"{TITLE}.", f"{TITLE}\n\n{LEAD}", TITLE, 1024)
    assert summary.text == LEAD


# --- the body when there is no lead ---


def test_empty_lead_takes_the_first_paragraphs_of_the_body() -> None:
    body = f"{FIRST} {SECOND}\n\n{THIRD}\n\nЕщё один абзац, который не поместится."
    summary = summarise("", body, "", len(FIRST) + len(SECOND) + len(THIRD) + 3)
    assert summary.text == f"{FIRST} {SECOND}\n\n{THIRD}"
    assert (summary.sentences_used, summary.sentences_available, summary.cut) == (3, 4, True)


# --- the first publisher's article ---


def test_profit_kz_lead() -> None:
    title, lead, body = profit_kz()
    expected = (
        "Особое внимание страны уделяют проекту по организации международного стыка "
        "телекоммуникационных сетей РК и Туркменистана."
    )
    assert summarise(lead, body, title, 1024) == Summary(expected, 1, 1, cut=False, fits=True)
    assert summarise(f"{title}. {lead}", body, title, 1024).text == expected
    assert summarise(lead, body, title, len(expected) - 1).fits is False


def test_profit_kz_without_lead_uses_the_body() -> None:
    title, _, body = profit_kz()
    summary = summarise("", body, title, 900)
    assert summary.text.startswith("В рамках официального визита Президента Туркменистана")
    assert summary.text.endswith("под эгидой ЭСКАТО.")
    assert (summary.sentences_used, summary.cut, summary.fits) == (2, True, True)
    assert "22 мая 2026 г." not in summary.text


# --- truncation, only when asked for ---


def test_giant_sentence_is_truncated_only_when_allowed() -> None:
    _, _, body = profit_kz()
    assert summarise("", body, "", 200).fits is False
    summary = summarise("", body, "", 200, allow_truncation=True)
    assert summary.truncated_sentence and summary.fits and summary.cut
    assert summary.text.endswith("…") and len(summary.text) <= 200
    assert normalise(body).startswith(summary.text[:-1])
    assert summary.text[-2] not in " ,—" and not summary.text.endswith(" в…")


def test_truncate_drops_dangling_words_and_punctuation() -> None:
    sentence = "Проект предусматривает строительство линии, в рамках проекта «TNS-Plus» и др."
    assert truncate(sentence, 47) == "Проект предусматривает строительство линии…"
    assert truncate(sentence, 48) == "Проект предусматривает строительство линии…"
    assert truncate("Сверхдлинноесловобезпробелов и хвост.", 10) == ""
    assert truncate(sentence, len(sentence)) == sentence


# --- properties over any text and budget ---

_PIECES = st.sampled_from(
    [
        *'аБвЖәAbz09 .,!?…«»"()—\n',
        "г. ",
        "т.е. ",
        "А. С. ",
        "18,5% ",
        "&amp;",
        "&nbsp;",
        "\u00a0",
        "\u200b",
        "🚀",
        "🇰🇿",
        "...",
        "\n\n",
        " Он ",
        ". В ",
    ]
)
_SENTENCES = st.sampled_from(
    [
        "Он пришёл. ",
        "Рост составил 18,5%. ",
        "Стороны подписали меморандум 22 мая 2026 г. в Алматы. ",
        "«Работа идёт. Мы готовы», — сказал Ж. Мадиев. ",
        "Что дальше? ",
        "Итак… ",
        "Dr. Smith left the U.S. Army. ",
        "Жоба 2026 ж. басталады! ",
        "Очень длинное предложение без конца и края, которое тянется и тянется ",
    ]
)
_TEXT = st.lists(_SENTENCES | _PIECES | st.characters(), max_size=40).map("".join)
_BUDGET = st.integers(min_value=0, max_value=120)


def _check_whole_sentences(summary: Summary, source: str, budget: int) -> None:
    spans = sentence_spans(source)
    assert summary.sentences_available == len(spans)
    assert len(summary.text) <= budget or not summary.fits
    if not summary.text:
        assert summary.fits == (not spans)
        return
    used = summary.sentences_used
    assert summary.text == source[: spans[used - 1][1]]
    assert len(summary.text) <= budget
    end = len(summary.text)
    assert end == len(source) or source[end].isspace()  # never inside a word
    assert summary.cut == (used < len(spans))
    assert used == len(spans) or spans[used][1] > budget  # as many as fit


@settings(max_examples=300)
@given(_TEXT, _BUDGET)
def test_lead_summary_is_a_prefix_of_whole_sentences(lead: str, budget: int) -> None:
    _check_whole_sentences(summarise(lead, "", "", budget), normalise(lead), budget)


@settings(max_examples=300)
@given(_TEXT, _BUDGET)
def test_body_summary_is_a_prefix_of_whole_sentences(body: str, budget: int) -> None:
    _check_whole_sentences(summarise("", body, "", budget), normalise(body), budget)


@settings(max_examples=300)
@given(_TEXT, _TEXT, _BUDGET)
def test_summary_without_the_title_is_a_prefix_of_whole_sentences(
    title: str, lead: str, budget: int
) -> None:
    source = remove_title(normalise(lead), normalise(title))
    if source:
        _check_whole_sentences(summarise(lead, "", title, budget), source, budget)


@settings(max_examples=300)
@given(_TEXT, _BUDGET)
def test_truncated_summary_stays_within_budget_at_a_word_boundary(lead: str, budget: int) -> None:
    summary = summarise(lead, "", "", budget, allow_truncation=True)
    source = normalise(lead)
    assert len(summary.text) <= budget
    if summary.truncated_sentence:
        head = summary.text.removesuffix("…")
        assert summary.text.endswith("…") and head and source.startswith(head)
        assert source[len(head)].isspace() or not source[len(head)].isalnum()
    elif summary.text:
        _check_whole_sentences(summary, source, budget)


@given(_TEXT)
def test_normalise_is_idempotent_and_tidy(text: str) -> None:
    clean = normalise(text)
    assert normalise(clean) == clean
    assert clean == clean.strip()
    assert "  " not in clean and "\n\n\n" not in clean and "\u00a0" not in clean
    assert "\u200b" not in clean and "\r" not in clean
