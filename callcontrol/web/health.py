"""Liveness and readiness: /healthz says the process answers, /readyz that its parts do."""

from __future__ import annotations

import asyncio

from aiohttp import web

from callcontrol.web.keys import PROBES

routes = web.RouteTableDef()
_PROBE_TIMEOUT_S = 3.0


@routes.get("/healthz")
async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _run_probe(probe: object) -> tuple[bool, str]:
    try:
        return await asyncio.wait_for(probe(), _PROBE_TIMEOUT_S)  # type: ignore[operator]
    except TimeoutError:
        return False, f"no answer within {_PROBE_TIMEOUT_S:g} s"


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    probes = request.app[PROBES]
    names = list(probes)
    results = await asyncio.gather(*(_run_probe(probes[n]) for n in names))
    checks = {
        name: {"ok": ok, "detail": detail}
        for name, (ok, detail) in zip(names, results, strict=True)
    }
    down = [name for name, (ok, _) in zip(names, results, strict=True) if not ok]
    body = {"status": "ready" if not down else "not_ready", "down": down, "checks": checks}
    return web.json_response(body, status=200 if not down else 503)
