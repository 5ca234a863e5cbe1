"""Typed keys for what the API adds to the aiohttp application and to each request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from aiohttp import web

from callcontrol.service.ports import CallControlPort
from callcontrol.store.tokens import Token
from callcontrol.web.api.config import ApiSettings

API_SETTINGS = web.AppKey("api_settings", ApiSettings)
# Absent when no call control runs (API-only deployments): calls answer 503 pbx_unavailable.
CALL_CONTROL = web.AppKey("call_control", CallControlPort)
IDENTITY = web.RequestKey("identity", Token)
# What an account has spent this month (billing); absent: nothing is counted against caps.
SPENT: web.AppKey[Callable[[str], Awaitable[Decimal]]] = web.AppKey("spent")
# Each leg's cost so far in a session (billing); absent: costs show as null.
LEG_COSTS: web.AppKey[Callable[[str], Awaitable[dict[str, Decimal]]]] = web.AppKey("leg_costs")
