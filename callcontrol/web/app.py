"""The aiohttp application factory: routes, middlewares, and what the app carries."""

from __future__ import annotations

from aiohttp import web

from callcontrol.settings import Settings
from callcontrol.store.database import Database
from callcontrol.web import health
from callcontrol.web.keys import DATABASE, PROBES, SETTINGS, ReadinessProbe


def create_app(
    settings: Settings, database: Database, probes: dict[str, ReadinessProbe] | None = None
) -> web.Application:
    app = web.Application(client_max_size=settings.http.max_body_bytes)
    app[SETTINGS] = settings
    app[DATABASE] = database

    async def database_probe() -> tuple[bool, str]:
        ok = await database.ping()
        return ok, "connected" if ok else "not reachable"

    app[PROBES] = {"database": database_probe, **(probes or {})}
    app.add_routes(health.routes)
    return app
