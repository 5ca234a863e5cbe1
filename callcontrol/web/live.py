"""`GET /v1/live`: the dashboard's WebSocket, fed by the live hub.

Protocol (JSON text frames):

- auth: a ``token`` query parameter (refused with HTTP 401 when invalid), or a first client
  message ``{"type": "auth", "token": "..."}`` within ``auth_timeout_s`` (refused by closing
  with code 4401). The token is checked by the ``authenticate`` callable given to
  ``setup_live`` (sync or async), which answers a role or None.
- server -> client: ``welcome`` (role, ``read_only``), then ``snapshot``, then ``patch``
  batches (at most ``max_rate_hz`` a second) and ``history`` every ``history_every_s``.
- client -> server after auth: ``{"type": "resync"}`` asks for a fresh snapshot; anything
  else is answered with an ``error`` message.

A client whose socket does not take a message within ``send_timeout_s`` is dropped (its
connection aborted), which never delays the hub or the other clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from callcontrol.logsetup import get_logger
from callcontrol.service.live_hub import LiveHub, Subscription

log = get_logger(__name__)

routes = web.RouteTableDef()

# The role for a token, or None when the token is unknown; may be a coroutine function.
Authenticate = Callable[[str], "str | Awaitable[str | None] | None"]
ACTION_ROLES = frozenset({"operator", "admin"})
CLOSE_UNAUTHORIZED = 4401
_MAX_CLIENT_MESSAGE = 16 * 1024


@dataclass
class LiveEndpoint:
    hub: LiveHub
    authenticate: Authenticate
    auth_timeout_s: float = 10.0
    send_timeout_s: float = 5.0
    max_rate_hz: float = 4.0
    history_every_s: float = 10.0
    sockets: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)
    dropped: int = 0


LIVE = web.AppKey("live_endpoint", LiveEndpoint)


def setup_live(
    app: web.Application,
    hub: LiveHub,
    authenticate: Authenticate,
    *,
    auth_timeout_s: float = 10.0,
    send_timeout_s: float = 5.0,
    max_rate_hz: float = 4.0,
    history_every_s: float = 10.0,
) -> LiveEndpoint:
    """Serve `/v1/live` from ``hub``; the app closes every live socket at shutdown."""
    endpoint = LiveEndpoint(
        hub, authenticate, auth_timeout_s, send_timeout_s, max_rate_hz, history_every_s
    )
    app[LIVE] = endpoint
    app.add_routes(routes)
    app.on_shutdown.append(_close_all)
    return endpoint


async def _close_all(app: web.Application) -> None:
    for ws in list(app[LIVE].sockets):
        try:
            await asyncio.wait_for(
                ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown"), 2.0
            )
        except (TimeoutError, ConnectionError) as exc:
            log.info("live socket not closed cleanly at shutdown", error=repr(exc))


async def _role_for(endpoint: LiveEndpoint, token: str) -> str | None:
    if not token:
        return None
    result = endpoint.authenticate(token)
    if inspect.isawaitable(result):
        result = await result
    return result if isinstance(result, str) and result else None


async def _send(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    await ws.send_str(json.dumps(message, separators=(",", ":")))


async def _auth_from_message(ws: web.WebSocketResponse, endpoint: LiveEndpoint) -> str | None:
    try:
        msg = await ws.receive(timeout=endpoint.auth_timeout_s)
    except TimeoutError:
        log.info("live client sent no auth message in time")
        return None
    if msg.type is not WSMsgType.TEXT:
        return None
    try:
        body = json.loads(msg.data)
    except ValueError:
        log.info("live client auth message is not JSON")
        return None
    if not isinstance(body, dict) or body.get("type") != "auth":
        log.info("live client first message is not auth")
        return None
    token = body.get("token")
    return await _role_for(endpoint, token) if isinstance(token, str) else None


@routes.get("/v1/live")
async def live(request: web.Request) -> web.StreamResponse:
    endpoint = request.app[LIVE]
    role: str | None = None
    token = request.query.get("token")
    if token is not None:
        role = await _role_for(endpoint, token)
        if role is None:
            return web.json_response(
                {"error": {"code": "unauthorized", "message": "invalid token"}}, status=401
            )
    ws = web.WebSocketResponse(
        timeout=2.0, heartbeat=30.0, max_msg_size=_MAX_CLIENT_MESSAGE, compress=False
    )
    await ws.prepare(request)
    if role is None:
        role = await _auth_from_message(ws, endpoint)
        if role is None:
            await _send(ws, {"type": "error", "code": "unauthorized", "message": "invalid token"})
            await ws.close(code=CLOSE_UNAUTHORIZED, message=b"unauthorized")
            return ws
    endpoint.sockets.add(ws)
    read_only = role not in ACTION_ROLES
    await _send(
        ws,
        {
            "type": "welcome",
            "role": role,
            "read_only": read_only,
            "max_rate_hz": endpoint.max_rate_hz,
        },
    )
    sub = endpoint.hub.subscribe(endpoint.max_rate_hz, history_every_s=endpoint.history_every_s)
    pump = asyncio.create_task(_pump(request, ws, sub, endpoint))
    try:
        await _read_client(ws, sub)
    finally:
        sub.close()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
    return ws


async def _pump(
    request: web.Request, ws: web.WebSocketResponse, sub: Subscription, endpoint: LiveEndpoint
) -> None:
    """Hub -> socket. A socket that will not take a message in time is aborted."""
    try:
        while True:
            text = await sub.next_text()
            await asyncio.wait_for(ws.send_str(text), endpoint.send_timeout_s)
    except StopAsyncIteration:
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
    except TimeoutError:
        endpoint.dropped += 1
        log.warning("live client too slow, dropped", timeout_s=endpoint.send_timeout_s)
        if request.transport is not None:
            request.transport.abort()
    except ConnectionError as exc:
        log.info("live client gone", error=repr(exc))


async def _read_client(ws: web.WebSocketResponse, sub: Subscription) -> None:
    async for msg in ws:
        if msg.type is not WSMsgType.TEXT:
            continue
        try:
            body = json.loads(msg.data)
        except ValueError:
            body = None
        kind = body.get("type") if isinstance(body, dict) else None
        if kind == "resync":
            sub.request_snapshot()
        elif kind == "ping":
            await _send(ws, {"type": "pong"})
        else:
            log.info("live client sent an unknown message", message_type=repr(kind))
            await _send(
                ws,
                {"type": "error", "code": "bad_message", "message": f"unknown message {kind!r}"},
            )
