"""What every channel has, whatever its platform: its identity, the words and rules of
its posts, approval, corrections and retractions, routing and timing. Platforms
subclass ChannelConfig with their own keys (a chat, a Page id...); the TOML file's
[[channels]] tables are read into them (bot/config.py).
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A channel's fixed words may be one text, or a table by language (ISO 639-1); the
# defaults speak Russian (the first: for an article of another or unknown language),
# Kazakh and English.
Localized = str | dict[str, str]
READ_MORE: dict[str, str] = {"ru": "Читать далее", "kk": "Толығырақ", "en": "Read more"}
RETRACTED_TEXT: dict[str, str] = {
    "ru": "Материал снят с публикации.",
    "kk": "Материал жарияланымнан алынды.",
    "en": "This article has been withdrawn.",
}


def localized(value: Localized, lang: str | None) -> str:
    """`value` in the article's language: its own entry, else the table's first."""
    if isinstance(value, str):
        return value
    return value.get(lang or "", next(iter(value.values())))


class ChannelConfig(BaseModel):
    """Settings every channel has; platforms subclass it with their own keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    kind: str
    enabled: bool = True
    feeds: tuple[str, ...] = ()  # feed ids this channel takes; empty = every feed
    # After an ambiguous answer on a platform that cannot reconcile (Telegram cannot
    # list a channel's posts): send again, accepting a rare duplicate, or hold the
    # delivery for the editors. Platforms that can reconcile always check.
    ambiguous: Literal["resend", "hold"] = "resend"
    # Editors approve each post first; with a timeout (seconds) a post nobody decided
    # on goes out by itself.
    approval: bool = False
    approval_timeout: float | None = Field(None, gt=0, le=7 * 86400)
    # The post: a Jinja2 template, inline or from a file (`template_file`, read by the
    # config loader), else the platform's default.
    template: str | None = Field(None, max_length=20_000)
    read_more: Localized = Field(default_factory=lambda: dict(READ_MORE))
    hashtags: int = Field(8, ge=0, le=30)  # at most this many of the article's tags
    hashtags_deny: tuple[str, ...] = ()  # never these tags as hashtags
    hashtags_allow: tuple[str, ...] = ()  # when set, only these
    utm: dict[str, str] = Field(default_factory=dict)  # added to the article's link
    signature: str = Field("", max_length=200)
    summary_max: int = Field(700, ge=0, le=4000)  # code points of the summary, at most
    # A correction of a posted article: edit the post in place, ask the editors first,
    # or leave the post as it is (a platform without EDIT always leaves it).
    on_update: Literal["edit", "approve", "ignore"] = "edit"
    # What a retracted post says when it can no longer be deleted (Telegram: after 48 h).
    retracted_text: Localized = Field(default_factory=lambda: dict(RETRACTED_TEXT))
    # A posted article's page is checked for this long (410, or 404 twice 10 minutes
    # apart: gone); `auto_retract` retracts it by itself instead of asking the editors.
    recheck_hours: float = Field(48.0, ge=0, le=24 * 30)
    auto_retract: bool = False
    # Routing (bot/routing.py), all optional, combined with AND.
    languages: tuple[str, ...] = ()  # ISO 639-1 codes
    sections: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    keywords_any: tuple[str, ...] = ()  # words or phrases, whole words, case aside
    keywords_none: tuple[str, ...] = ()
    # Timing (bot/timing.py), in `timezone` (default NEWSBOT_TIMEZONE).
    timezone: str | None = None
    quiet_hours: str | None = None  # "23:00-07:00"
    quiet_mode: Literal["defer", "silent"] = "defer"
    delay: float = Field(0.0, ge=0, le=7 * 24 * 60)  # minutes after publication
    min_spacing: float = Field(0.0, ge=0, le=86400)  # seconds between two posts
    breaking_tags: tuple[str, ...] = ()  # skip delay, quiet hours and spacing
    breaking_keywords: tuple[str, ...] = ()

    @field_validator("languages")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not (2 <= len(code) <= 3 and code.isalpha() and code.islower()) for code in value):
            raise ValueError('must be ISO 639-1 codes like ["kk", "ru"]')
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not a time zone name like Asia/Almaty") from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is not None:
            from bot.timing import quiet_window

            quiet_window(value)  # ValueError with the sentence
        return value

    @field_validator("read_more", "retracted_text")
    @classmethod
    def _words(cls, value: Localized) -> Localized:
        texts = [value] if isinstance(value, str) else list(value.values())
        if not texts or any(not 1 <= len(t.strip()) <= 200 for t in texts):
            raise ValueError("must be a text of 1-200 characters, or a table of them by language")
        if isinstance(value, dict) and any(not (2 <= len(k) <= 3 and k.isalpha()) for k in value):
            raise ValueError('a table by language uses ISO codes: { ru = "…", kk = "…" }')
        return value
