"""Reading a JSON request body: media type, size (aiohttp enforces client_max_size), syntax."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from callcontrol.web.api.errors import ApiError
from callcontrol.web.api.schema import Schema


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def read_json(request: web.Request, schema: Schema) -> Any:
    """The body validated by ``schema``; 415, 413, 400 or 422 in the error shape otherwise."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    raw = await request.read()  # raises 413 past settings.http.max_body_bytes
    if not raw.strip():
        raise ApiError(400, "invalid_json", "the body is empty; send a JSON object")
    try:
        value = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    return schema.validate(value, "")


async def refuse_unexpected_body(request: web.Request) -> None:
    """An endpoint that takes no body refuses one rather than ignore it (GET bodies aside)."""
    if request.method == "GET" or not request.body_exists:
        return
    if (await request.read()).strip():
        raise ApiError(400, "unexpected_body", "this endpoint takes no request body")
