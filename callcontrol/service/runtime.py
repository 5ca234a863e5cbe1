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
from callcontrol.service.billing import Billing
from callcontrol.service.callcontrol import CallControl, Hooks
from callcontrol.service.effects import Effects
from callcontrol.service.live_hub import LiveHub
from callcontrol.service.live_publisher import LivePublisher
from callcontrol.service.observers import (
    announce_billed,
    billing_hooks,
    hub_hooks,
    metric_hooks,
    webhook_hooks,
)
from callcontrol.service.webhooks import WebhookWorker
from callcontrol.service.wiring import build_call_control
from callcontrol.settings import Settings
from callcontrol.store import outbox
from callcontrol.store.database import DATABASE_ERRORS, Database
from callcontrol.store.dids import sync_inventory
from callcontrol.store.migrations import migrate
from callcontrol.store.sessions import SessionRepository
from callcontrol.store.tokens import TokenRepository
from callcontrol.tasks import OwnedTask
from callcontrol.web.app import create_app
from callcontrol.web.dashboard import setup_dashboard
from callcontrol.web.live import setup_live

log = get_logger(__name__)


@dataclass
class Running:
    """What a started service exposes to the demo and the tests."""

    settings: Settings
    database: Database
    http_port: int
    call_control: CallControl | None
    billing: Billing
    hub: LiveHub
    effects: Effects


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
        log.info("http listening", address=f"http://{host}:{bound}/")
        yield bound
    finally:
        await runner.cleanup()


@asynccontextmanager
async def service_started(settings: Settings) -> AsyncIterator[Running]:
    async with AsyncExitStack() as stack:
        database = await stack.enter_async_context(database_started(settings))
        inventory = settings.inventory
        await sync_inventory(database, inventory.numbers, inventory.countries)
        billing = Billing(database)
        await billing.load_rates_file(inventory.rates)
        catch_up = OwnedTask("billing-catch-up", lambda: _catch_up_billing(billing, database))
        catch_up.start()
        stack.push_async_callback(catch_up.stop)
        effects = Effects()
        effects.start()
        stack.push_async_callback(effects.stop)
        hub = LiveHub()
        hooks = Hooks()
        metric_hooks(hooks)
        call_control: CallControl | None = None

        if settings.nodes:
            call_control = build_call_control(settings, database, hooks, billing.spent)
            webhook_hooks(hooks, call_control.writer)
            billing_hooks(hooks, effects, billing, call_control, database)
            hub_hooks(hooks, hub, call_control)
            await call_control.start()
            stack.push_async_callback(call_control.stop)
            publisher = LivePublisher(hub, call_control, billing)
            publisher.start()
            stack.push_async_callback(publisher.stop)
        else:
            log.warning("no PBX nodes configured: the API runs without call control")
        worker = WebhookWorker(database, settings.api)
        worker.start()
        stack.push_async_callback(worker.stop)
        tokens = TokenRepository(database)

        async def authenticate(token: str) -> str | None:
            found = await tokens.verify(token)
            return found.role.value if found is not None else None

        probes = call_control.nodes.probes() if call_control is not None else {}
        app = create_app(
            settings,
            database,
            probes,
            call_control=call_control,
            api_settings=settings.api,
            spent=billing.spent,
            leg_costs=billing.leg_costs,
        )
        setup_live(app, hub, authenticate)
        setup_dashboard(app)
        port = await stack.enter_async_context(
            http_served(app, settings.http.host, settings.http.port)
        )
        stack.callback(hub.close)  # first on the way out: live sockets close cleanly
        yield Running(settings, database, port, call_control, billing, hub, effects)


_CATCH_UP_EVERY_S = 60.0


async def _catch_up_billing(billing: Billing, database: Database) -> None:
    """What a crash or a failed write may have left undone, at start and then every minute:
    ended legs without a ledger line are rated, and closed sessions whose `session.billed`
    event is missing get it. A charge or an event is late at worst, never missing."""
    sessions = SessionRepository(database)
    while True:
        try:
            rated = await billing.catch_up()
            if rated:
                log.info("rated legs that had been missed", legs=rated)
            for session_id in await outbox.sessions_without_billed_event(
                database, _CATCH_UP_EVERY_S
            ):
                session = await sessions.get(session_id)
                if session is not None:
                    await announce_billed(billing, database, session)
                    log.info("session billed event restored", session_id=session_id)
        except DATABASE_ERRORS as exc:
            log.warning("billing catch-up failed; will retry", error=str(exc))
        await asyncio.sleep(_CATCH_UP_EVERY_S)


async def serve_until_signalled(
    settings: Settings, on_ready: Callable[[Running], object] | None = None
) -> None:
    """Run the service until SIGINT or SIGTERM, then stop every part cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with service_started(settings) as running:
            if on_ready is not None:
                result = on_ready(running)
                if asyncio.iscoroutine(result):
                    await result
            await stop.wait()
            log.info("stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(sig)
    log.info("stopped")
