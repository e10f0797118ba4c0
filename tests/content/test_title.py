# ruff: noqa: E501  (titles are data: real headlines are longer than a line)
"""The headline without the site's name: affixes learned from the site's names, the
page's other headlines and the shape of the affix; never an empty title."""

from __future__ import annotations

import pytest

from bot.content.title import affixes_of, clean_title, host_names, url_sections


@pytest.mark.parametrize(
    ("title", "sites", "expected", "removed"),
    [
        ("Flixbus attackiert Deutsche Bahn | CBC News", ["CBC News"], "Flixbus attackiert Deutsche Bahn", ["CBC News"]),
        ("TechCrunch | 2005 Zuckerberg Didn’t Want To Take Over The World", ["TechCrunch"],
         "2005 Zuckerberg Didn’t Want To Take Over The World", ["TechCrunch"]),
        ("World's hottest chilli contest leaves two in hospital - Telegraph", ["Telegraph.co.uk"],
         "World's hottest chilli contest leaves two in hospital", ["Telegraph"]),
        ("Takeaways from the trial | CNN Politics", ["CNN"], "Takeaways from the trial", ["CNN Politics"]),
        ("Einstieg ins TV-Geschäft: Wie Freenet gewinnen will › Meedia", ["meedia"],
         "Einstieg ins TV-Geschäft: Wie Freenet gewinnen will", ["Meedia"]),
        ("米朝首脳直通電話 習氏に挑むトランプ戦術の成否：日本経済新聞", ["日本経済新聞 電子版"],
         "米朝首脳直通電話 習氏に挑むトランプ戦術の成否", ["日本経済新聞"]),
        ("Das Abkommen gilt ab Montag - Landesspiegel", ["landesspiegel"], "Das Abkommen gilt ab Montag",
         ["Landesspiegel"]),
    ],
)  # fmt: skip
def test_the_sites_name_is_taken_off_either_end(
    title: str, sites: list[str], expected: str, removed: list[str]
) -> None:
    assert clean_title(title, sites=sites) == (expected, removed)


def test_an_affix_the_h1_does_not_have_goes_by_difference() -> None:
    # Regression: "…-新华网" and "… | Yonhap News Agency" stayed in the posted title.
    assert clean_title("短缺药品保供稳价 全力保障临床用药需求-新华网",
                       headlines=["短缺药品保供稳价 全力保障临床用药需求"]) == (
        "短缺药品保供稳价 全力保障临床用药需求", ["新华网"])  # fmt: skip
    assert clean_title(
        "2012 map takes unfamiliar shape - Maggie Haberman and Shira Toeplitz",
        headlines=["2012 map takes unfamiliar shape"],
    ) == ("2012 map takes unfamiliar shape", ["Maggie Haberman and Shira Toeplitz"])


def test_a_kicker_before_a_colon_stays_part_of_the_headline() -> None:
    title = "Zugverkehr: Im ICE von Frankfurt nach Barcelona"
    assert clean_title(title, headlines=["Im ICE von Frankfurt nach Barcelona"]) == (title, [])


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Uncork the mystery | DW | 10.06.2013", "Uncork the mystery"),  # site, then a date
        ("[CEO&]창의적 열정과 소통 : 뉴스", "[CEO&]창의적 열정과 소통"),  # a generic word
        ("All-new Sentra is what we want - Auto News", "All-new Sentra is what we want"),
        (
            "米朝首脳直通電話 習氏に挑む（写真＝ロイター）",
            "米朝首脳直通電話 習氏に挑む",
        ),  # a photo credit
        ("Markets rally (Photo: Reuters)", "Markets rally"),
    ],
)
def test_dates_generic_words_sections_and_credits_go(title: str, expected: str) -> None:
    assert clean_title(title, sites=["dw.com"], others=["Auto News"])[0] == expected


def test_a_stray_quote_before_a_quotation_goes() -> None:
    title = 'Antonin Bernanos \'"en prison depuis près de deux mois"'
    assert clean_title(title)[0] == 'Antonin Bernanos "en prison depuis près de deux mois"'


def test_a_title_that_is_only_affixes_is_never_emptied() -> None:
    assert clean_title("CNN | News", sites=["CNN"]) == ("CNN | News", [])
    assert clean_title("Profit.kz", sites=["Profit.kz"]) == ("Profit.kz", [])


def test_the_site_name_inside_the_headline_stays() -> None:
    title = "L’Université PSL : quand les grandes écoles font université"
    assert clean_title(title + " | PSL", sites=["psl"]) == (title, ["PSL"])


def test_names_of_a_host_and_the_sections_of_a_url() -> None:
    assert host_names("https://en.yna.co.kr/view/AEN2019") == ["yna", "en.yna.co.kr"]
    assert host_names("http://arabic.cnn.com/2013/x.html")[0] == "cnn"
    assert url_sections("http://ultimahora.es/mallorca/noticia/local/slug.html") == [
        "mallorca",
        "noticia",
        "local",
    ]
    assert affixes_of("Title", ["Title » Local » Noticias » Ultima Hora"]) == [
        "Local",
        "Noticias",
        "Ultima Hora",
    ]
