"""`newsbot demo` end to end, twice on one data folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.cli import main


def test_demo_delivers_everything_once_then_nothing_new(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "demo"
    try:
        assert main(["demo", "--data", str(data)]) == 0
        first = capsys.readouterr().out
        assert main(["demo", "--data", str(data)]) == 0
        second = capsys.readouterr().out
    finally:
        logging.getLogger().handlers.clear()
    # 6 feed items, two of them the same article: 5 articles x 2 channels
    assert "5 new articles (1 duplicate listing merged)" in first
    assert "10 of 10 deliveries sent" in first
    assert first.count("── tg-main · sent") == 5 and first.count("── fb-page · sent") == 5
    assert "attempt 2" in first  # the injected 429 was retried
    assert "Kaspi & Halyk: правила для P2P-переводов <свыше 1 млн тенге>" in first
    assert "Тег <b> в описании" in first
    assert "Nothing new to deliver" in second and "304 Not Modified" in second
    assert second.count(" sent ") >= 10  # the table of what the first run delivered
    assert (data / "appendonlydir").exists() or list(data.glob("*.aof"))
