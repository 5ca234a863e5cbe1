"""HTTP control of a simulated cluster (aiohttp), mirroring the Python API.

    POST /calls            {"did", "caller_num", "caller_name"?, "digits"?, "hangup_after_s"?,
                            "script"?: [{"type": "digits"|"keypad"|"wait_ms"|"hangup"|"talk", ...}]}
    POST /callees          {"number", "kind"?, "ring_s"?, "digits"?, "digits_after_s"?,
                            "hangup_after_s"?}
    GET  /channels         live channels;  GET /conferences
    POST /faults/drop-ami | /faults/delay-events {"ms"} | /faults/ping {"silent"}
         /faults/restart {"downtime_s", "crash"} | /faults/malformed
    GET  /healthz
Every endpoint takes ``?node=N`` (0-based, default 0).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from callcontrol.sim.callees import CalleeBehaviour
from callcontrol.sim.callers import step_from_dict
from callcontrol.sim.node import SimCluster, SimNode

log = logging.getLogger(__name__)


class BadRequest(ValueError):
    pass


def _node(cluster: SimCluster, request: web.Request) -> SimNode:
    raw = request.query.get("node", "0")
    if not raw.isdigit() or int(raw) >= len(cluster):
        raise BadRequest(f"node must be 0..{len(cluster) - 1}")
    return cluster[int(raw)]


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def build_app(cluster: SimCluster) -> web.Application:
    routes = web.RouteTableDef()

    @routes.get("/healthz")
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "ok",
                "nodes": [{"name": n.config.name, "ami_port": n.ami_port} for n in cluster.nodes],
            }
        )

    @routes.post("/calls")
    async def calls(request: web.Request) -> web.Response:
        node, body = _node(cluster, request), await _body(request)
        try:
            did, caller_num = str(body["did"]), str(body["caller_num"])
        except KeyError as exc:
            raise BadRequest(f"missing field {exc}") from exc
        script = [step_from_dict(s) for s in body["script"]] if body.get("script") else None
        caller = node.place_call(
            did,
            caller_num,
            str(body.get("caller_name", "")),
            script,
            digits=body.get("digits"),
            hangup_after_s=body.get("hangup_after_s"),
        )
        ch = caller.channel
        assert ch is not None
        return web.json_response({"channel": ch.name, "uniqueid": ch.uniqueid}, status=201)

    @routes.post("/callees")
    async def callees(request: web.Request) -> web.Response:
        node, body = _node(cluster, request), await _body(request)
        number = body.pop("number", None)
        if not number:
            raise BadRequest("missing field 'number'")
        behaviour = node.add_callee(str(number), CalleeBehaviour.from_dict(body))
        return web.json_response({"number": number, **behaviour.__dict__}, status=201)

    @routes.get("/channels")
    async def channels(request: web.Request) -> web.Response:
        return web.json_response(_node(cluster, request).channels())

    @routes.get("/conferences")
    async def conferences(request: web.Request) -> web.Response:
        return web.json_response(_node(cluster, request).conferences())

    @routes.post("/faults/{fault}")
    async def fault(request: web.Request) -> web.Response:
        node, body = _node(cluster, request), await _body(request)
        name = request.match_info["fault"]
        if name == "drop-ami":
            return web.json_response({"dropped": node.fault_drop_connections()})
        if name == "delay-events":
            node.fault_delay_events(float(body.get("ms", 0)))
        elif name == "ping":
            node.fault_silent_ping(bool(body.get("silent", True)))
        elif name == "restart":
            await node.fault_restart(float(body.get("downtime_s", 0.2)), body.get("crash") is True)
        elif name == "malformed":
            node.fault_malformed_frame()
        else:
            raise web.HTTPNotFound(text=f"unknown fault {name!r}")
        return web.json_response({"fault": name, "node": node.config.name})

    @web.middleware
    async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except (BadRequest, ValueError, TypeError) as exc:
            log.info("control API: bad request %s %s: %s", request.method, request.path, exc)
            return web.json_response({"error": str(exc)}, status=400)

    app = web.Application(middlewares=[errors])
    app.add_routes(routes)
    return app


async def start_control(cluster: SimCluster, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(build_app(cluster))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
