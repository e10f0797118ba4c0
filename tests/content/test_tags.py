# ruff: noqa: E501  (keyword lists are data)
"""Topic tags: the page's real topics become hashtags; ids, CMS metadata, wire codes,
site names and keyword lists that are no topics never do."""

from __future__ import annotations

import pytest

from bot.content.tags import TagContext, Topics, split_keywords, topic_tags, why_not_topic

CONTEXT = TagContext(
    title="'Parasite' scores historic upset at SAG awards, boosting Oscar chances",
    text="LOS ANGELES (Reuters) - South Korean thriller “Parasite” was the upset winner at "
    "the SAG awards on Sunday. Joaquin Phoenix and Renee Zellweger won. NASA was not there.",
    sites=("U.S.", "reuters", "Süddeutsche.de", "SZ.de", "psl"),
    sections=("Local",),
)


@pytest.mark.parametrize(
    ("tag", "why"),
    [
        ("98be933f_38cf_4a1b", "an id"),
        ("5050", "an id"),
        ("NLP_Category_General", "CMS metadata"),
        ("Page_Type_Article", "CMS metadata"),
        ("Day_Wednesday", "CMS metadata"),
        ("digital_syndication", "CMS metadata"),
        ("textaboveleftsmall", "CMS metadata"),
        ("Textart: Heftarchiv", "CMS metadata"),
        ("Online Services (NEC) (TRBC level 5)", "CMS metadata"),
        ("AWARDS", "a wire code"),
        ("MTVID", "a wire code"),
        ("Company News", "a generic word"),
        ("Video Available", "a generic word"),
        ("US", "the site's name"),
        ("Süddeutsche Zeitung", "the site's name"),
        ("SZ", "the site's name"),
        ("Paris Sciences & Lettres", "the site's name"),
        ("Local", "the site's section"),
        ("'Parasite' scores historic upset at SAG awards, boosting Oscar chances", "the title"),
        ("All-new 2020 Sentra is what we really want from Nissan PH", "a sentence"),
        ("tunis attack tunisia attack", "glued items"),
        ("澎湃新闻", "a news outlet"),
    ],
)
def test_what_is_no_topic_is_named(tag: str, why: str) -> None:
    assert why_not_topic(tag, CONTEXT) == why


@pytest.mark.parametrize(
    "tag",
    ["SAG", "NASA", "South Korea", "Arts / Culture / Entertainment", "Awards / Awards Shows",
     "кибербезопасность", "ВОЛС", "TNS-Plus", "Für Maß und Mitte", "小花", "israel-hamas war"],
)  # fmt: skip
def test_topics_stay(tag: str) -> None:
    assert why_not_topic(tag, CONTEXT) is None


def test_the_first_source_with_topics_wins_and_what_went_is_noted() -> None:
    # Regression: hashtags #US #AWARDS #Company_News from the wire's keyword slug.
    found = topic_tags(
        [
            ("tags", ["US,AWARDS,SAG,Film,Company News,South Korea"]),
            ("keywords", ["Reuters, news"]),
        ],
        CONTEXT,
    )
    assert found.tags == ("SAG", "Film", "South Korea")
    assert found.note() == (
        "tags_dropped",
        "US, AWARDS, Company News (the site's name, a wire code, a generic word)",
    )


def test_a_site_wide_keyword_list_is_dropped_whole() -> None:
    # Regression: #actualités #news, #뉴스 #기사 #속보…, #culture #lgbtq #sex… on every page.
    for keywords in ("actualités, news", "뉴스, 기사, 속보, 정치, 경제, news, donga.com",
                     "culture, news, lgbtq, politics, sex, amazon, brazil"):  # fmt: skip
        assert topic_tags([("keywords", [keywords])], CONTEXT).tags == ()
    vice = topic_tags(
        [("keywords", ["amazon,brazil,deforestation,Wildfire"]),
         ("keywords", ["culture, news, lgbtq, politics, amazon"])],
        CONTEXT,
    )  # fmt: skip
    assert vice.tags == ("amazon", "brazil", "deforestation", "Wildfire")


def test_keywords_that_are_the_text_split_into_words_are_dropped() -> None:
    # Regression: #lista #espera #agravar (El País), #Izaskun #Lesaka (El Mundo),
    # #президент #России #Владимир #Путин #встретился.
    cases = [
        ("Las listas de espera se agravan. Los recortes elevan la demora para operarse",
         "lista, espera, agravar, recorte, elevar, demora, operar"),
        ("Detenida en Francia Izaskun Lesaka pasó a la cúpula", "Detenida, Francia, Izaskun, Lesaka, España"),
        ("Президент России Владимир Путин встретился с премьером",
         "президент, России, Владимир, Путин, встретился"),
    ]  # fmt: skip
    for text, keywords in cases:
        context = TagContext(title="", lead_text=text)
        assert topic_tags([("keywords", [keywords])], context).tags == ()


def test_keywords_in_a_script_without_spaces_are_split_at_spaces() -> None:
    # Regression: one hashtag #小花_小刚_纸片_眼睛_澎湃新闻_… of a space-separated list.
    assert split_keywords("小花 小刚 纸片 眼睛 澎湃新闻") == [
        "小花",
        "小刚",
        "纸片",
        "眼睛",
        "澎湃新闻",
    ]
    assert split_keywords("Bahn und Bus, Deutsche Bahn") == ["Bahn und Bus", " Deutsche Bahn"]
    assert split_keywords("editor&#39;s picks, money") == ["editor's picks", " money"]
    found = topic_tags([("keywords", ["小花 小刚 纸片 澎湃新闻"])], TagContext())
    assert found.tags == ("小花", "小刚", "纸片")


def test_an_seo_dump_of_keywords_is_dropped() -> None:
    keywords = ", ".join(f"phrase number {n}" for n in range(30))
    found = topic_tags([("keywords", [keywords])], CONTEXT)
    assert found.tags == ()
    assert "an SEO keyword dump" in (found.note() or ("", ""))[1]


def test_tag_links_count_only_when_the_text_names_them() -> None:
    found = topic_tags([("links", ["Parasite", "Deadpool", "kickstarter"])], CONTEXT)
    assert found.tags == ("Parasite",)


def test_no_drop_no_note() -> None:
    assert Topics(("a",)).note() is None
