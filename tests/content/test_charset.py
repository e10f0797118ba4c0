"""Pages in legacy charsets, declared, undeclared and misdeclared, decode right."""

from __future__ import annotations

import codecs

import pytest

from bot.content.charset import decode_html
from bot.content.extract import extract_page

PARAGRAPHS = (
    "Особое внимание стороны уделили проекту по организации международного стыка "
    "телекоммуникационных сетей Казахстана и Туркменистана.",
    "Проект предусматривает строительство подземной волоконно-оптической линии связи на "
    "участке Темирбаба (Казахстан) - Бекдаш (Туркменистан).",
    "Для реализации проекта будет создана совместная рабочая группа. Она определит "
    "технические параметры будущей линии и подготовит проектно-сметную документацию.",
)


def page(head: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html><head>{head}<title>Казахстан и Туркменистан</title></head>"
        f"<body><article><h1>Казахстан и Туркменистан</h1>{paragraphs}</article></body></html>"
    )


def test_windows_1251_page_without_a_declared_charset_is_decoded_right() -> None:
    raw = page().encode("windows-1251")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    extracted = extract_page(raw, "https://example.kz/a", content_type="text/html")
    assert extracted.title == "Казахстан и Туркменистан"
    assert extracted.body == "\n\n".join(PARAGRAPHS)


@pytest.mark.parametrize(
    ("encoding", "head", "content_type"),
    [
        ("windows-1251", '<meta charset="windows-1251">', None),
        ("koi8-r", '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">', None),
        ("koi8-r", "", "text/html; charset=KOI8-R"),
        # servers that send Latin-1 for every page: only a hint
        ("windows-1251", "", "text/html; charset=iso-8859-1"),
        ("utf-8", "", "text/html; charset=iso-8859-1"),
        # a page saved as UTF-8 under an old declaration
        ("utf-8", '<meta charset="windows-1251">', None),
    ],
)
def test_declared_and_misdeclared_charsets(
    encoding: str, head: str, content_type: str | None
) -> None:
    html = page(head)
    assert decode_html(html.encode(encoding), content_type) == html


def test_byte_order_mark_wins() -> None:
    html = page('<meta charset="windows-1251">')
    raw = codecs.BOM_UTF16_LE + html.encode("utf-16-le")
    assert decode_html(raw, "text/html; charset=windows-1251") == html


def test_undecodable_bytes_never_raise() -> None:
    raw = page('<meta charset="no-such-charset">').encode("utf-8")[:-40] + b"\xff\xfe\xfa"
    text = decode_html(raw, "text/html; charset=also-unknown")
    assert "Казахстан и Туркменистан" in text
