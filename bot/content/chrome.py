"""Site chrome and promo that must never reach a post: the one list of patterns.

trafilatura's boilerplate removal drops headers, navigation, asides and most
footers by itself. What it can keep is chrome that sits inside the article's
markup: a labelled box ("Цифра дня" with a link to another story) or a call to
action written as an ordinary paragraph ("Подписывайтесь на каналы ... в
Facebook и Telegram"). Three generic rules handle those:
- a box whose label is one of BOX_LABELS is removed from the page, label and
  content, before extraction (a box is the label's largest ancestor that stays
  short and holds no headline, so the article around it is never removed; a
  label standing alone takes the short block that follows it along);
- a short line that starts like one of PROMO_LINES is dropped from the text;
- a short paragraph shaped like BOILERPLATE (a byline, a photo credit or caption,
  a syndication or paywall notice) is dropped from the text and never a lead.
Add a publisher's new promo or boilerplate wording here, nowhere else.
"""

from __future__ import annotations

import re
from typing import Any

# Labels of boxes that carry other stories, ads or widgets (compared case-folded,
# without trailing punctuation, against the whole text of the labelling element).
BOX_LABELS = frozenset(
    {
        "цифра дня",  # profit.kz: a figure with a link to another story
        "читайте также",
        "по теме",
        "популярное",
        "самое читаемое",
        "новости партнеров",
        "реклама",
        "read also",
        "related",
        "most read",
        "advertisement",
    }
)

# Calls to action and widget lines, anchored at the start of a line; only lines
# shorter than MAX_PROMO_CHARS are tested, so an article sentence that happens to
# begin the same way survives.
PROMO_LINES = re.compile(
    r"""^(?:
        подписывайтесь\b            # "Подписывайтесь на каналы Profit.kz в Facebook и Telegram."
      | подпишитесь\b
      | следите\s+за\s+(?:нашими\s+)?новостями
      | читайте\s+(?:также|нас|наши|новости)\b
      | присоединяйтесь\s+к\s+нам\b
      | цифра\s+дня\W*$
      | .*\bжазылыңыз\W*$           # Kazakh puts the verb last: "... арналарына жазылыңыз."
      | (?:сондай-ақ|толығырақ)\s+оқыңыз\b
      | (?:follow|subscribe\s+to)\s+us\b
      | follow\s+\S+\s+on\s+(?:facebook|telegram|x|twitter|instagram|linkedin)\b
      | (?:read\s+(?:also|more|on)|also\s+read|see\s+also|related)\b
      | (?:à\s+|a\s+)?lire\s+(?:aussi|également)\b
      | (?:lesen\s+sie\s+(?:auch|mehr)|weiter\s*lesen|mehr\s+zum\s+thema)\b
      | (?:lee|leer)\s+(?:también|más)\b
      | revivez\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Paragraphs that are never article text, whole or at their start: bylines, credits
# and captions, syndication and paywall notices (several languages). Only paragraphs
# shorter than MAX_BOILERPLATE_CHARS are tested.
_UP = "A-ZÀ-ÖØ-ÞА-ЯЁ"  # capitals that begin a name (Latin, Cyrillic)
BOILERPLATE = re.compile(
    rf"""^\W*(?:
        (?i:by|von|par|por|door|di)\s+[{_UP}][\w.'’-]*
        (?:\s+(?:[{_UP}][\w.'’-]*|and|und|et|y|e|van|de|von))*\W*$
      | (?i:autori?|authors?|autor|автор|reporter)\s*:
      | (?i:photo(?:graph)?|foto|fotos|image|bild|credit|crédits?\s+photo|source|quelle|фото)\s*:
      | (?i:this\s+(?:article|story)\s+(?:originally\s+)?(?:appeared|was\s+(?:first\s+)?published))
      | (?i:to\s+revisit\s+this\s+article)
      | 原标题[:：] | 相关新闻[:：] | 相关阅读 | (?:责任)?编辑[:：] | 来源[:：] | 【纠错】
      | \S{{0,12}}(?:记者|記者|通讯员|通訊員)\s*\S+(?:\s+\S+){{0,3}}\s*$
      | 有料会員 | 記事保存 | 会員登録 | ログイン
      | (?i:(?:please\s+)?(?:enable|activate|turn\s+on)\s+javascript)
      | (?i:javascript\s+is\s+(?:disabled|required|not\s+enabled))
      | (?i:bitte\s+aktivieren\s+sie\s+javascript)
      | (?i:(?:this|our)\s+(?:site|website)\s+uses\s+cookies)
      | (?i:(?:wir\s+verwenden|diese\s+(?:website|seite)\s+verwendet)\s+cookies)
      | (?i:ce\s+site\s+utilise\s+des\s+cookies) | (?i:utilizamos\s+cookies)
      | (?i:мы\s+используем\s+(?:файлы\s+)?cookie)
    )""",
    re.VERBOSE,
)
# A caption's credit at its end: "REUTERS/Benoit Tessier", "/ GORKA LEJARCEGI",
# "Photo: AP", "Getty Images", "小花母亲供图".
CREDIT_END = re.compile(
    rf"(?:\b[{_UP}]{{3,}}/\s?[{_UP}]|\s/\s[{_UP}]{{3,}}|\b(?i:photo|foto|credit|crédit)\s*:\s*\S+"
    r"|(?i:getty\s+images)|供图|\s摄)[^.!?。]{0,40}\W*$"
)
MAX_BOILERPLATE_CHARS = 160
MAX_PROMO_CHARS = 200
MAX_BOX_CHARS = 600
_CONTAINERS = frozenset({"html", "body", "main", "article"})


def _norm(text: str) -> str:
    return " ".join(text.split()).strip(" :.-—").casefold()


def is_promo(line: str) -> bool:
    stripped = " ".join(line.split())
    return len(stripped) < MAX_PROMO_CHARS and PROMO_LINES.match(stripped) is not None


def is_boilerplate(paragraph: str) -> bool:
    """A byline, credit, caption or notice rather than article text."""
    text = " ".join(paragraph.split())
    if not text or len(text) >= MAX_BOILERPLATE_CHARS:
        return False
    return BOILERPLATE.match(text) is not None or CREDIT_END.search(text) is not None


def _text_len(element: Any) -> int:
    return len(" ".join(element.text_content().split()))


def _is_short_block(element: Any) -> bool:
    return (
        element is not None
        and isinstance(element.tag, str)
        and _text_len(element) < MAX_PROMO_CHARS
    )


def remove_labelled_boxes(tree: Any) -> int:
    """Remove every box labelled with one of BOX_LABELS from an lxml.html tree; count them."""
    boxes = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or len(element) > 1:
            continue
        if _norm(element.text_content()) not in BOX_LABELS:
            continue
        box = element
        parent = box.getparent()
        while (
            parent is not None
            and parent.tag not in _CONTAINERS
            and _text_len(parent) <= MAX_BOX_CHARS
            and parent.find(".//h1") is None  # a headline is never inside a box
        ):
            box, parent = parent, parent.getparent()
        boxes.append(box)
        # a bare label ("<p><b>Цифра дня</b></p>") heads the short block after it
        following = box.getnext()
        bare = _norm(box.text_content()) == _norm(element.text_content())
        if bare and _is_short_block(following):
            boxes.append(following)
    removed = 0
    for box in boxes:
        parent = box.getparent()
        if parent is None:
            continue
        # keep the text that follows the box in its parent (lxml stores it on the box)
        if box.tail and box.tail.strip():
            previous = box.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + box.tail
            else:
                parent.text = (parent.text or "") + box.tail
        parent.remove(box)
        removed += 1
    return removed
