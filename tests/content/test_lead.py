# ruff: noqa: E501  (leads are data: real sentences are longer than a line)
"""The lead: the publisher's description when it is one, cleaned, completed where the
site cut it; else the body's first real paragraphs, with a note for the editors."""

from __future__ import annotations

import pytest

from bot.content.lead import Lead, choose_lead, chrome_reason, clean_candidate, is_real_paragraph

TITLE = "New Year, new laws: Obamacare, pot, guns and drones"
BODY = [
    "CNN",
    "WASHINGTON (CNN) — Not everyone subscribes to a New Year’s resolution, but Americans will be required to follow new laws in 2014.",
    "Some 40,000 measures taking effect range from sweeping, national mandates under Obamacare to marijuana legalization in Colorado, drone prohibition in Illinois and transgender protections in California.",
    "Although many new laws are controversial, they made it through legislatures, public referendum or city councils and represent the shifting composition of American beliefs.",
]


def lead_of(*candidates: str, body: list[str] = BODY, title: str = TITLE) -> Lead:
    return choose_lead(list(candidates), body, title=title, sites=["FOX 13 News Utah (KSTU)"])


def test_a_whole_description_is_the_lead() -> None:
    description = "Americans will be required to follow some 40,000 new laws in 2014."
    assert lead_of(description) == Lead(description)


def test_a_byline_before_the_dateline_goes_and_the_cut_description_is_completed() -> None:
    # Regression: the post began "By Leigh Ann Caldwell CNN WASHINGTON (CNN) —" and
    # ended mid-word ("drone prohibiti"), as the site had cut its description.
    description = (
        "By Leigh Ann Caldwell CNN WASHINGTON (CNN) — Not everyone subscribes to a New Year’s "
        "resolution, but Americans will be required to follow new laws in 2014. Some 40,000 "
        "measures taking effect range from sweeping, national mandates under Obamacare to "
        "marijuana legalization in Colorado, drone prohibiti"
    )
    lead = lead_of(description)
    assert lead.text == " ".join(BODY[1:3])
    assert lead.notes == []


def test_a_description_cut_with_an_ellipsis_is_completed_from_the_body() -> None:
    lead = lead_of(
        "Some 40,000 measures taking effect range from sweeping, national mandates under Oba..."
    )
    assert lead.text == BODY[2]


def test_an_abridged_description_cut_mid_word_becomes_the_bodys_sentence() -> None:
    # Regression (BBC Burmese): og:description was the first paragraph with words left
    # out and cut mid-word, without an ellipsis; the post ended "…အတည်ပြုပြော".
    body = [
        "နိုင်ငံတော်အကြည်ညိုပျက်စေမှု ပုဒ်မ ၅၀၅ (ခ) နဲ့ တရားစွဲ အဖမ်းခံထားရတဲ့ သတင်းထောက်ချုပ်တို့ကို တာမွေမြို့နယ်တရားရုံးက သတင်းသမားတစ်ယောက်စီကို ငွေကျပ်သိန်း ၁၀၀ နဲ့ အာမခံပေးလိုက်ပြီလို့ ရှေ့နေ ဦးကြီးမြင့် က အတည်ပြုပြောပါတယ်။",
        "ဒီအမှုကို သတင်းမီဒီယာကောင်စီကို တိုင်ကြားဖို့ ညွှန်ကြားထားတာလည်း ဖြစ်ပါတယ်။",
    ]
    cut = "သတင်းသမားတစ်ယောက်စီကို ငွေကျပ်သိန်း ၁၀၀ နဲ့ တာမွေမြို့နယ်တရားရုံးက အာမခံပေးလိုက်ပြီလို့ ရှေ့နေ ဦးကြီးမြင့် က အတည်ပြုပြော"
    assert lead_of(cut, body=body, title="အာမခံရ").text == body[0]


def test_a_cut_description_not_in_the_body_is_cut_back_to_whole_sentences() -> None:
    description = (
        "Der Mobilfunkanbieter Freenet wagt sich ins TV-Geschäft. Dadurch sollen Privatkunden "
        "Sendungen in HD-Qualität empfangen. Freenet-Chef Christoph Vilanek will mit einem "
        "Angebot auf den Markt kommen, da"
    )
    lead = lead_of(description)
    assert lead.text == (
        "Der Mobilfunkanbieter Freenet wagt sich ins TV-Geschäft. Dadurch sollen Privatkunden "
        "Sendungen in HD-Qualität empfangen."
    )


def test_a_description_only_missing_its_period_is_not_replaced() -> None:
    description = "Some 40,000 measures taking effect range from sweeping, national mandates under Obamacare to marijuana legalization in Colorado, drone prohibition in Illinois and transgender protections in California"
    assert lead_of(description).text == description


