"""A fixed corpus of news article pages for the "page extraction + post rendering" benchmark.

`build_pages()` returns 32 pages in Russian, Kazakh and English, built without network and
with seeded randomness (the same bytes on every run). They cover: short, long and ~2 MB pages
(inline state script, thousands of comments, a huge inline stylesheet); broken HTML (unclosed
tags, stray </div>, cut in the middle of a tag); no image; 45 article:tag metas; windows-1251
declared only in <meta> or nowhere; no og:description; a lead that repeats the title; a title
over 200 characters; entities, «ёлочки», abbreviations, initials and decimals; a title with
< & and emoji; site chrome inside and around the article; JSON-LD only; AMP-like pages.

    .venv/bin/python bench/pages.py   # the corpus as a table
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any

TWO_MB = 2_050_000
BASE_TIME = datetime(2025, 11, 26, 9, 0, tzinfo=timezone(timedelta(hours=5)))

_PROSE = {
    "ru": """
Министерство цифрового развития сообщило, что до конца 2026 г. интернет получат еще 1,2 тыс. сел.
По данным Бюро национальной статистики, доля онлайн-торговли в рознице выросла до 18,5%.
Первый Президент Н. А. Назарбаев еще в 1997 г. назвал транспортные коридоры долгосрочной задачей.
Стороны создадут рабочую группу, т.е. определят параметры линии уже в первом квартале.
Проект предусматривает строительство подземной волоконно-оптической линии Темирбаба — Бекдаш.
Как отметил вице-министр Д. Мусалиев, основные работы завершат в течение 12 месяцев.
Инфляция в годовом выражении замедлилась до 8,9%, однако услуги дорожают быстрее товаров.
Национальный банк сохранил базовую ставку на уровне 16,5% и не ждет снижения до весны.
В АО «Казпочта» рассчитывают, что трансграничная торговля принесет до 3 млрд тенге в год.
Эксперты напоминают, что похожий проект обсуждался ещё в 2019 г., но его отложили.
Акимат г. Алматы пообещал открыть к осени три новые школы на 1,5 тыс. мест каждая.
По словам директора компании А. Б. Сейткали, спрос на облачные сервисы вырос почти вдвое.
Сеть сначала охватит Мангистаускую и Атыраускую области, т.к. там есть магистральные линии.
Ранее в ведомстве заявляли, что стоимость проекта может превысить 40 млн долл. США.
Напомним: 22 мая 2026 г. в Алматы пройдет конференция PROFIT Telecom Day.
Согласно отчету, 64,3% опрошенных предприятий уже используют электронный документооборот.
В пресс-службе министерства уточнили, что тариф для конечных пользователей не изменится.
Квадратный метр жилья в Астане за девять месяцев подорожал на 11,2%, т.е. быстрее инфляции.
Документ подписали в присутствии глав ведомств, а его текст опубликуют на портале «Әділет».
""",
    "kk": """
Министрліктің мәліметінше, 2026 жылдың соңына дейін тағы 1,2 мың ауылға интернет жеткізіледі.
Ұлттық статистика бюросының деректері бойынша, онлайн-сауданың үлесі 18,5%-ға жетті.
Тараптар желінің техникалық параметрлерін анықтайтын бірлескен жұмыс тобын құруға келісті.
Жоба Темірбаба — Бекдаш учаскесінде жерасты талшықты-оптикалық желісін салуды көздейді.
Ұлттық банк базалық мөлшерлемені 16,5% деңгейінде сақтап қалды.
Алматы әкімдігі күзге дейін әрқайсысы 1,5 мың орындық үш жаңа мектеп ашуға уәде берді.
Шара әл-Фараби атындағы Қазақ ұлттық университетінде өтті.
Компания директоры А. Б. Сейітқалидың сөзінше, бұлтты қызметтерге сұраныс екі есеге жуық өсті.
Министрліктің баспасөз қызметі соңғы пайдаланушылар үшін тариф өзгермейтінін нақтылады.
Нарық қатысушылары бұл мерзімдерді өршіл, бірақ жалпы алғанда қолжетімді деп санайды.
Астанада тұрғын үйдің шаршы метрі тоғыз айда 11,2%-ға қымбаттады.
Еске сала кетейік, 2026 жылғы 22 мамырда Алматыда PROFIT Telecom Day конференциясы өтеді.
Сауалнамаға қатысқан кәсіпорындардың 64,3%-ы электрондық құжат айналымын қолданады.
Ауыл шаруашылығы министрлігі күздік бидай егісінің көлемі ұлғайғанын хабарлады.
Тұңғыш Президент Н. Ә. Назарбаев көлік дәліздерін дамытуды ұзақ мерзімді міндет деп атаған.
Шаһардағы жиһаз фабрикасы биыл өндіріс көлемін 7,4%-ға арттырды.
Құжатқа ведомство басшылары қол қойды, оның мәтіні «Әділет» порталында жарияланады.
""",
    "en": """
