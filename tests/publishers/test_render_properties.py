"""Properties of the renderers over hostile articles, judged by the sandbox's port of
tdlib's parse_html (sandbox.tghtml), not by the product's own measure.

Inputs mix random text with fragments that break naive renderers: markup-looking
strings, HTML entities, astral characters, bidi and zero-width characters, combining
marks, a 5,000-character word, long Russian texts with abbreviations and decimals.
"""

from __future__ import annotations

import html
import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.sentences import detect_language, sentence_spans
from bot.content.summary import ELLIPSIS, normalise, remove_title
from bot.models import Article
from bot.platforms import Post
from publishers.compose import hashtag, hashtags, with_utm
from publishers.facebook import FacebookChannel
from publishers.facebook.render import render as render_facebook
from publishers.telegram import TelegramChannel
from publishers.telegram.html import measure
from publishers.telegram.render import render as render_telegram
from sandbox.tghtml import HtmlParseError, ParsedText, code_points, parse_html, utf16_len

TG = TelegramChannel(
    id="tg",
    kind="telegram",
    chat="@newsbot_test",
    hashtags=8,
    utm={"utm_source": "telegram", "utm_campaign": "{channel}"},
    signature="",
    summary_max=700,
    read_more="Читать далее",
    template=None,
)
FB_LINK = FacebookChannel(id="fb", kind="facebook", page_id="123", post_type="link")
FB_PHOTO = FacebookChannel(id="fb", kind="facebook", page_id="123", post_type="photo")
IMAGE = "https://example.com/img/1.jpg"
# The platforms' own figures, not the product's constants: a wrong constant must fail.
CAPTION_LIMIT, TEXT_LIMIT, MAX_ENTITIES = 1024, 4096, 100  # Bot API, in code points
FACEBOOK_LIMIT = 63206
# Characters tdlib's clean_input_string removes from a text (sandbox.tghtml._clean).
TDLIB_DROPS = frozenset("\r\u0333\u033f\u030a" + "".join(map(chr, range(0x2028, 0x202F))))

# --- strategies ---

HOSTILE = [
    "<",
    ">",
    "&",
    '"',
    "'",
    "<b>",
    "</b>",
    "</a>",
    '<a href="https://evil.example/">',
    "<i>",
    "<br>",
    "<tg-spoiler>",
    "&amp;",
    "&amp;amp;",
    "&amp;lt;b&amp;gt;",
    "&nbsp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&#39;",
    "&#x1F680;",
    "&#128640;",
    "&para",
    "&copy;",
    "\U0001f680",
    "\U0001d54f",
    "\U0001f1f0\U0001f1ff",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\u200f",
    "\u202e",
    "\u2028",
    "\u2029",
    "مرحبا بالعالم",
    "שלום",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u00ad",
    "e\u0301",
    "a\u030a",
    "x\u0333",
    "\u0301",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\n\n\n",
    "\t",
    "\r\n",
    "\u00a0",
    "\x00",
    "\x1f",
    "г.",
    "т.е.",
    "18,5%",
    ". ",
    "! ",
    "? ",
    "…",
    "«",
    "»",
    "—",
    "#",
    "_",
    "__",
    "2025",
    "TNS-Plus",
    "ВОЛС",
    "Казахстан",
]
SENTENCES = [
    "В 2020 г. компания выросла на 18,5%.",
    "Рынок, т.е. его крупнейшие игроки, ждёт роста.",
    "Стороны подписали меморандум 22 мая 2026 г. в Алматы.",
    "«Работа идёт. Мы готовы», — сказал Ж. Мадиев.",
    "Что дальше?",
    "Итак…",
    "Доля выросла до 18,5% за год!",
    "Проект «TNS-Plus» охватит 1,2 млн абонентов и т.д.",
    "Dr. Smith left the U.S. Army.",
    "Цена <b>упала</b> на 3,2% & больше.",
    "Очень длинное предложение без конца и края, которое тянется и тянется, "
    "перечисляя города, сёла, реки, горы, озёра и всё, что попадётся на пути.",
]

