"""How `newsbot doctor` shows its checks: one line per check for humans (verdict, name,
what was found; the advice on the next line when it is not ok), or a JSON list of check
objects for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.doctor.model import Check, Level

VERDICTS = {Level.OK: "ok", Level.WARN: "warn", Level.FAIL: "FAIL"}


def as_text(checks: Sequence[Check]) -> str:
    width = max((len(c.name) for c in checks), default=0)
    lines: list[str] = []
    for check in checks:
        lines.append(f"{VERDICTS[check.level]:<4}  {check.name:<{width}}  {check.detail}")
        if check.level is not Level.OK and check.advice:
            lines.append(f"{'':<4}  {'':<{width}}  → {check.advice}")
    counts = {level: sum(c.level is level for c in checks) for level in Level}
    lines.append(
        f"\n{_count(len(checks), 'check')}: {counts[Level.OK]} ok, "
        f"{_count(counts[Level.WARN], 'warning')}, {counts[Level.FAIL]} failed"
    )
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def as_json(checks: Sequence[Check]) -> str:
    return json.dumps([c.to_dict() for c in checks], ensure_ascii=False, indent=2)
