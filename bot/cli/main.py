"""`newsbot` command line: run, demo, status, preview, doctor, sandbox.

Commands print for humans; the service's own log lines are JSON on stdout
(`run`) or in the data folder (`demo`). A mistake a user can make ends in one
sentence on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import signal
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from redis.exceptions import RedisClusterException, RedisError

from bot.cli.report import article_details, status_rows, status_table
from bot.config import load_config
from bot.infra.logging import Redactor, configure_logging
from bot.infra.redis_embedded import EmbeddedRedisError
from bot.settings import (
    ConfigError,
    Settings,
    load_settings,
    process_env,
    unknown_setting_sentence,
    unknown_settings,
)
from bot.store import Keys, Store

if TYPE_CHECKING:
    from bot.newsrooms import Newsroom

log = structlog.get_logger("cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the service: poll feeds and deliver until SIGTERM/SIGINT")
    run.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="worker processes sharing the work on one Redis (default 1)",
    )  # fmt: skip
    demo = sub.add_parser(
        "demo", help="the whole pipeline on an embedded Redis and the local sandbox"
    )
    demo.add_argument(
        "--data", type=Path, default=Path("var/demo"), help="data folder (default var/demo)"
    )
    demo.add_argument("--fresh", action="store_true", help="forget earlier demo runs first")
    demo.add_argument(
        "--no-wait", action="store_true", help="exit when done, even in a terminal (no board)"
    )
    status = sub.add_parser("status", help="deliveries of recent articles, or of one article")
    status.add_argument("ref", nargs="?", help="an article id or any URL of the article")
    status.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    status.add_argument(
        "--limit", type=int, default=20, help="how many recent articles (default 20)"
    )
    status.add_argument(
        "--newsroom", metavar="NAME", help="only this newsroom (NEWSBOT_NEWSROOMS); default all"
    )
    preview = sub.add_parser(
        "preview", help="what each channel would receive for an article, without posting"
    )
    preview.add_argument("ref", metavar="URL|FILE", help="the article's address or a saved page")
    preview.add_argument(
        "--channel", action="append", metavar="ID", help="only this channel (repeatable)"
    )
    preview.add_argument("--json", action="store_true", help="print a JSON list instead")
    preview.add_argument(
        "--newsroom", metavar="NAME", help="this newsroom's channels (NEWSBOT_NEWSROOMS)"
    )
    doctor = sub.add_parser(
        "doctor", help="check the configuration against Redis, the platforms and the feeds"
    )
    doctor.add_argument("--json", action="store_true", help="print a JSON list of checks")
    sandbox = sub.add_parser("sandbox", help="serve the local Bot API and Graph API stand-ins")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--telegram-port", type=int, default=8081)
    sandbox.add_argument("--facebook-port", type=int, default=8082)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # `run` logs them, `doctor` reports them; the demo reads no env
        if args.command not in ("run", "demo", "doctor"):
            for name, closest in _unknown_settings():
                print(f"newsbot: {unknown_setting_sentence(name, closest)}", file=sys.stderr)
        if args.command == "run":
            if args.workers < 1:
                print("newsbot: --workers must be 1 or more", file=sys.stderr)
                return 2
            return asyncio.run(_run(args.workers))
        if args.command == "demo":
            from bot.cli.demo import run_demo

            return asyncio.run(run_demo(args.data, fresh=args.fresh, wait=not args.no_wait))
        if args.command == "status":
            return asyncio.run(
                _status(args.ref, as_json=args.json, limit=args.limit, only=args.newsroom)
            )
        if args.command == "preview":
            return asyncio.run(
                _preview(args.ref, args.channel or [], as_json=args.json, room=args.newsroom)
            )
        if args.command == "doctor":
            from bot.cli.doctor import run_doctor

            return asyncio.run(run_doctor(json=args.json))
        if args.command == "sandbox":
            return asyncio.run(_sandbox(args.host, args.telegram_port, args.facebook_port))
    except (ConfigError, EmbeddedRedisError) as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except (RedisError, RedisClusterException) as exc:
        print(
            f"newsbot: Redis failed a command ({type(exc).__name__}: {exc}): check that it "
            "is reachable and that the REDIS_URL user may run scripts and streams",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    return 2


def _unknown_settings() -> list[tuple[str, str | None]]:
    from bot.app import known_settings, platforms_for

    return unknown_settings(process_env(), known_settings(platforms_for(load_settings())))


async def _run(processes: int) -> int:
    from bot.app import open_service

    settings = load_settings()
    rooms = _newsrooms(settings)
    redactor = Redactor()
    configure_logging(settings.log_level, redactor)
    for name, closest in _unknown_settings():
        log.warning("unknown setting", setting=name, closest=closest,
                    detail=unknown_setting_sentence(name, closest))  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if processes > 1:
        from bot.infra.supervisor import supervise

        return await supervise(rooms[0].config, processes, stop)
    async with open_service(rooms, redactor=redactor) as service:
        for app in service.apps.values():
            log.info(
                "service started",
                consumer=app.engine.consumer,
                newsroom=app.name,
                namespace=app.config.settings.namespace,
                redis="embedded" if settings.embedded_redis else "configured",
                channels=sorted(app.outlets),
                feeds=[p.feed.id for p in app.pollers],
                workers=app.config.settings.workers,
            )
        # what start-up built (aiogram's models, every module, the clients) lives as long as
        # the process: frozen, the collector no longer walks it on every collection
        # (https://docs.python.org/3/library/gc.html#gc.freeze)
        gc.freeze()
        await service.run(stop)
        log.info("service stopped", consumer=next(iter(service.apps.values())).engine.consumer)
    return 0


def _newsrooms(settings: Settings) -> tuple[Newsroom, ...]:
    """The deployment's newsrooms (NEWSBOT_NEWSROOMS, or the one of NEWSBOT_CONFIG)."""
    from bot.app import platforms_for, settings_models
    from bot.newsrooms import load_newsrooms

    platforms = platforms_for(settings)
    return load_newsrooms(platforms, settings, process_env(), settings_models(platforms))