fragments = st.text(max_size=12) | st.sampled_from(HOSTILE) | st.sampled_from(SENTENCES)
hostile: st.SearchStrategy[str] = st.lists(fragments, max_size=25).map("".join)
blank: st.SearchStrategy[str] = st.sampled_from(
    ["", " ", "\n\n", "\u00a0\t", "\u200b\ufeff", "&nbsp;"]
)
giant_word: st.SearchStrategy[str] = st.sampled_from(["Ы", "w", "\U0001f680", "&", "<"]).map(
    lambda ch: ch * 5000
)
WORDS = ["в", "и", "на", "18,5%", "г.", "т.е.", "«цитата»", "—", ",", "(скобки)", "рынок,"]
WORDS += ["\U0001f680", "<b>", "&amp;", "e\u0301", "\u200b", "مرحبا", "Алматы", "x\u0333"]


# Long texts are built from a seed: drawn piece by piece, they would use up hypothesis'
# budget for one example and come out rarely, and never with an image after them.
def _many_sentences(seed: int, count: int) -> str:
    return " ".join(random.Random(seed).choices(SENTENCES + HOSTILE, k=count))


def _one_long_sentence(seed: int, count: int) -> str:
    return " ".join(random.Random(seed).choices(WORDS + HOSTILE, k=count))


def _long_sentences(seed: int, counts: list[int]) -> str:
    rng = random.Random(seed)
    return " ".join("Итак, " + " ".join(rng.choices(WORDS, k=count)) + "." for count in counts)


seeds = st.integers(min_value=0, max_value=2**32 - 1)
many_sentences: st.SearchStrategy[str] = st.builds(_many_sentences, seeds, st.integers(40, 400))
one_long_sentence: st.SearchStrategy[str] = st.builds(
    _one_long_sentence, seeds, st.integers(150, 600)
)
# A few sentences of 200-800 code points: two of them rarely fit a caption.
long_sentences: st.SearchStrategy[str] = st.builds(
    _long_sentences, seeds, st.lists(st.integers(40, 120), min_size=1, max_size=4)
)
text_fields: st.SearchStrategy[str] = st.one_of(
    hostile, blank, giant_word, many_sentences, one_long_sentence, long_sentences
)
# Mostly ordinary-sized titles: a giant one leaves no room for the summary.
titles: st.SearchStrategy[str] = st.integers(0, 9).flatmap(
    lambda k: giant_word if k == 9 else blank if k == 8 else hostile | st.sampled_from(SENTENCES)
)
tags: st.SearchStrategy[tuple[str, ...]] = st.lists(
    st.lists(fragments, max_size=4).map("".join), max_size=50
).map(tuple)
urls: st.SearchStrategy[str] = st.sampled_from(
    [
        "https://example.com/news/1/",
        "https://profit.kz/news/1/?a=1&b=2",
        "https://example.com/news/?q=%22x%22&lang=ru#top",
        "https://example.com/новости/1",
    ]
)


@st.composite
def articles(draw: st.DrawFn) -> Article:
    # The small choices first: a long lead may use up hypothesis' budget, and what is
    # drawn after it would then always be the simplest value (no image, no tags).
    url, image, tag_values = draw(urls), draw(st.one_of(st.none(), st.just(IMAGE))), draw(tags)
    return Article(
        id="a1",
        url=url,
        title=draw(titles),
        lead=draw(text_fields),
        body=draw(st.one_of(st.just(""), text_fields)),
        image=image,
        tags=tag_values,
    )


PROPERTY = settings(max_examples=150, deadline=None)

# --- helpers ---

# The default template: "<b>{{ title }}</b>\n\n{{ summary }}\n\n<a href=...".
_POST = re.compile(r"<b>(?P<title>.*?)</b>\n\n(?P<summary>.*?)(?:\n\n)?<a href=\"", re.S)


