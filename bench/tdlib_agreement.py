"""How often the sandbox's HTML parse mode shows what Telegram would, judged by TDLib.

For each seeded hostile input (tests/sandbox/tdlib.py, the same generator as the
differential test) TDLib gives what a Bot API message would show: the refusal of
`parseTextEntities`, or its text and entities after `fix_formatted_text` and the
trim. The sandbox's public `parse_html` agrees when it refuses with the same words
or shows the same text and entities. Inputs whose text TDLib's parseMarkdown would
rewrite (tdlib.markdown_neutral) cannot be judged offline and are counted apart.

`--rev REV` judges the sandbox as it was at a git revision instead (its `sandbox/`
package from `git archive`), for a before/after figure:

    .venv/bin/python bench/tdlib_agreement.py --cases 20000 --rev d5ca644
    .venv/bin/python bench/tdlib_agreement.py --cases 20000

Needs libtdjson.so: run .ci/install-tdlib first.
"""

from __future__ import annotations

import argparse
import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sandbox.tdlib import (  # noqa: E402
    TdError,
    hostile_html,
    inputs,
    load,
    markdown_neutral,
    trimmed,
)

SEED = 20261130  # the differential test's


def _sandbox_at(rev: str | None, folder: Path) -> Any:
    """sandbox.tghtml of the working tree, or of `rev` unpacked into `folder`."""
    if rev:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "sandbox"],
            check=True,
            capture_output=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        sys.path.insert(0, str(folder))
    return importlib.import_module("sandbox.tghtml")


def _shape(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    same = []
    for e in entities:
        e = dict(e)
        if "user" in e:
            e["user"] = {"id": e["user"]["id"]}
        same.append(e)
    return text, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rev", help="judge the sandbox of this git revision")
    parser.add_argument("--show", type=int, default=0, help="print this many disagreements")
    args = parser.parse_args()
    td = load()
    if td is None:
        sys.exit("libtdjson.so is not installed: run .ci/install-tdlib")
    with tempfile.TemporaryDirectory() as folder:
        tghtml = _sandbox_at(args.rev, Path(folder))
        started = time.perf_counter()
        tally: Counter[str] = Counter()
        shown = 0
        for html in inputs(hostile_html, args.cases, args.seed):
            try:
                raw = td.parse_raw(html)
                if not markdown_neutral(raw["text"]):
                    tally["not judged"] += 1
                    continue
                fixed = trimmed(td.fix(raw))
                theirs: object = _shape(fixed.text, fixed.entities)
            except TdError as exc:
                theirs = ("refused", exc.description)
            try:
                parsed = tghtml.parse_html(html)
                ours: object = _shape(parsed.text, parsed.entities)
            except tghtml.HtmlParseError as exc:
                ours = ("refused", exc.description)
            if ours == theirs:
                tally["agree"] += 1
                continue
            tally["differ"] += 1
            if shown < args.show:
                shown += 1
                print(f"{html!r}\n  sandbox {ours!r}\n  tdlib   {theirs!r}")
        elapsed = time.perf_counter() - started
    judged = tally["agree"] + tally["differ"]
    print(
        f"sandbox {args.rev or 'working tree'} ({Path(tghtml.__file__).parent}) vs TDLib: "
        f"{tally['agree']}/{judged} agree ({100 * tally['agree'] / max(judged, 1):.2f}%), "
        f"{tally['not judged']} of {args.cases} not judged, seed {args.seed}, {elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()
