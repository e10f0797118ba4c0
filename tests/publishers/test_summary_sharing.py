"""publishers.compose.summary_for answers from the summary the channels share, and must
answer exactly what bot.content.summary.summarise would (for every minimum of sentences,
budget, truncation and language), or a channel's post would change with the cache."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.summary import summarise
from publishers.compose import summary_for

SENTENCES = [
    "Короткий лид.",
    "Второе предложение подлиннее первого, с запятой и цифрами 3,5 млн.",
    "Т. е. сокращения не режут предложение.",
    "A sentence in English, with a question?",
    "Oui!",
    "Очень длинное предложение " + "слово " * 60 + "конец.",
    "没有空格的句子。",
    "",
]
leads = st.lists(st.sampled_from(SENTENCES), max_size=6).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(
    lead=leads,
    body=leads,
    title=st.sampled_from(["", "Короткий лид", "Заголовок", "A sentence in English"]),
    budget=st.integers(0, 900),
    lang=st.sampled_from([None, "ru", "en", "zh"]),
    min_sentences=st.integers(1, 4),
    allow_truncation=st.booleans(),
)
def test_summary_for_is_summarise(
    lead: str,
    body: str,
    title: str,
    budget: int,
    lang: str | None,
    min_sentences: int,
    allow_truncation: bool,
) -> None:
    options = {"lang": lang, "min_sentences": min_sentences, "allow_truncation": allow_truncation}
    assert summary_for(lead, body, title, budget, **options) == summarise(
        lead, body, title, budget, **options
    )