def telegram_text(payload: Post) -> str:
    key = "caption" if payload.call.method == "sendPhoto" else "text"
    text = payload.call.params[key]
    assert isinstance(text, str)
    return text


def parse(text: str) -> ParsedText:
    try:
        return parse_html(text)
    except HtmlParseError as exc:  # pragma: no cover - the failure is the finding
        raise AssertionError(f"Telegram refuses the post: {exc.description}\n{text!r}") from None


def summary_source(article: Article) -> str:
    """What `summarise` cuts a summary from: the lead without the title, else the body."""
    title = normalise(article.title)
    return remove_title(normalise(article.lead), title) or remove_title(
        normalise(article.body), title
    )


# --- 1. Telegram: what the Bot API would accept and show ---


@PROPERTY
@given(articles())
def test_telegram_post_is_accepted_and_fits(article: Article) -> None:
    payload = render_telegram(article, TG)
    text = telegram_text(payload)
    parsed = parse(text)
    shown = code_points(parsed.text)

    if payload.call.method == "sendPhoto":
        assert article.image, "a photo post without an image"
        assert payload.call.params["photo"] == article.image
        assert payload.limit == CAPTION_LIMIT
    else:
        assert payload.call.method == "sendMessage"
        assert payload.limit == TEXT_LIMIT
        preview = payload.call.params["link_preview_options"]
        assert preview["url"] == (article.image or with_utm(article.url, TG.utm, TG.id))
    assert payload.call.params["parse_mode"] == "HTML"
    assert payload.call.params["chat_id"] == TG.chat

    assert parsed.text.strip(), "the post shows nothing"
    assert 0 < shown <= payload.length <= payload.limit
    assert payload.length == measure(text).length
    # The product may count more than Telegram shows only by what tdlib drops: a few
    # combining marks and bidi controls, and the blank line an empty title leaves.
    dropped = sum(ch in TDLIB_DROPS for ch in text) + 2 * text.startswith("<b></b>")
    assert payload.length <= shown + dropped, (payload.length, shown, dropped)
    assert len(parsed.entities) <= MAX_ENTITIES

    link = with_utm(article.url, TG.utm, TG.id)
    assert link.startswith(article.url.split("#")[0])  # the page's own query stays first
    links = [e for e in parsed.entities if e["type"] == "text_link"]
    assert [e["url"] for e in links] == [link], parsed.entities
    (entity,) = links
    start, end = entity["offset"], entity["offset"] + entity["length"]
    units = parsed.text.encode("utf-16-le")
    assert units[2 * start : 2 * end].decode("utf-16-le") == TG.read_more
    assert utf16_len(parsed.text) >= end


# --- 2. Telegram: the summary is whole sentences, or one cut at a word with "…" ---
# (and a caption's summary is at least two whole sentences, or all there are)


def check_summary(article: Article, payload: Post) -> None:
    match = _POST.match(telegram_text(payload))
    assert match, telegram_text(payload)
    summary = html.unescape(match["summary"])  # Jinja's escape, undone exactly
    assert len(summary) <= TG.summary_max
    source = summary_source(article)
    spans = sentence_spans(source, detect_language(source))
    ends = [end for _, end in spans]
    whole = source.startswith(summary) and (not summary or len(summary) in ends)
    enough = whole and sum(end <= len(summary) for end in ends) >= min(2, len(ends))
    if payload.call.method == "sendPhoto":  # a caption keeps two whole sentences (or all)
        assert enough, (summary, source[: len(summary) + 20])
    elif article.image:  # the same text would have made a caption
        assert not enough or payload.length > CAPTION_LIMIT, "a caption would have fit"
    if not summary or whole:
        return
    assert summary.endswith(ELLIPSIS), (summary, source[: len(summary) + 20])
    head = summary.removesuffix(ELLIPSIS)
    assert head and not head[-1].isspace(), summary
    assert source.startswith(head), (head, source[: len(head) + 20])
    assert len(head) < spans[0][1], "only the first sentence is ever cut"
    assert not source[len(head)].isalnum(), f"cut inside a word: {source[: len(head) + 20]!r}"