def test_when_nothing_whole_remains_the_next_source_is_the_body() -> None:
    lead = lead_of("Americans must follow laws that the...")
    assert lead.text == "\n\n".join(BODY[1:3])  # the first real paragraphs, past "CNN"
    assert lead.from_body
    assert lead.notes == [("summary_from_body", "the page's description: cut short by the site")]


def test_a_cut_description_without_any_body_stays_cut_with_a_note() -> None:
    lead = lead_of("Americans must follow laws that the...", body=[])
    assert lead.text == "Americans must follow laws that the..."
    assert lead.notes == [("summary_cut", "the page's description was cut short")]


@pytest.mark.parametrize(
    ("description", "reason"),
    [
        (
            "Von Gregory Lipinski Herr Vilanek, in Deutschland gibt es sieben Millionen TV-Haushalte.",
            "boilerplate",
        ),
        (
            "原标题：视界丨这个中国人习以为常的地方为何老外却说“了不得”？“你们将开始明白为什么我这么喜欢中国",
            "boilerplate",
        ),
        (
            "相关新闻：直播2019年苹果发布会(英文原声+中文字幕)苹果2019年秋季新品发布会",
            "boilerplate",
        ),
        (
            "有料会員の方のみご利用になれます。保存した記事はスマホやタブレットでもご覧いただけます。",
            "boilerplate",
        ),
        (
            "Detenida en Francia Izaskun Lesaka Izaskun Lesaka pasó a la cúpula tras la detención de Ata.",
            "glued subtitles",
        ),
        (
            '{{nrco.contentDetailController.content.status === "published" ? "Contenu publié" : ""}}',
            "template code",
        ),
        ("https://www.example.com/news/1", "a URL"),
        ("Leigh Ann Caldwell", "a name"),
        ("Updated", "too short"),
        ("New Year, new laws: Obamacare, pot, guns and drones", "the title again"),
        ("FOX 13 News Utah (KSTU)", "the site's name"),
    ],
)
def test_chrome_is_never_a_lead(description: str, reason: str) -> None:
    assert (
        chrome_reason(clean_candidate(description), title=TITLE, sites=["FOX 13 News Utah (KSTU)"])
        == reason
    )


def test_the_articles_closing_line_is_no_lead() -> None:
    # Regression: the post's summary was the article's last line ("The lesson, as always:
    # You are what you search."), which the site used as its description.
    body = [*BODY, "The lesson, as always: You are what you search.", "-- By Michael Russell"]
    lead = lead_of("The lesson, as always: You are what you search.", body=body)
    assert lead.text.startswith(BODY[1])
    assert lead.notes == [
        ("summary_from_body", "the page's description: the article's closing line")
    ]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "Université |   \n\tLe décret n°2019-1130 validant les nouveaux statuts vient d’être publié.",
            "Le décret n°2019-1130 validant les nouveaux statuts vient d’être publié.",
        ),
        (
            "<p>Antonin Bernanos, antifasciste parisien, est en prison.</p>",
            "Antonin Bernanos, antifasciste parisien, est en prison.",
        ),
        (
            "Israel struck targets in the south overnight, officials said. | Lebanon News",
            "Israel struck targets in the south overnight, officials said.",
        ),
        (
            "Die Regierung einigt sich auf das Paket. Weiter lesen",
            "Die Regierung einigt sich auf das Paket.",
        ),
        (
            "What’s the secret to its recovery?Monday, 6 January 2020",
            "What’s the secret to its recovery?",
        ),
        (
            "Frankfurt/Main (dpa) -&nbsp;F&uuml;r einen Roman",
            "Frankfurt/Main (dpa) - Für einen Roman",
        ),
    ],
)
def test_labels_markup_site_names_teasers_and_dates_are_cleaned_off(raw: str, clean: str) -> None:
    assert clean_candidate(raw) == clean


@pytest.mark.parametrize(
    ("paragraph", "real"),
    [
        ("Patricio Candia | Palma de Mallorca | 08/01/2014", False),
        ("Updated", False),
        ("Some of the other more interesting food-related data points include:", False),
        ('"Our goal was never to upset anyone."', False),
        (BODY[1], True),
        ("出狱了。据港媒刚刚消息，陈同佳今日在西贡壁屋监狱刑满出狱。", True),
    ],
)
def test_real_paragraphs_are_told_from_labels_and_datelines(paragraph: str, real: bool) -> None:
    assert is_real_paragraph(paragraph) is real


def test_a_lead_from_the_body_stops_at_about_a_leads_size() -> None:
    lead = lead_of()
    assert lead.text == "\n\n".join(BODY[1:3])  # the third would make it too long
    assert lead.notes == [("summary_from_body", "the page's description: none was given")]
