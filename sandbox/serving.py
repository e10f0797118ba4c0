"""Every sandbox server listens the same way: an aiohttp application on a loopback
port (0: a free one), no access log, closed by cleaning its runner up."""

from __future__ import annotations

from aiohttp import web


async def listen(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """The started runner and the base URL it answers at."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, f"http://{host}:{runner.addresses[0][1]}"


async def unlisten(runner: web.AppRunner | None) -> None:
    if runner is not None:
        await runner.cleanup()
