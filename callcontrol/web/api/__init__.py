"""The HTTP API of callcontrol, versioned under /v1. ``install_api`` adds it to an app."""

from __future__ import annotations

from aiohttp import web

from callcontrol.service.ports import CallControlPort
from callcontrol.web.api import (  # noqa: F401 - importing a resource module declares its routes
    accounts,
    advanced_audio,
    audit,
    callme,
    controls,
    countries,
    docs,
    legs,
    openapi,
    session_actions,
    sessions,
    tokens,
)
from callcontrol.web.api.config import ApiSettings
from callcontrol.web.api.endpoint import API
from callcontrol.web.api.keys import API_SETTINGS, CALL_CONTROL

__all__ = ["ApiSettings", "install_api"]


def install_api(
    app: web.Application, api_settings: ApiSettings, call_control: CallControlPort | None
) -> None:
    app[API_SETTINGS] = api_settings
    if call_control is not None:
        app[CALL_CONTROL] = call_control
    API.add_routes(app)
    app.add_routes(openapi.routes)
    app.add_routes(docs.routes)
