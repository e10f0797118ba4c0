"""What the site sandbox serves, as text: an article page shaped like a real news
site's (tests/fixtures/profit-kz-article.html: Open Graph and article:* meta, a
canonical link, JSON-LD, chrome around the article that extractors drop), 404/410
pages, the front page and an RSS 2.0 feed.

Markup sources: https://ogp.me (og:*, og:locale as language_TERRITORY),
https://ogp.me/#type_article (article:published_time, modified_time, section, tag),
https://www.rssboard.org/rss-specification (RSS 2.0), W3C WebSub §4 (discovery: an
atom:link rel="hub" and rel="self" in a feed).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

LOCALES = {"ru": "ru_RU", "kk": "kk_KZ", "en": "en_US"}
MONTHS = {
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "kk": "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан",
    "en": "January February March April May June July August September October November December",
}
LABELS = {
    "ru": (
        "Главная",
        "Новости",
        "Статьи",
        "Цифра дня",
        "Подписывайтесь на каналы {} в Facebook и Telegram.",
    ),
    "kk": (
        "Басты бет",
        "Жаңалықтар",
        "Мақалалар",
        "Күн саны",
        "{} арналарына Facebook пен Telegram-да жазылыңыз.",
    ),
    "en": ("Home", "News", "Articles", "Figure of the day", "Follow {} on Facebook and Telegram."),
}
GONE = {
    404: {"ru": "Страница не найдена", "kk": "Бет табылмады", "en": "Page not found"},
    410: {"ru": "Материал удалён", "kk": "Материал жойылды", "en": "This article was removed"},
}
_TRANSLIT = {
    **dict(
        zip("абвгдезийклмнопрстуфхыэәғқңөұүһі", "abvgdeziyklmnoprstufhyeagknouuhi", strict=True)
    ),
    "ё": "e",
    "ж": "zh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ю": "yu",
    "я": "ya",
    "ъ": "",
    "ь": "",
}


@dataclass
class SiteArticle:
    id: str
    title: str
    lead: str
    body: list[str]  # paragraphs
    image: str | None
    lang: str  # "ru", "kk" or "en"
    published: datetime  # aware
    tags: list[str]
    section: str | None
    path: str  # "/news/<id>/<slug>/", fixed when the article is added
    updated: datetime
    removed: int | None = None  # 404 or 410 once removed
    revision: int = 1


def slug_of(title: str) -> str:
    """A URL slug like news sites make: Cyrillic transliterated, the rest dropped."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in unicodedata.normalize("NFC", title.lower()))
    slug = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")
    return slug[:80].rstrip("-") or "article"


def visible_date(when: datetime, lang: str) -> str:
    month = MONTHS.get(lang, MONTHS["en"]).split()[when.month - 1]
    clock = when.strftime("%H:%M")
    if lang == "kk":
        return f"{when.year} жылғы {when.day} {month} {clock}"
    return f"{when.day} {month} {when.year} {clock}"


