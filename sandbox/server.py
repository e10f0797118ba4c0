"""Both sandbox servers together: in-process for tests and the demo, or standalone
(`newsbot sandbox`) for trying templates by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.facebook import FacebookSandbox
from sandbox.telegram import TelegramSandbox


@dataclass
class Sandbox:
    telegram: TelegramSandbox
    facebook: FacebookSandbox
    # aiogram: TelegramAPIServer.from_base(telegram_base) -> {base}/bot{token}/{method}
    telegram_base: str
    # Graph: {graph_url}/{version}/{path}, e.g. {graph_url}/v24.0/{page-id}/feed
    graph_url: str

    async def close(self) -> None:
        await self.telegram.close()
        await self.facebook.close()


async def start_sandbox(
    *, host: str = "127.0.0.1", telegram_port: int = 0, facebook_port: int = 0
) -> Sandbox:
    """Start both servers on `host`; port 0 picks a free port."""
    telegram = TelegramSandbox()
    facebook = FacebookSandbox()
    telegram_base = await telegram.start(host, telegram_port)
    try:
        graph_url = await facebook.start(host, facebook_port)
    except BaseException:
        await telegram.close()
        raise
    return Sandbox(telegram, facebook, telegram_base, graph_url)


async def run_standalone(
    host: str, telegram_port: int, facebook_port: int, out: Callable[[str], None] = print
) -> None:
    """Serve both sandboxes until cancelled, after printing where."""
    sandbox = await start_sandbox(
        host=host, telegram_port=telegram_port, facebook_port=facebook_port
    )
    try:
        out(f"Telegram Bot API sandbox: {sandbox.telegram_base}/bot<token>/<method>")
        out(f"Facebook Graph API sandbox: {sandbox.graph_url}/v24.0/<page-id>/feed")
        for name, base in (("Telegram", sandbox.telegram_base), ("Facebook", sandbox.graph_url)):
            out(
                f"{name} control: GET {base}/_sandbox/posts, GET {base}/_sandbox/calls, "
                f"POST {base}/_sandbox/faults (a Fault as JSON), POST {base}/_sandbox/reset"
            )
        out(f"Telegram updates: POST {sandbox.telegram_base}/_sandbox/updates (an Update as JSON)")
        out("Stop with Ctrl+C.")
        await asyncio.Event().wait()
    finally:
        await sandbox.close()
