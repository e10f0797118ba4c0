"""Start-up validation: every mistake is one sentence naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import default_platforms, known_settings
from bot.cli import main
from bot.config import ConfigError, Settings, load_config, load_settings, platform_settings

GOOD = """
[[feeds]]
id = "profit"
url = "https://profit.kz/rss/"
interval = 60

[[channels]]
id = "tg-main"
kind = "telegram"
chat = "@profitkz"

[[channels]]
id = "fb-page"
kind = "facebook"
page_id = "1234567890"
token_env = "FACEBOOK_PAGE_TOKEN"
"""


PLATFORMS = default_platforms()


def settings_for(path: Path) -> Settings:
    return Settings(_env_file=None, NEWSBOT_CONFIG=path)  # type: ignore[call-arg]


def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    load_config(PLATFORMS, settings_for(path))


def test_the_example_config_shipped_with_the_project_loads() -> None:
    config = load_config(
        PLATFORMS, settings_for(Path(__file__).parents[2] / "newsbot.example.toml")
    )
    assert [c.kind for c in config.channels] == ["telegram", "facebook"]
    assert config.feeds[0].backfill == 0
    assert [c.id for c in config.active_channels] == ["tg-main", "fb-page"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace('chat = "@profitkz"', ""), "channels[0]: chat is required but missing"),
        (GOOD.replace('kind = "facebook"', 'kind = "vk"'), "unknown kind 'vk'"),
        (GOOD.replace("interval = 60", "interval = 0"), "feeds.0.interval"),
        (GOOD.replace('url = "https://profit.kz/rss/"', 'url = "profit.kz"'), "feeds.0.url"),
        (
            GOOD + '\n[[channels]]\nid = "tg-main"\nkind = "telegram"\nchat = "@other_chan"\n',
            "used twice",
        ),
        (GOOD.replace('page_id = "1234567890"', 'page_id = "my page"'), "page_id"),
        (GOOD.replace("interval = 60", "intervall = 60"), "intervall is not a known setting"),
        ("[[feeds]\n", "is not valid TOML"),
        ('[[feeds]]\nid = "f"\nurl = "https://x.kz/rss"\n', "has no [[channels]]"),
    ],
)
def test_a_bad_config_file_is_one_sentence_naming_the_setting(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message


def test_a_missing_config_file_says_which_variable_to_set(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NEWSBOT_CONFIG"):
        load_config(PLATFORMS, settings_for(tmp_path / "nope.toml"))


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_WORKERS", "many")
    with pytest.raises(ConfigError, match="NEWSBOT_WORKERS"):
        load_settings(_env_file=None)


def test_a_bad_platform_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    # each platform reads its own settings; a mistake there is the same one sentence
    monkeypatch.setenv("FACEBOOK_API_VERSION", "24")
    with pytest.raises(ConfigError, match="FACEBOOK_API_VERSION"):
        platform_settings(PLATFORMS, _env_file=None)


def test_an_unknown_kind_names_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text(GOOD.replace('kind = "telegram"', 'kind = "compose"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown kind 'compose': use one of \"telegram\""):
        load_config(PLATFORMS, settings_for(path))


def test_newsbot_run_with_a_bad_config_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('kind = "telegram"', 'kind = "telegramm"'), encoding="utf-8")
    monkeypatch.setenv("NEWSBOT_CONFIG", str(bad))
    monkeypatch.chdir(tmp_path)  # no .env here
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("newsbot: ") and "telegramm" in err and len(err.splitlines()) == 1


def test_env_example_lists_every_setting() -> None:
    text = (Path(__file__).parents[2] / ".env.example").read_text(encoding="utf-8")
    listed = {
        line.lstrip("# ").split("=", 1)[0]
        for line in text.splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    # the service's, the editors' bot's and every platform's own settings
    aliases = known_settings(PLATFORMS)
    assert aliases <= listed, f"missing from .env.example: {sorted(aliases - listed)}"


def test_a_template_file_is_read_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "tg.html.j2").write_text("<b>{{ title }}</b>\n{{ url }}")
    path = tmp_path / "newsbot.toml"
    path.write_text(
        GOOD.replace(
            'chat = "@profitkz"', 'chat = "@profitkz"\ntemplate_file = "templates/tg.html.j2"'
        )
    )
    config = load_config(PLATFORMS, settings_for(path))
    assert config.channels[0].template == "<b>{{ title }}</b>\n{{ url }}"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('template_file = "missing.j2"', "template_file"),
        ('template_file = "t.j2"\ntemplate = "x"', "template_file and template are both set"),
        ('template = "<p>{{ title }}</p>"', 'Telegram refuses: Unsupported start tag "p"'),
        ('template = "{{ summary | nosuchfilter }}"', "does not compile at line 1"),
        ("hashtags = 31", "hashtags"),
        ('utm = "utm_source=x"', "utm"),
    ],
)
def test_a_bad_post_setting_is_one_sentence(tmp_path: Path, extra: str, expected: str) -> None:
    (tmp_path / "t.j2").write_text("{{ title }}")
    with pytest.raises(ConfigError) as info:
        load(tmp_path, GOOD.replace('chat = "@profitkz"', f'chat = "@profitkz"\n{extra}'))
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_an_unknown_time_zone_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="'Mars/Olympus' is not a time zone name"):
        load_settings(_env_file=None)