The Ministry of Digital Development said 1,200 more villages would get broadband by 2026.
According to the Bureau of National Statistics, e-commerce reached 18.5% of retail sales.
Both sides agreed to set up a joint working group to define the line's technical parameters.
The project involves laying an underground fibre-optic cable between Temirbaba and Bekdash.
The National Bank kept its base rate at 16.5% and signalled that cuts are unlikely before spring.
Annual inflation slowed to 8.9%, although services prices are still rising faster than goods.
Deputy Minister D. Mussaliyev said the main work should be finished within 12 months.
Kazpost expects cross-border trade to bring in up to 3 billion tenge a year.
Analysts recall that a similar project was discussed in 2019 but was shelved for lack of funds.
The Almaty city administration promised three new schools with 1,500 places each by autumn.
Demand for cloud services nearly doubled over the year, said company director A. B. Seitkali.
Tariffs for end users will not change, i.e. the operators will bear the costs, the ministry said.
Housing prices in Astana rose by 11.2% in nine months, outpacing inflation.
A survey found that 64.3% of companies already use electronic document management.
Mr. J. Smith of the U.S. delegation noted that transit capacity has grown steadily since 2015.
A regional centre for digital solutions under the auspices of UNESCAP will be discussed in December.
""",
}
SENTENCES = {lang: text.strip().splitlines() for lang, text in _PROSE.items()}

TITLES = {
    "ru": "Казахстан и Туркменистан укрепляют сотрудничество в сфере цифровых технологий|"
    "Нацбанк сохранил базовую ставку на уровне 16,5%|Доля онлайн-торговли выросла до 18,5%|"
    "В Алматы к осени откроют три новые школы|Спрос на облачные сервисы вырос почти вдвое|"
    "«Казпочта» запустит трансграничную доставку для малого бизнеса|"
    "ВОЛС Темирбаба — Бекдаш построят за 12 месяцев|Жилье в Астане дорожает быстрее инфляции",
    "kk": "Қазақстан мен Түрікменстан цифрлық саладағы ынтымақтастықты нығайтады|"
    "Ұлттық банк базалық мөлшерлемені 16,5% деңгейінде сақтады|Онлайн-сауда үлесі 18,5%-ға жетті|"
    "Алматыда күзге дейін үш жаңа мектеп ашылады|Бұлтты қызметтерге сұраныс екі есеге жуық өсті|"
    "Астанада тұрғын үй бағасы инфляциядан жылдам өсуде",
    "en": "Kazakhstan and Turkmenistan strengthen digital cooperation|"
    "National Bank holds base rate at 16.5%|E-commerce share of retail climbs to 18.5%|"
    "Almaty to open three new schools by autumn|Demand for cloud services nearly doubles|"
    "Astana housing prices outpace inflation|Kazpost launches cross-border delivery for SMEs",
}
TAGS = {
    "ru": "Казахстан|Туркменистан|Алматы|Астана|Шымкент|Нацбанк|базовая ставка|инфляция|тенге|"
    "e-commerce|розничная торговля|ВОЛС|телеком|TNS-Plus|Казпочта|ЭСКАТО|цифровизация|"
    "искусственный интеллект|облачные сервисы|ЦОД|электронное правительство|госуслуги|"
    "образование|школы|недвижимость|ипотека|жилье|строительство|транзит|логистика|Каспий|"
    "Мангистауская область|Атырауская область|инвестиции|экспорт|импорт|бюджет|налоги|МСБ|"
    "стартапы|Astana Hub|кибербезопасность|5G|спутниковая связь|статистика|PROFIT Telecom Day",
    "kk": "Қазақстан|Түрікменстан|Алматы|Астана|Шымкент|Ұлттық банк|базалық мөлшерлеме|инфляция|"
    "теңге|онлайн-сауда|бөлшек сауда|талшықты-оптикалық желі|телеком|Қазпошта|цифрландыру|"
    "жасанды интеллект|бұлтты қызметтер|электрондық үкімет|мемлекеттік қызметтер|білім беру|"
    "мектептер|жылжымайтын мүлік|ипотека|тұрғын үй|құрылыс|транзит|логистика|Каспий|"
    "Маңғыстау облысы|Атырау облысы|инвестиция|экспорт|импорт|бюджет|салықтар|шағын бизнес|"
    "стартаптар|киберқауіпсіздік|5G|спутниктік байланыс|статистика|сауалнама|ауыл шаруашылығы|"
    "бидай|жастар|мәдениет",
    "en": "Kazakhstan|Turkmenistan|Almaty|Astana|Shymkent|National Bank|base rate|inflation|tenge|"
    "e-commerce|retail|fibre optics|telecom|Kazpost|UNESCAP|digitalisation|AI|cloud services|"
    "data centres|e-government|public services|education|schools|real estate|mortgages|housing|"
    "construction|transit|logistics|Caspian Sea|Mangystau|Atyrau|investment|exports|imports|"
    "budget|taxes|SMEs|startups|Astana Hub|cybersecurity|5G|satellites|statistics|Central Asia",
}
SECTIONS = {"ru": "Экономика|Телеком|Общество", "kk": "Экономика|Қоғам", "en": "Business|Tech"}
SITES = {  # home page, name, the Content-Type its server sends
    "ru": ("https://delovoy.example.kz", "Деловой Казахстан", "text/html; charset=utf-8"),
    "kk": ("https://qazaq-habar.example.kz", "Qazaq Habar", "text/html; charset=UTF-8"),
    "en": ("https://astana-times.example.com", "The Astana Times", "text/html;charset=utf-8"),
}
UI = {  # nav items, box label, box text, footer promo ({} = site name), "tags" label
    "ru": ("Главная|Новости|Экономика|Технологии|Общество|Спорт", "Цифра дня",
           "До 18,5% доведут долю e-commerce в общем объеме розничной торговли",
           "Подписывайтесь на каналы {} в Facebook и Telegram.", "Теги"),
    "kk": ("Басты бет|Жаңалықтар|Экономика|Қоғам|Спорт|Мәдениет", "Күннің цифры",
           "Онлайн-сауданың үлесі 18,5%-ға дейін жетеді",
           "{} арналарына Telegram мен Facebook желісінде жазылыңыз.", "Тегтер"),
    "en": ("Home|News|Business|Tech|Opinion|Sport", "Number of the day",
           "E-commerce to reach 18.5% of retail", "Follow {} on Telegram and Facebook.", "Tags"),
}  # fmt: skip


@dataclass(frozen=True)
class Page:
    name: str  # short unique id like "ru-short"
    lang: str  # "ru", "kk" or "en"
    url: str
    html: bytes  # as a server sends it, in its declared (or undeclared) encoding
    content_type: str | None  # the HTTP Content-Type header value


def _num(name: str) -> int:
    return 40000 + zlib.crc32(name.encode()) % 50000


def _paragraph(rng: random.Random, lang: str) -> str:
    return " ".join(rng.sample(SENTENCES[lang], rng.randint(2, 4)))


def _html(
    name: str,
    lang: str,
    *,
    paras: int = 5,
    title: str = "",
    lead: str = "",
    og: bool = True,
    desc: bool = True,
    lead_class: bool = True,
    image: bool = True,
    tags: int = 4,
    chrome: bool = True,
    heavy: bool = False,
    jsonld: bool = False,
    charset: str | None = "utf-8",
    extra: str = "",
) -> tuple[str, str]:
    """(url, html) of one article page; `heavy` adds chrome inside the article."""
    rng, e = random.Random(name), escape
    site, site_name, _ = SITES[lang]
    nav, box_label, box_text, promo, tags_label = UI[lang]
    promo = promo.format(site_name)
    num = _num(name)
    url = f"{site}/news/{num}/{name}/"
    title = title or rng.choice(TITLES[lang].split("|"))
    lead = lead or rng.choice(SENTENCES[lang])
    body = [_paragraph(rng, lang) for _ in range(paras)]
    published = BASE_TIME + timedelta(minutes=num % 20000)
    stamp = published.isoformat()
    section = rng.choice(SECTIONS[lang].split("|"))
    tag_list = rng.sample(TAGS[lang].split("|"), tags)
    img = f"{site}/uploads/2025/11/{num}.jpg"
    head = ['<meta charset="utf-8">'] if charset == "utf-8" else []
    if charset and charset != "utf-8":
        head.append(f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">')
    head += [
        f"<title>{e(title)} | {e(site_name)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ]
    if og:
        head += [f'<meta name="description" content="{e(lead)}">'] if desc else []
        props = [("og:type", "article"), ("og:site_name", site_name), ("og:title", title)]
        props += [("og:description", lead)] if desc else []
        props += [("og:url", url)] + ([("og:image", img)] if image else [])
        props += [("article:published_time", stamp), ("article:section", section)]
        props += [("article:tag", tag) for tag in tag_list]
        head += [f'<meta property="{k}" content="{e(v)}">' for k, v in props]
        head.append(f'<link rel="canonical" href="{url}">')
    if jsonld:
        modified = (published + timedelta(hours=2)).isoformat()
        data: dict[str, Any] = {"@context": "https://schema.org", "@type": "NewsArticle"}
        data |= {"headline": title, "description": lead, "articleSection": section}
        data |= {"datePublished": stamp, "dateModified": modified, "keywords": ", ".join(tag_list)}
        data["mainEntityOfPage"] = {"@type": "WebPage", "@id": url}
        data |= {"image": [img]} if image else {}
        data["publisher"] = {"@type": "Organization", "name": site_name}
        text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
        head.append(f'<script type="application/ld+json">{text}</script>')
    links = "".join(f'<li><a href="/{i}/">{e(w)}</a></li>' for i, w in enumerate(nav.split("|")))
    box = f'<div class="digit"><div class="title">{e(box_label)}</div><a href="/news/{num - 7}/">'
    box += f"{e(box_text)}</a></div>"
    out = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n' + "\n".join(head) + "\n</head>"]
    out.append('<body class="page-news">')
    if chrome:
        out.append(f'<header class="site-header"><a class="logo" href="/">{e(site_name)}</a>')
        out.append(f'<nav class="menu"><ul>{links}</ul></nav></header><aside>{box}</aside>')
    out.append('<main>\n<article class="news-item">')
    out.append(f"<h1>{e(title)}</h1>")
    out.append(f'<p class="lead">{e(lead)}</p>' if lead_class else f"<p>{e(lead)}</p>")
    out.append(f'<div class="meta"><time datetime="{stamp}">{published:%d.%m.%Y %H:%M}</time>')
    out.append(f'<span class="author">{e(site_name)}</span></div>')
    if image:
        out.append(f'<figure><img src="{img}" alt="{e(title)}"><figcaption>{e(site_name)}')
        out.append("</figcaption></figure>")
    out.append('<div class="text">')
    for i, paragraph in enumerate(body):
        out.append(f"<p>{e(paragraph)}</p>")
        if heavy and i == 1:
            out.append(box)
    out.append("</div>")
    if tag_list:
        tag_links = " ".join(f'<a href="/tags/{i}/">{e(t)}</a>' for i, t in enumerate(tag_list))
        out.append(f'<div class="tags"><span>{tags_label}:</span> {tag_links}</div>')
    if heavy:
        out.append(f'<div class="promo">{e(promo)}</div>')
    out.append("</article>")
    if heavy:
        related = "".join(f'<li><a href="/news/{num - i}/">{e(t)}</a></li>' for i, t in enumerate(
            TITLES[lang].split("|")[:5], 1))  # fmt: skip
        out.append(f'<section class="related"><h3>Читайте также</h3><ul>{related}</ul></section>')
        out.append('<div class="cookies">Мы используем cookie. <button>OK</button></div>')
    out.append(f"{extra}</main>")
    if chrome:
        out.append(f'<footer class="site-footer"><p>{e(promo)}</p><p>© 2025 {e(site_name)}</p>')
        out.append(f"<ul>{links}</ul></footer>")
    out.append("</body>\n</html>\n")
    return url, "\n".join(out)


def _amp(name: str, lang: str) -> tuple[str, str]:
    """A minimal AMP-like page: no Open Graph, no lead element, only <title> and paragraphs."""
    rng = random.Random(name)
    site = SITES[lang][0]
    url = f"{site}/amp/news/{_num(name)}/{name}/"
    title = escape(rng.choice(TITLES[lang].split("|")))
    paras = "\n".join(f"<p>{escape(_paragraph(rng, lang))}</p>" for _ in range(6))
    return url, (
        f'<!doctype html>\n<html ⚡ lang="{lang}">\n<head><meta charset="utf-8">'
        '<script async src="https://cdn.ampproject.org/v0.js"></script>\n'
        f'<title>{title}</title><link rel="canonical" href="{url.replace("/amp/", "/")}">'
        '<meta name="viewport" content="width=device-width">\n<style amp-boilerplate>'
        "body{-webkit-animation:-amp-start 8s steps(1,end) 0s 1 normal both}</style>\n"
        f"</head>\n<body>\n<h1>{title}</h1>\n"
        f'<amp-img src="{site}/uploads/{_num(name)}.jpg" width="800" height="450" '
        f'layout="responsive"></amp-img>\n{paras}\n</body>\n</html>\n'
    )


def _filler(name: str, make: Callable[[random.Random, int], str]) -> str:
    """Chunks from `make` until they reach TWO_MB bytes in UTF-8."""
    rng, size, chunks = random.Random(f"{name}/filler"), 0, list[str]()
    while size < TWO_MB:
        chunks.append(make(rng, len(chunks)))
        size += len(chunks[-1].encode())
    return "".join(chunks)


def _state(rng: random.Random, i: int) -> str:  # an SPA's inline state: a feed of stories
    item = {"id": 90000 + i, "title": rng.choice(TITLES["ru"].split("|")), "views": i * 37}
    item |= {"lead": rng.choice(SENTENCES["ru"]), "url": f"/news/{90000 + i}/", "pinned": False}
    start = "" if i else '<script>window.__STATE__={"feed":['
    return start + json.dumps(item, ensure_ascii=False) + ","


def _comment(rng: random.Random, i: int) -> str:
    user = rng.choice(["Айгерім_87", "Nurlan.K", "Ерлан Сәбитұлы", "qazaq_oqyrman", "Әсел"])
    return (
        f'<div class="comment" id="c{i}"><b>{user}</b> <time>{i % 28 + 1}.11.2025</time>'
        f'<p>{escape(_paragraph(rng, "kk"))}</p><a href="#reply-{i}">Жауап беру</a></div>\n'
    )


def _css(rng: random.Random, i: int) -> str:
    return (
        f".c{i}>.item:hover{{margin:{rng.randint(0, 40)}px {rng.randint(0, 40)}px;"
        f"color:#{rng.randrange(16**6):06x};font:{rng.randint(11, 22)}px/1.4 Inter,sans-serif}}\n"
    )


def _break(doc: str) -> str:
    """Unclosed <p>, <b> and <article>, a stray </div> and the page cut inside a tag."""
    doc = doc.replace("</p>", "").replace("</article>", "")
    doc = doc.replace("</h1>", "</h1></div></div>", 1).replace('<div class="text">', "<div><b>", 1)
    return doc[: doc.rfind('<a href="/tags/') + 12]


def _entities(doc: str) -> str:
    """Named and numeric character references in place of the characters."""
    for char, entity in {"«": "&laquo;", "»": "&raquo;", "—": "&mdash;", "ё": "&#1105;"}.items():
        doc = doc.replace(char, entity)
    return doc.replace(" г.", "&nbsp;г.")


def _page(
    name: str,
    lang: str,
    content_type: str | None = "",
    *,
    encoding: str = "utf-8",
    post: Callable[[str], str] | None = None,
    amp: bool = False,
    **options: Any,
) -> Page:
    url, doc = _amp(name, lang) if amp else _html(name, lang, **options)
    doc = post(doc) if post else doc
    ctype = SITES[lang][2] if content_type == "" else content_type
    return Page(name, lang, url, doc.encode(encoding, "xmlcharrefreplace"), ctype)


def build_pages() -> list[Page]:
    long_title = (
        "Правительство утвердило комплексный план развития цифровой инфраструктуры на 2026–2030 "
        "гг., предусматривающий строительство 12 тыс. км волоконно-оптических линий, модернизацию "
        "центров обработки данных и подключение всех сельских населенных пунктов к интернету"
    )
    same = "Нацбанк сохранил базовую ставку на уровне 16,5% до конца года"
    ent_title = "«Казпочта» и «Казахтелеком» подключат ещё 1,2 тыс. сел до 2026 г. — Минцифры"
    ent_lead = (
        "Как сообщил вице-министр Д. Б. Мусалиев, работы начнутся в г. Актау, т.е. на берегу "
        "Каспия, и охватят 18,5% сельских округов — в т.ч. поселки им. Абая и Жамбыла."
    )
    return [
        _page("ru-short", "ru", paras=2),
        _page("ru-long", "ru", paras=45, tags=6),
        _page("ru-2mb", "ru", paras=40, extra=_filler("ru-2mb", _state) + "{}]};</script>"),
        _page("ru-broken", "ru", paras=8, post=_break),
        _page("ru-noimage", "ru", paras=4, image=False),
        _page("ru-manytags", "ru", paras=5, tags=45),
        _page("ru-cp1251-meta", "ru", "text/html", encoding="cp1251", charset="windows-1251"),
        _page("ru-cp1251-bare", "ru", "text/html", encoding="cp1251", charset=None, paras=6),
        _page("ru-nodesc", "ru", paras=5, desc=False, lead_class=False),
        _page("ru-lead-is-title", "ru", paras=4, title=same, lead=same),
        _page("ru-long-title", "ru", paras=5, title=long_title),
        _page("ru-entities", "ru", paras=6, title=ent_title, lead=ent_lead, post=_entities),
        _page("ru-symbols", "ru", paras=3, title="Инфляция < 9% & ставка 16,5%: что с тенге 📉"),
        _page("ru-chrome", "ru", paras=6, heavy=True),
        _page("ru-jsonld", "ru", paras=5, og=False, jsonld=True),
        _page("ru-amp", "ru", amp=True),
        _page("kk-short", "kk", paras=3),
        _page("kk-long", "kk", paras=40, tags=5),
        _page("kk-2mb", "kk", paras=30, extra=_filler("kk-2mb", _comment)),
        _page("kk-broken", "kk", paras=6, post=_break),
        _page("kk-noimage", "kk", paras=4, image=False),
        _page("kk-manytags", "kk", paras=4, tags=45),
        _page("kk-nodesc", "kk", paras=5, desc=False, lead_class=False),
        _page("kk-jsonld", "kk", None, paras=5, og=False, jsonld=True),
        _page("en-short", "en", paras=2, chrome=False),
        _page("en-long", "en", paras=55, tags=6),
        _page("en-2mb", "en", paras=35, extra=f"<style>{_filler('en-2mb', _css)}</style>"),
        _page("en-broken", "en", paras=7, post=_break),
        _page("en-noimage", "en", paras=3, image=False, desc=False),
        _page("en-symbols", "en", paras=3, title="Tenge < 500/$ & rate 16.5% 🚀 <b>live</b>"),
        _page("en-jsonld", "en", paras=4, og=False, jsonld=True, lead_class=False),
        _page("en-amp", "en", None, amp=True),
    ]


if __name__ == "__main__":
    print(f"{'name':<18} {'lang':<4} {'KB':>8}  content type")
    for page in build_pages():
        print(f"{page.name:<18} {page.lang:<4} {len(page.html) / 1024:>8.1f}  {page.content_type}")
