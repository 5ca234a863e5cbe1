"""The aiohttp application factory: routes, middlewares, and what the app carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from aiohttp import web

from callcontrol.service.ports import CallControlPort
from callcontrol.settings import Settings
from callcontrol.store.database import Database
from callcontrol.web import health, metrics
from callcontrol.web.api import install_api, usage
from callcontrol.web.api.auth import auth_middleware
from callcontrol.web.api.config import ApiSettings
from callcontrol.web.api.errors import errors_middleware
from callcontrol.web.api.keys import LEG_COSTS, SPENT
from callcontrol.web.api.requestid import request_id_middleware
from callcontrol.web.keys import DATABASE, PROBES, SETTINGS, ReadinessProbe


def create_app(
    settings: Settings,
    database: Database,
    probes: dict[str, ReadinessProbe] | None = None,
    *,
    call_control: CallControlPort | None = None,
    api_settings: ApiSettings | None = None,
    spent: Callable[[str], Awaitable[Decimal]] | None = None,
    leg_costs: Callable[[str], Awaitable[dict[str, Decimal]]] | None = None,
) -> web.Application:
    # Outermost first: every answer gets a request id, every error the one JSON shape, and
    # only then is the token checked.
    app = web.Application(
        client_max_size=settings.http.max_body_bytes,
        middlewares=[request_id_middleware, errors_middleware, auth_middleware],
    )
    app[SETTINGS] = settings
    app[DATABASE] = database

    async def database_probe() -> tuple[bool, str]:
        ok = await database.ping()
        return ok, "connected" if ok else "not reachable"

    app[PROBES] = {"database": database_probe, **(probes or {})}
    app.add_routes(health.routes)
    app.add_routes(metrics.routes)
    install_api(app, api_settings or ApiSettings(), call_control)
    app.add_routes(usage.routes)
    if spent is not None:
        app[SPENT] = spent
    if leg_costs is not None:
        app[LEG_COSTS] = leg_costs
    return app
