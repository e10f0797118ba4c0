"""Several newsrooms on one deployment (NEWSBOT_NEWSROOMS): each its own settings,
tokens, keys, routes and workers; one process, one Redis, one server. Real Redis, the
sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.app import open_service, platforms_for, settings_models
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import Article, State
from bot.newsrooms import Newsroom, load_newsrooms
from bot.service import App, Service
from bot.settings import ConfigError, Settings, load_from
from sandbox import Fault, Sandbox
from tests.bot.test_cli import newsbot
from tests.conftest import BOT_TOKEN, FIXTURES, FeedServer

BOARD_TOKENS = {n: f"board-token-of-{n}-0123456789" for n in ("alpha", "beta", "gamma")}


def process_env(folder: Path, sandbox: Sandbox | None = None, **more: str) -> dict[str, str]:
    """The process's environment: Redis and the server are the process's; the process's own
    TELEGRAM_BOT_TOKEN must reach no newsroom."""
    env = {
        "NEWSBOT_NEWSROOMS": str(folder),
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "NEWSBOT_ALLOW_PRIVATE_NETWORKS": "true",
        "NEWSBOT_FETCH_PAGES": "false",
        "NEWSBOT_HTTP_HOST": "127.0.0.1",
        "NEWSBOT_HTTP_PORT": "0",
        "NEWSBOT_DOCTOR_HOURS": "0",
        "NEWSBOT_RETRY_BASE_SECONDS": "0.05",
        "NEWSBOT_WORKERS": "2",
    }
    if sandbox is not None:
        env |= {"TELEGRAM_API_BASE": sandbox.telegram_base, "FACEBOOK_GRAPH_URL": sandbox.graph_url}
    return env | more


def write_room(folder: Path, name: str, channels: str, **env: str) -> None:
    (folder / f"{name}.toml").write_text(channels, encoding="utf-8")
    if env:
        lines = "".join(f"{k}={v}\n" for k, v in env.items())
        (folder / f"{name}.env").write_text(lines, encoding="utf-8")


def tg(chat: str) -> str:
    return f'[[channels]]\nid = "tg"\nkind = "telegram"\nchat = "{chat}"\n'


def fb(page_id: str, token_env: str) -> str:
    page = f'page_id = "{page_id}"\ntoken_env = "{token_env}"\n'
    return '[[channels]]\nid = "fb"\nkind = "facebook"\n' + page


def rooms_of(env: Mapping[str, str]) -> tuple[Newsroom, ...]:
    settings = load_from(Settings, env, "test")
    platforms = platforms_for(settings)
    return load_newsrooms(platforms, settings, env, settings_models(platforms))


def bot_token(room: Newsroom) -> str | None:
    token = getattr(room.config.platform_settings["telegram"], "bot_token", None)
    return None if token is None else str(token.get_secret_value())


def test_each_newsroom_reads_its_own_file_and_no_other_newsrooms_secrets(tmp_path: Path) -> None:
    token = "111:alpha-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    write_room(tmp_path, "alpha", tg("@alpha_news"), TELEGRAM_BOT_TOKEN=token,
               NEWSBOT_TIMEZONE="Europe/Berlin", EDITOR_IDS="42")  # fmt: skip
    write_room(tmp_path, "beta", fb("200", "BETA_PAGE_TOKEN"), BETA_PAGE_TOKEN="EAAbeta")
    env = process_env(tmp_path, EDITOR_IDS="7", BETA_PAGE_TOKEN="process-page-token")
    alpha, beta = rooms_of(env)
    assert (alpha.name, alpha.prefix, alpha.config.settings.namespace) == (
        "alpha",
        "/n/alpha",
        "alpha",
    )
    assert bot_token(alpha) == token
    assert alpha.config.settings.timezone == "Europe/Berlin" and alpha.env["EDITOR_IDS"] == "42"
    # beta set no bot token, no editors: the process's are not its
    assert bot_token(beta) is None and "EDITOR_IDS" not in beta.env
    assert beta.env["BETA_PAGE_TOKEN"] == "EAAbeta"  # its own .env, not the process's
    assert beta.config.settings.timezone == "Asia/Almaty"  # not alpha's
    assert [c.id for c in beta.config.channels] == ["fb"]
    assert beta.config.settings.workers == 2  # a plain setting is inherited


def test_a_newsroom_may_not_set_the_process_settings(tmp_path: Path) -> None:
    write_room(tmp_path, "alpha", tg("@alpha_news"), NEWSBOT_HTTP_PORT="9999")
    with pytest.raises(
        ConfigError, match=r"alpha\.env: NEWSBOT_HTTP_PORT is a setting of the whole process"
    ):
        rooms_of(process_env(tmp_path))


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds no <name>.toml"),
        ({"Bad Name.toml": tg("@room_a")}, "a newsroom's name is 1-32 lower-case"),
        ({"a.toml": tg("@room_a"), "a.env": "NEWSBOT_TIMEZON=UTC\n"}, "mean NEWSBOT_TIMEZONE"),
        ({"a.toml": tg("@room_a"), "b.toml": tg("@room_b"), "b.env": "NEWSBOT_NAMESPACE=a\n"},
         "newsrooms 'a' and 'b' share the namespace 'a'"),
        ({"a.toml": "[[channels]]\nid = 1\n"}, r"a\.toml: channels\[0\] has no kind"),
    ],
)  # fmt: skip
def test_a_broken_newsrooms_folder_is_one_sentence(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        rooms_of(process_env(tmp_path))


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        rooms_of(process_env(tmp_path / "nope"))


def article(name: str, n: int) -> Article:
    return Article(
        id=uuid.uuid4().hex[:16], url=f"https://{name}.kz/news/{n}-{uuid.uuid4().hex[:6]}",
        title=f"Новость {name} номер {n}", lead="Короткий лид о событии дня. " * 3,
    )  # fmt: skip


@asynccontextmanager
async def three_newsrooms(
    tmp_path: Path,
    redis_url: str,
    sandbox: Sandbox,
    namespaces: Mapping[str, str] | None = None,
    **more: str,
) -> AsyncIterator[Service]:
    """alpha, beta and gamma: each a Telegram channel and a Page of its own, its own bot
    token, board token and push secret; `namespaces` by name (default: name-<random>)."""
    run = uuid.uuid4().hex[:6]
    namespaces = namespaces or {n: f"{n}-{run}" for n in ("alpha", "beta", "gamma")}
    for n, name in enumerate(("alpha", "beta", "gamma")):
        page, token = f"30000000000000{n}", f"EAApage-of-{name}-{run}"
        sandbox.facebook.add_page(page, token)
        write_room(
            tmp_path, name, tg(f"@{name}_news") + fb(page, "PAGE_TOKEN"),
            NEWSBOT_NAMESPACE=namespaces[name], PAGE_TOKEN=token,
            TELEGRAM_BOT_TOKEN=f"{100 + n}:{name}-bot-token-ABCDEFGHIJKLMNOPQRSTU",
            NEWSBOT_BOARD_TOKEN=BOARD_TOKENS[name],
            NEWSBOT_INGEST_SECRET=f"push-secret-{name}-0123456789",
        )  # fmt: skip
    env = process_env(tmp_path, sandbox, REDIS_URL=redis_url, **more)
    async with open_service(rooms_of(env), editors_bot=False) as service:
        stop = asyncio.Event()
        runner = asyncio.create_task(service.run(stop, poll_feeds=False))
        try:
            yield service
        finally:
            stop.set()
            await runner


def article_in(sandbox: Sandbox, item: Article) -> set[str | None]:
    """The Telegram chats a post of `item` went to."""
    return {
        p.chat_username for p in sandbox.telegram.posts if item.title in (p.caption or p.text or "")
    }


async def settled(app: App, ids: list[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        found = [d for aid in ids for d in await app.store.deliveries(aid)]
        if found and all(d.state.is_settled for d in found):
            return
        assert time.monotonic() < deadline, f"{app.name} not finished: {found}"
        await asyncio.sleep(0.02)


async def test_three_newsrooms_share_a_process_and_nothing_else(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with three_newsrooms(tmp_path, redis_server.url, sandbox) as service:
        alpha, beta, gamma = (service.apps[n] for n in ("alpha", "beta", "gamma"))
        posted = {name: article(name, 1) for name in service.apps}
        for name, app in service.apps.items():
            await app.ingest.submit(posted[name])
        for name, app in service.apps.items():
            await settled(app, [posted[name].id])
        # each newsroom's article went to its own channel and Page only
        for n, name in enumerate(("alpha", "beta", "gamma")):
            chats = {
                p.chat_username
                for p in sandbox.telegram.posts
                if posted[name].title in (p.caption or p.text or "")
            }
            assert chats == {f"{name}_news"}
            (page_post,) = sandbox.facebook.posts_on(f"30000000000000{n}")
            assert posted[name].title in (page_post.message or "")
        # the editors pause beta: beta waits, alpha and gamma go on
        await beta.store.editors.set_paused("editor")
        late = {name: article(name, 2) for name in service.apps}
        for name, app in service.apps.items():
            await app.ingest.submit(late[name])
        await settled(alpha, [late["alpha"].id])
        await settled(gamma, [late["gamma"].id])
        assert all(d.state is not State.SENT for d in await beta.store.deliveries(late["beta"].id))
        assert await alpha.store.deliveries(late["beta"].id) == []  # not alpha's article
        # every key of a newsroom carries its namespace's hash tag: one slot each
        for app in service.apps.values():
            tag = "{" + app.config.settings.namespace + "}"
            keys = [k async for k in app.redis.scan_iter(match=f"*{tag}*")]
            assert len(keys) > 5
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{service.web.port}"
            bearer = {"Authorization": f"Bearer {BOARD_TOKENS['alpha']}"}
            async with http.get(f"{base}/n/alpha/board", headers=bearer) as page:
                html = await page.text()
                assert page.status == 200 and "alpha" in html
            assert posted["alpha"].title in html and posted["beta"].title not in html
            async with http.get(f"{base}/n/beta/board", headers=bearer) as other:
                assert other.status == 401  # alpha's token opens alpha's board only
            async with http.get(f"{base}/board", headers=bearer) as none:
                assert none.status == 404
            async with http.post(f"{base}/n/beta/ingest", data=b"{}") as push:
                assert push.status == 401  # unsigned
            async with http.get(f"{base}/metrics") as metrics:
                text = await metrics.text()
        for name, count in (("alpha", 2), ("beta", 1), ("gamma", 2)):
            labels = f'channel="tg",newsroom="{name}",state="sent"'
            assert f"newsbot_deliveries_total{{{labels}}} {count}.0" in text
        assert 'newsbot_paused{newsroom="beta"} 1.0' in text
        assert 'newsbot_paused{newsroom="alpha"} 0.0' in text


async def test_a_flood_in_one_newsroom_does_not_hold_back_another(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    # alpha floods Telegram, slowed to 0.3 s a call; beta posts to its Page meanwhile
    sandbox.telegram.faults.add(Fault("timeout", times=10_000, delay=0.3))
    async with three_newsrooms(
        tmp_path, redis_server.url, sandbox, NEWSBOT_RATE_LIMITS="false"
    ) as service:
        alpha, beta = service.apps["alpha"], service.apps["beta"]
        flood = [article("alpha", n) for n in range(200)]
        for item in flood:
            await alpha.ingest.submit(item, channels=("tg",))
        ours = article("beta", 1)
        await beta.ingest.submit(ours, channels=("fb",))
        await settled(beta, [ours.id], timeout=10)
        sent = [
            d
            for aid in [a.id for a in flood]
            for d in await alpha.store.deliveries(aid)
            if d.state is State.SENT
        ]
    # a queue shared by the newsrooms would have served beta after alpha's 200 posts
    # (2 workers x 0.3 s: 30 s); each newsroom's own workers serve it at once
    assert len(sent) < 50


async def test_newsbot_run_serves_every_newsroom_of_the_folder(
    tmp_path: Path, redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    """`newsbot run` with NEWSBOT_NEWSROOMS: one process posts each newsroom's feed to its
    own channel, logs name the newsroom, `status` shows each."""
    feed_server.body = (FIXTURES / "profit-kz-feed.xml").read_bytes()
    folder, run = tmp_path / "rooms", uuid.uuid4().hex[:6]
    folder.mkdir()
    feed = f'[[feeds]]\nid = "site"\nurl = "{feed_server.url}"\ninterval = 1\nbackfill = 1\n'
    for n, name in enumerate(("alpha", "beta")):
        token = f"{100 + n}:{name}-bot-token-ABCDEFGHIJKLMNOPQRSTU"
        write_room(folder, name, feed + tg(f"@{name}_news"), NEWSBOT_NAMESPACE=f"{name}-{run}",
                   TELEGRAM_BOT_TOKEN=token)  # fmt: skip
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "TELEGRAM_"))},
        **process_env(folder, sandbox, REDIS_URL=redis_server.url),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while {p.chat_username for p in sandbox.telegram.posts} != {"alpha_news", "beta_news"}:
        assert time.monotonic() < deadline and proc.returncode is None
        await asyncio.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    sent = [ln for ln in lines if ln.get("event") == "delivery attempt" and ln["state"] == "sent"]
    assert sorted(ln["newsroom"] for ln in sent) == ["alpha", "beta"]
    assert len(sandbox.telegram.posts) == 2
    code, out_s, err_s = await newsbot(env, tmp_path, "status", "--json")
    assert code == 0, err_s
    assert {n: [r["state"] for r in rows] for n, rows in json.loads(out_s).items()} == {
        "alpha": ["sent"], "beta": ["sent"],
    }  # fmt: skip
    code, _, err_s = await newsbot(env, tmp_path, "status", "--newsroom", "gamma")
    assert code == 2 and "no newsroom 'gamma': use one of alpha, beta" in err_s