def article_page(
    a: SiteArticle, site: str, base: str, aside: SiteArticle | None, *, promo: bool = True
) -> str:
    url = base + a.path
    home, news, articles, figure, follow = LABELS.get(a.lang, LABELS["en"])
    published, modified = a.published.isoformat(), a.updated.isoformat()
    meta = [
        f'<meta name="description" content="{escape(a.lead)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:site_name" content="{escape(site)}">',
        f'<meta property="og:locale" content="{LOCALES.get(a.lang, a.lang)}">',
        f'<meta property="og:title" content="{escape(a.title)}">',
        f'<meta property="og:description" content="{escape(a.lead)}">',
        f'<meta property="og:url" content="{escape(url)}">',
    ]
    if a.image:
        meta.append(f'<meta property="og:image" content="{escape(a.image)}">')
    meta.append(f'<meta property="article:published_time" content="{published}">')
    if a.updated != a.published:
        meta.append(f'<meta property="article:modified_time" content="{modified}">')
    if a.section:
        meta.append(f'<meta property="article:section" content="{escape(a.section)}">')
    meta += [f'<meta property="article:tag" content="{escape(t)}">' for t in a.tags]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "description": a.lead,
        "datePublished": published,
        "dateModified": modified,
        "inLanguage": a.lang,
        "mainEntityOfPage": url,
        "keywords": a.tags,
        **({"image": [a.image]} if a.image else {}),
        "publisher": {"@type": "Organization", "name": site},
    }
    ld_text = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
    figure_html = f'<figure><img src="{escape(a.image)}" alt=""></figure>' if a.image else ""
    paragraphs = "\n      ".join(f"<p>{escape(p)}</p>" for p in a.body)
    tags = " ".join(f'<a href="/tags/{slug_of(t)}/">{escape(t)}</a>' for t in a.tags)
    aside_html = (
        f'<aside class="digit-of-the-day"><div class="title">{figure}</div>'
        f'<div class="text"><a href="{escape(aside.path)}">{escape(aside.title)}</a></div></aside>'
        if aside
        else ""
    )
    head = "\n  ".join(meta)
    shown = visible_date(a.published, a.lang)
    promo_html = f'<div class="promo">{follow.format(escape(site))}</div>' if promo else ""
    return f"""<!DOCTYPE html>
<html lang="{escape(a.lang)}">
<head>
  <meta charset="utf-8">
  <title>{escape(a.title)} | {escape(site)}</title>
  {head}
  <link rel="canonical" href="{escape(url)}">
  <link rel="alternate" type="application/rss+xml" href="/rss/">
  <script type="application/ld+json">{ld_text}</script>
</head>
<body>
  <header class="site-header">
    <nav><a href="/">{home}</a> <a href="/news/">{news}</a>
      <a href="/articles/">{articles}</a></nav>
  </header>
  {aside_html}
  <main>
    <article class="news-item">
      <h1>{escape(a.title)}</h1>
      <div class="lead">{escape(a.lead)}</div>
      <div class="meta"><time datetime="{published}">{shown}</time>,
        <span class="source">{escape(site)}</span></div>
      {figure_html}
      <div class="text">
      {paragraphs}
      </div>
      <div class="tags">{tags}</div>
      {promo_html}
    </article>
  </main>
  <footer>© {escape(site)}</footer>
</body>
</html>
"""


def gone_page(status: int, lang: str, site: str) -> str:
    title = GONE[status].get(lang, GONE[status]["en"])
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head><meta charset="utf-8">'
        f"<title>{title} | {escape(site)}</title></head>\n"
        f'<body><h1>{title}</h1><p><a href="/">{escape(site)}</a></p></body>\n</html>\n'
    )


def index_page(items: list[SiteArticle], site: str, lang: str) -> str:
    links = "\n".join(
        f'    <li><a href="{escape(a.path)}">{escape(a.title)}</a></li>' for a in items
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head><meta charset="utf-8">'
        f"<title>{escape(site)}</title>\n"
        f'<link rel="alternate" type="application/rss+xml" title="{escape(site)}" href="/rss/">'
        f"</head>\n<body>\n  <h1>{escape(site)}</h1>\n  <ul>\n{links}\n  </ul>\n</body>\n</html>\n"
    )


def rss_feed(
    items: list[SiteArticle], site: str, lang: str, base: str, feed: str, hub: str | None
) -> str:
    """RSS 2.0, newest first; each item's link and guid is the article's URL."""
    built = max((a.updated for a in items), default=None)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"  <title>{xml_escape(site)}</title>",
        f"  <link>{xml_escape(base)}/</link>",
        f"  <description>{xml_escape(site)}</description>",
        f"  <language>{xml_escape(lang)}</language>",
    ]
    if built is not None:
        lines.append(f"  <lastBuildDate>{format_datetime(built)}</lastBuildDate>")
    lines.append(f'  <atom:link rel="self" type="application/rss+xml" href={quoteattr(feed)}/>')
    if hub:
        lines.append(f'  <atom:link rel="hub" href={quoteattr(hub)}/>')
    for a in items:
        url = base + a.path
        lines += [
            "  <item>",
            f"    <title>{xml_escape(a.title)}</title>",
            f"    <link>{xml_escape(url)}</link>",
            f'    <guid isPermaLink="true">{xml_escape(url)}</guid>',
            f"    <pubDate>{format_datetime(a.published)}</pubDate>",
            f"    <description>{xml_escape(a.lead)}</description>",
        ]
        lines += [f"    <category>{xml_escape(t)}</category>" for t in a.tags]
        if a.image:
            kind = "image/png" if a.image.lower().endswith(".png") else "image/jpeg"
            lines.append(f'    <enclosure url={quoteattr(a.image)} length="0" type="{kind}"/>')
        lines.append("  </item>")
    lines += ["</channel>", "</rss>", ""]
    return "\n".join(lines)