async def _status(ref: str | None, *, as_json: bool, limit: int, only: str | None) -> int:
    from bot.app import open_redis

    settings = load_settings()
    if settings.newsrooms_dir is not None:
        namespaces = {r.name: r.config.settings.namespace for r in _newsrooms(settings)}
    else:
        namespaces = {settings.namespace: settings.namespace}
    if only is not None:
        if only not in namespaces:
            names = ", ".join(namespaces)
            print(f"newsbot: no newsroom {only!r}: use one of {names}", file=sys.stderr)
            return 2
        namespaces = {only: namespaces[only]}
    found: dict[str, list[dict[str, object]]] = {}
    matched = False
    async with AsyncExitStack() as stack:
        redis, _url = await open_redis(settings, stack, Redactor())
        for name, namespace in namespaces.items():
            store = Store(redis, Keys(namespace))
            ids = [await store.find_article(ref)] if ref else await store.recent_article_ids(limit)
            if ids == [None]:
                continue  # not this newsroom's article
            matched = True
            rows = await status_rows(store, [i for i in ids if i])
            routes = await store.routes(ids[0]) if ref and ids[0] else {}
            if as_json:
                found[name] = [r.to_dict() for r in rows]
                continue
            if len(namespaces) > 1:
                print(f"== {name} ==")
            if rows:
                print(status_table(rows))
                details = article_details(rows, routes) if ref else ""
                if details:
                    print("\n" + details)
            else:
                print("No articles yet.")
    if as_json and (matched or not ref):
        single = len(namespaces) == 1
        print(json.dumps(next(iter(found.values()), []) if single else found,
                         ensure_ascii=False, indent=2))  # fmt: skip
    if ref and not matched:
        print(f"newsbot: no article {ref!r} is known: check the id or URL", file=sys.stderr)
        return 1
    return 0


async def _preview(ref: str, only: list[str], *, as_json: bool, room: str | None) -> int:
    from bot.app import USER_AGENT, platforms_for
    from bot.cli.preview import as_json as json_view
    from bot.cli.preview import as_text as text_view
    from bot.net import make_fetch_session
    from bot.preview import PreviewError, default_channels, load_article, preview

    settings = load_settings()
    platforms = platforms_for(settings)
    if settings.newsrooms_dir is not None:
        rooms = {r.name: r for r in _newsrooms(settings)}
        if room is None and len(rooms) == 1:
            room = next(iter(rooms))
        if room not in rooms:
            names = ", ".join(rooms)
            print(f"newsbot: choose a newsroom with --newsroom: one of {names}", file=sys.stderr)
            return 2
        settings = rooms[room].config.settings
        channels = rooms[room].config.channels
    elif settings.config_path.is_file():
        channels = load_config(platforms, settings).channels
    else:
        channels = default_channels(platforms)
        print(
            f"newsbot: no config file {settings.config_path}: showing the default channels",
            file=sys.stderr,
        )
    known = {c.id: c for c in channels}
    unknown = [c for c in only if c not in known]
    if unknown:
        print(
            f"newsbot: no channel {unknown[0]!r} is configured: use one of {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    chosen = [known[c] for c in only] if only else list(channels)
    session = make_fetch_session(
        allow_private=settings.allow_private_networks, user_agent=USER_AGENT
    )
    async with session:
        try:
            article = await load_article(
                ref, session, allow_private=settings.allow_private_networks,
                timeout=settings.page_timeout, timezone=settings.timezone,
            )  # fmt: skip
        except PreviewError as exc:
            print(f"newsbot: {exc}", file=sys.stderr)
            return 2
    previews = preview(article, chosen, platforms)
    print(json_view(previews) if as_json else text_view(article, previews))
    return 1 if any(p.error for p in previews) else 0


async def _sandbox(host: str, telegram_port: int, facebook_port: int) -> int:
    from sandbox import run_standalone

    with contextlib.suppress(asyncio.CancelledError):
        await run_standalone(host, telegram_port, facebook_port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
