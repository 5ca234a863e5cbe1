"""The OpenAPI 3.1 document, printed from the endpoint declarations the server validates with."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcontrol import __version__
from callcontrol.web.api.endpoint import API, Endpoint
from callcontrol.web.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from callcontrol.web.api.idempotency import KEY_PATTERN

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "stable; see docs/api.md"},
                "message": {"type": "string"},
                "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
            "required": ["code", "message", "field"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}
_ERROR_TEXT = {
    400: "Malformed JSON",
    401: "No token, or a token unknown or revoked",
    403: "The token's role may not do this, or a business rule refuses",
    404: "No such resource",
    409: "Conflicts with the current state",
    413: "Body larger than the configured limit",
    415: "Body is not application/json",
    422: "A field is invalid or a rule refuses the request",
    429: "A rate limit is reached (Retry-After says when to retry)",
    503: "Call control is not available on this server",
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    roles = ", ".join(sorted(r.value for r in endpoint.roles))
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": schema.json_schema()}
        for name, schema in endpoint.params.items()
    ]
    if endpoint.idempotent:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "the same key replays the first answer and creates nothing new",
                "schema": {"type": "string", "pattern": KEY_PATTERN},
            }
        )
    ok: dict[str, Any] = {"description": "Success"}
    if endpoint.ok_schema is not None:
        ok["content"] = _json(endpoint.ok_schema.json_schema())
    responses: dict[str, Any] = {str(endpoint.ok_status): ok}
    for status in endpoint.error_statuses():
        responses[str(status)] = {"description": _ERROR_TEXT[status], "content": _json(_ERROR_REF)}
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "description": f"{endpoint.description}\n\nRoles: {roles}.".strip(),
        "tags": [endpoint.tag],
        "x-roles": sorted(r.value for r in endpoint.roles),
        "parameters": parameters,
        "responses": responses,
    }
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": _json(endpoint.body.json_schema()),
        }
    return operation


def _open_operations() -> dict[str, Any]:
    text = {"text/plain": {"schema": {"type": "string"}}}
    readiness = _json({"type": "object"})
    return {
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "The process answers",
                "tags": ["health"],
                "security": [],
                "responses": {"200": {"description": "Alive", "content": readiness}},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "The database and nodes answer",
                "tags": ["health"],
                "security": [],
                "responses": {
                    "200": {"description": "Ready", "content": readiness},
                    "503": {"description": "A part is down", "content": readiness},
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics",
                "tags": ["health"],
                "security": [],
                "responses": {"200": {"description": "Prometheus text format", "content": text}},
            }
        },
    }


def _links(endpoint: Endpoint) -> dict[str, Any]:
    """OpenAPI links from an answer carrying an id (session_id, leg_id, ...) to every
    operation taking that id in its path, so clients and test tools can follow them."""
    schema = endpoint.ok_schema.json_schema() if endpoint.ok_schema is not None else {}
    ids = [name for name in schema.get("properties", {}) if name.endswith("_id")]
    links = {}
    for other in API.endpoints:
        shared = [name for name in ids if name in other.params]
        if other is not endpoint and len(shared) == len(other.params) and shared:
            links[other.operation_id] = {
                "operationId": other.operation_id,
                "parameters": {name: f"$response.body#/{name}" for name in shared},
            }
    return links


def build_document() -> dict[str, Any]:
    paths: dict[str, Any] = _open_operations()
    for endpoint in API.endpoints:
        operation = _operation(endpoint)
        links = _links(endpoint) if endpoint.method in ("POST", "PUT") else {}
        if links:
            operation["responses"][str(endpoint.ok_status)]["links"] = links
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "callcontrol API",
            "version": __version__,
            "description": "Call control for webinar audio. Errors always have the Error shape.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR},
        },
    }


routes = web.RouteTableDef()


@routes.get("/openapi.json")
async def openapi_json(_: web.Request) -> web.Response:
    return web.json_response(build_document())