@PROPERTY
@given(articles())
def test_telegram_summary_never_ends_mid_word(article: Article) -> None:
    check_summary(article, render_telegram(article, TG))


@PROPERTY
@given(titles, st.one_of(long_sentences, many_sentences, hostile))
def test_telegram_caption_keeps_two_sentences(title: str, lead: str) -> None:
    article = Article(id="a1", url="https://example.com/1/", title=title, lead=lead, image=IMAGE)
    check_summary(article, render_telegram(article, TG))


# --- 3. Facebook: plain text, decoded once and for all, within the limit ---


@PROPERTY
@given(articles(), st.sampled_from([FB_LINK, FB_PHOTO]))
def test_facebook_post_is_plain_text_within_the_limit(
    article: Article, channel: FacebookChannel
) -> None:
    photo = channel.post_type == "photo" and bool(article.image)
    title = " ".join(normalise(article.title).split())
    payload = render_facebook(article, channel)
    link = with_utm(article.url, channel.utm, channel.id)
    if photo:
        assert payload.call.method == "photos"
        assert payload.call.params["url"] == article.image
        text = payload.call.params["caption"]
        assert link in text
    else:
        assert payload.call.method == "feed"
        text = payload.call.params["message"]
        assert payload.call.params["link"].startswith(article.url)
    assert isinstance(text, str)
    if not text.strip():
        # A link post carries its link outside the text, so one with no title, no
        # hashtag and no summary that fits goes out without a message; nothing else.
        assert not photo and not title and not hashtags(article.tags, channel.hashtags)
    assert len(text) == payload.length <= payload.limit == FACEBOOK_LIMIT

    assert text.startswith(title), (title[:80], text[:80])
    # Nothing of ours is escaped or left to decode: entities in the input are decoded
    # (repeatedly: "&amp;lt;" is "<"), and "<b>" stays "<b>".
    ours = text.replace(link, "")
    assert html.unescape(ours) == ours, ours[:200]


# --- 4. Hashtags: linkable by Telegram, one topic each ---


@settings(max_examples=500, deadline=None)
@given(st.one_of(hostile, st.lists(fragments, max_size=4).map("".join), st.text()))
def test_hashtag_is_one_clean_word(tag: str) -> None:
    made = hashtag(tag)
    if made is None:
        return
    assert made.startswith("#")
    body = made[1:]
    assert body, made
    assert all(ch.isalnum() or ch == "_" for ch in body), made
    assert "__" not in body and not body.startswith("_") and not body.endswith("_"), made
    assert any(ch.isalpha() for ch in body), made


@settings(max_examples=200, deadline=None)
@given(tags, st.integers(min_value=0, max_value=30))
def test_hashtags_are_distinct_and_bounded(values: tuple[str, ...], limit: int) -> None:
    made = hashtags(values, limit)
    assert len(made) <= limit
    assert len({tag.casefold() for tag in made}) == len(made)
    assert all(hashtag(tag) == tag for tag in made)


# --- 5. Determinism: the stored payload is the one sent ---


def rendered(article: Article, which: str) -> Post:
    if which == "tg":
        return render_telegram(article, TG)
    return render_facebook(article, FB_LINK if which == "fb_link" else FB_PHOTO)


@PROPERTY
@given(articles(), st.sampled_from(["tg", "fb_link", "fb_photo"]))
def test_rendering_is_deterministic_and_survives_storage(article: Article, which: str) -> None:
    first = rendered(article, which)
    assert rendered(article, which) == first
    assert Post.from_json(first.to_json()) == first
    assert Post.from_json(first.to_json().encode()) == first
