"""Typed keys for what the aiohttp application carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from callcontrol.settings import Settings
from callcontrol.store.database import Database

# A readiness probe answers (ok, detail) for one part the service needs.
ReadinessProbe = Callable[[], Awaitable[tuple[bool, str]]]

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
PROBES = web.AppKey("probes", dict[str, ReadinessProbe])
