"""What an editor should look at before a post goes out; never a reason not to post.

Each warning has a stable `code` (for the editors' bot to translate and for tests)
and an English `message` naming what to fix. They travel with the payload, so
every view of a delivery (preview, status, approval) shows the same ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.content.summary import Summary
from bot.models import Article

TITLE_MAX = 200
MIN_SENTENCES = 2
_SHOWN_WORDS = 5
# A run of letters (hyphens split compounds: "IT-компания" mixes nothing).
_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff\u0500-\u052f]")


@dataclass(frozen=True, slots=True)
class EditorWarning:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EditorWarning:
        return cls(str(data.get("code", "")), str(data.get("message", "")))


def mixed_script_words(text: str) -> list[str]:
    """Words that mix Latin and Cyrillic letters ("gремьер-министра"): typos a spell
    checker misses and that break search. Whole hyphenated words are reported."""
    found: dict[str, None] = {}
    for token in text.split():
        for part in _WORD.findall(token):
            if _LATIN.search(part) and _CYRILLIC.search(part):
                found[token.strip(".,;:!?«»\"'()[]—–")] = None
                break
    return list(found)


def article_warnings(article: Article) -> list[EditorWarning]:
    warnings: list[EditorWarning] = []
    words = mixed_script_words("\n".join((article.title, article.lead, article.body)))
    if words:
        shown = ", ".join(words[:_SHOWN_WORDS]) + (" and more" if len(words) > _SHOWN_WORDS else "")
        warnings.append(
            EditorWarning(
                "mixed_script",
                f"words mix Latin and Cyrillic letters: {shown}; retype them in one alphabet",
            )
        )
    if not article.lead.strip():
        warnings.append(
            EditorWarning(
                "no_lead",
                "the article has no lead: the summary comes from its first paragraphs",
            )
        )
    if not article.image:
        warnings.append(
            EditorWarning("no_image", "the article has no image: the post shows the page preview")
        )
    if len(article.title) > TITLE_MAX:
        warnings.append(
            EditorWarning(
                "long_title",
                f"the title has {len(article.title)} characters, over {TITLE_MAX}: shorten it",
            )
        )
    warnings += [
        EditorWarning(code, NOTES.get(code, "{}").format(detail)) for code, detail in article.notes
    ]
    return warnings


# What ingest and extraction changed or could not find (Article.notes), by code:
# "{}" is the note's detail.
NOTES = {
    "image_refused": "the image was not used ({}): the post goes out without it",
    "field_capped": "a field was too long for any real article and was cut ({})",
    "bad_bytes": "the feed sent bytes that are not valid {} in this item; they show as "
    "\ufffd: check the title and the lead",
    "title_suffix_removed": "the page's title carried more than the headline; taken off: "
    "{} (check the title)",
    "summary_from_body": "the summary comes from the article's first paragraphs, as the "
    "page has no usable description ({}): check that it reads as a lead",
    "summary_cut": "the summary ends where the site cut its description short ({}): "
    "write a lead if the post should say more",
    "no_date": "no publication date was found ({}): the post shows none",
    "tags_dropped": "page keywords that are no topics were left out of the hashtags: {}",
}


def summary_warnings(summary: Summary, dropped: tuple[str, ...]) -> list[EditorWarning]:
    """The summary lost sentences and kept fewer than two (or a cut one); parts went."""
    warnings: list[EditorWarning] = []
    shortened = summary.truncated_sentence or summary.sentences_used < summary.sentences_available
    if summary.cut and shortened and summary.sentences_used < MIN_SENTENCES:
        kept = (
            "the first sentence, cut"
            if summary.truncated_sentence
            else f"{summary.sentences_used} of {summary.sentences_available} sentences"
        )
        warnings.append(
            EditorWarning(
                "summary_cut",
                f"the summary was cut to {kept} to fit the post: a shorter lead would read better",
            )
        )
    if dropped:
        warnings.append(
            EditorWarning(
                "parts_dropped",
                f"to fit the platform's limit the post lost: {', '.join(dropped)}",
            )
        )
    return warnings
