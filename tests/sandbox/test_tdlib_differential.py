"""The sandbox's HTML parse mode agrees with TDLib itself on hostile inputs, and the
product's `measure` counts entities as Telegram does.

TDLib (tests/sandbox/tdlib.py) answers three questions for each generated input:
1. `parseTextEntities`, exactly what the Bot API server runs: the same text and
   entities as `sandbox.tghtml.parse_entities`, or the same refusal in the Bot API's
   words. Every input is compared.
2. `fix_formatted_text` (through `parseMarkdown`): the same as `sandbox.tghtml.fixed`,
   for the inputs whose text parseMarkdown leaves alone (tdlib.markdown_neutral).
3. With the trim applied (tdlib.trimmed): the same as `sandbox.tghtml.parse_html`,
   what the sandbox's Bot API stand-in shows.

Inputs come from a seeded generator (the same ones on every run): nested, crossed
and unclosed tags with odd attributes and quoting, links of every kind, HTML
entities, control characters, LRM/RLM runs, astral characters, whitespace. NUL is
left out: TDLib's JSON interface cuts a string at it, which a Bot API request does not.
Runs without libtdjson.so are skipped, except in CI, which installs it
(.ci/install-tdlib) and must not skip this silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from publishers.telegram.html import measure
from sandbox.tgentities import count_entities, from_json
from sandbox.tghtml import HtmlParseError, ParsedText, fixed, parse_entities, parse_html
from tests.sandbox.tdlib import (
    TdError,
    TdJson,
    TdText,
    hostile_html,
    inputs,
    load,
    markdown_neutral,
    product_html,
    trimmed,
)

pytestmark = pytest.mark.tdlib

CASES = int(os.environ.get("NEWSBOT_TDLIB_CASES", "20000"))
SEED = 20261130


# --- comparing ---


def _shape(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Both sides' entities as plain dicts; a text_mention's user compared by id."""
    same = []
    for e in entities:
        e = dict(e)
        if "user" in e:
            e["user"] = {"id": e["user"]["id"]}
        same.append(e)
    return text, same


def _sandbox(step: Callable[[], ParsedText]) -> object:
    try:
        parsed = step()
    except HtmlParseError as exc:
        return ("refused", exc.description)
    return _shape(parsed.text, parsed.entities)


def _tdlib(step: Callable[[], TdText]) -> object:
    try:
        parsed = step()
    except TdError as exc:
        return ("refused", exc.description)
    return _shape(parsed.text, parsed.entities)


def disagreements(td: TdJson, html: str) -> list[str]:
    """What the sandbox does differently from TDLib with `html`, step by step."""
    theirs = _tdlib(lambda: td.parse_html(html))
    ours = _sandbox(lambda: parse_entities(html))
    if ours != theirs:
        return [f"parse: sandbox {ours!r} != tdlib {theirs!r}"]
    if isinstance(theirs, tuple) and theirs[0] == "refused":
        return []
    raw = td.parse_raw(html)
    if not markdown_neutral(raw["text"]):
        return []
    found = []
    fixed_theirs = _tdlib(lambda: td.fix(raw))
    fixed_ours = _sandbox(lambda: fixed(parse_entities(html)))
    if fixed_ours != fixed_theirs:
        found.append(f"fix: sandbox {fixed_ours!r} != tdlib {fixed_theirs!r}")
    shown_theirs = _tdlib(lambda: trimmed(td.fix(raw)))
    shown_ours = _sandbox(lambda: parse_html(html))
    if shown_ours != shown_theirs:
        found.append(f"shown: sandbox {shown_ours!r} != tdlib {shown_theirs!r}")
    return found


@pytest.fixture(scope="module")
def td() -> TdJson:
    loaded = load()
    if loaded is None:
        reason = "TDLib's libtdjson.so is not installed: run .ci/install-tdlib (needs npm)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run it before the tests")
        pytest.skip(reason + " or set NEWSBOT_TDJSON")
    return loaded


def test_sandbox_parses_html_as_tdlib_does(td: TdJson) -> None:
    failures = []
    for html in inputs(hostile_html, CASES, SEED):
        for problem in disagreements(td, html):
            failures.append(f"{html!r}\n    {problem}")
    assert not failures, f"{len(failures)} of {CASES} inputs differ:\n" + "\n".join(failures[:10])


def test_measure_counts_entities_as_telegram_does(td: TdJson) -> None:
    failures = []
    for html in inputs(product_html, CASES // 4, SEED + 1):
        raw = td.parse_raw(html)
        if not markdown_neutral(raw["text"]):
            continue
        fixed_theirs = trimmed(td.fix(raw))
        telegram = count_entities([from_json(e) for e in fixed_theirs.entities])
        ours = measure(html)
        if ours.error or ours.entities != telegram:
            failures.append(f"{html!r}: measure {ours} != telegram {telegram}")
    assert not failures, f"{len(failures)} differ:\n" + "\n".join(failures[:10])
