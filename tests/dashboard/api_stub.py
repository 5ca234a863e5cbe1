"""A stand-in for the HTTP API's operator endpoints the page calls, for page tests only.

It checks the bearer token's role, records every action (its audit list), and applies mute
and drop to the hub the way call control would, so the page sees the result come back live.
End-to-end tests use the real API instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from callcontrol.service.live_hub import LiveHub

ACTION_ROLES = {"operator", "admin"}


@dataclass
class ApiStub:
    hub: LiveHub
    tokens: dict[str, str]
    audit: list[dict[str, Any]] = field(default_factory=list)
    session_legs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def install(self, app: web.Application) -> None:
        app.router.add_post("/v1/legs/{id}/mute", self._mute)
        app.router.add_post("/v1/legs/{id}/unmute", self._unmute)
        app.router.add_delete("/v1/legs/{id}", self._drop)
        app.router.add_post("/v1/sessions/{id}/{action:mute-all|lock|unlock}", self._session)
        app.router.add_get("/v1/sessions/{id}/legs", self._legs)
        app.router.add_get("/v1/audit", self._audit)

    def _role(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        role = self.tokens.get(header.removeprefix("Bearer ").strip())
        if role is None:
            raise web.HTTPUnauthorized(
                text='{"error":{"code":"unauthorized","message":"invalid token"}}',
                content_type="application/json",
            )
        return role

    def _act(self, request: web.Request, action: str, target: str) -> None:
        role = self._role(request)
        if role not in ACTION_ROLES:
            raise web.HTTPForbidden(
                text='{"error":{"code":"forbidden","message":"operators only"}}',
                content_type="application/json",
            )
        self.audit.insert(
            0, {"at_ms": int(time.time() * 1000), "actor": role, "action": action, "target": target}
        )

    def _set_leg(self, leg_id: str, **changes: Any) -> None:
        leg = self.hub.snapshot()["leg"].get(leg_id)
        if leg is None:
            raise web.HTTPNotFound(
                text='{"error":{"code":"leg_not_live","message":"no such live leg"}}',
                content_type="application/json",
            )
        self.hub.publish("leg", leg_id, {**leg, **changes})

    async def _mute(self, request: web.Request) -> web.Response:
        self._act(request, "leg.mute", request.match_info["id"])
        self._set_leg(request.match_info["id"], muted=True)
        return web.json_response({"ok": True})

    async def _unmute(self, request: web.Request) -> web.Response:
        self._act(request, "leg.unmute", request.match_info["id"])
        self._set_leg(request.match_info["id"], muted=False)
        return web.json_response({"ok": True})

    async def _drop(self, request: web.Request) -> web.Response:
        self._act(request, "leg.drop", request.match_info["id"])
        now = int(time.time() * 1000)
        self._set_leg(
            request.match_info["id"], state="ended", ended_at_ms=now, end_reason="operator_drop"
        )
        return web.json_response({"ok": True})

    async def _session(self, request: web.Request) -> web.Response:
        self._act(request, f"session.{request.match_info['action']}", request.match_info["id"])
        return web.json_response({"ok": True})

    async def _legs(self, request: web.Request) -> web.Response:
        self._role(request)
        return web.json_response({"legs": self.session_legs.get(request.match_info["id"], [])})

    async def _audit(self, request: web.Request) -> web.Response:
        self._role(request)
        return web.json_response({"items": self.audit[: int(request.query.get("limit", "100"))]})
