"""A newcomer's install: `python3 -m venv v && v/bin/pip install .` with the pip that
ships with Python (not upgraded), then `newsbot preview FILE --json` on the fixture.

Regression: with Python 3.11's bundled pip 23.x the install gave a newsbot that died
at start (ImportError: lxml.html.clean module is now a separate project).
"""

from __future__ import annotations

import ensurepip
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "profit-kz-article.html"

pytestmark = pytest.mark.install


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_install_with_the_bundled_pip_gives_a_working_newsbot(tmp_path: Path) -> None:
    python = getattr(sys, "_base_executable", sys.executable)  # not this test's venv
    venv = tmp_path / "v"
    run(python, "-m", "venv", venv)
    pip_version = run(venv / "bin" / "pip", "--version").split()[1]
    assert pip_version == ensurepip.version()  # the bundled pip, not an upgraded one
    run(venv / "bin" / "pip", "install", "--quiet", ROOT)
    out = run(venv / "bin" / "newsbot", "preview", FIXTURE, "--json", cwd=tmp_path)
    previews = json.loads(out)
    assert [p["kind"] for p in previews] == ["telegram", "facebook"]
    assert all(not p["error"] and p["length"] > 100 for p in previews)
    assert "Туркменистан" in previews[0]["text"]
