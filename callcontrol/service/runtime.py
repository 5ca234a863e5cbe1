"""The imperative shell: start every part in order, serve until a signal, stop in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from callcontrol.logsetup import get_logger
from callcontrol.settings import Settings
from callcontrol.store.database import Database
from callcontrol.store.migrations import migrate
from callcontrol.web.app import create_app

log = get_logger(__name__)


@dataclass
class Running:
    """What a started service exposes to the demo and the tests."""

    settings: Settings
    database: Database
    http_port: int


@asynccontextmanager
async def database_started(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database)
    try:
        await database.start()
        async with database.connection() as conn:
            await migrate(conn)
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def http_served(app: web.Application, host: str, port: int) -> AsyncIterator[int]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        server = site._server  # the bound port, when 0 asked for any
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        log.info("http listening", url=f"http://{host}:{bound}/")
        yield bound
    finally:
        await runner.cleanup()


@asynccontextmanager
async def service_started(settings: Settings) -> AsyncIterator[Running]:
    async with AsyncExitStack() as stack:
        database = await stack.enter_async_context(database_started(settings))
        app = create_app(settings, database)
        port = await stack.enter_async_context(
            http_served(app, settings.http.host, settings.http.port)
        )
        yield Running(settings=settings, database=database, http_port=port)


async def serve_until_signalled(
    settings: Settings, on_ready: Callable[[Running], None] | None = None
) -> None:
    """Run the service until SIGINT or SIGTERM, then stop every part cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with service_started(settings) as running:
            if on_ready is not None:
                on_ready(running)
            await stop.wait()
            log.info("stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(sig)
    log.info("stopped")
