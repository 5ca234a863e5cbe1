"""X-Request-Id: taken from the caller when it is sane, made up otherwise; in every answer and log."""

from __future__ import annotations

import re
import uuid

from aiohttp import web

from callcontrol.logsetup import bound
from callcontrol.web.api.errors import Handler

HEADER = "X-Request-Id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
REQUEST_ID = web.RequestKey("request_id", str)


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    offered = request.headers.get(HEADER, "")
    request_id = offered if _SANE.fullmatch(offered) else uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    with bound(request_id=request_id):
        response = await handler(request)
    response.headers[HEADER] = request_id
    return response
