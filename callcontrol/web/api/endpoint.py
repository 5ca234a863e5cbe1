"""Endpoint declarations: method, path, roles, schemas and answers, in one place.

A handler is declared with ``api.route(...)``; the declaration drives the checks done before the
handler runs (role, path parameters, body, Idempotency-Key) and the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from callcontrol.service.ports import CallControlPort
from callcontrol.store.database import Database
from callcontrol.store.tokens import Role, Token
from callcontrol.web.api.body import read_json, refuse_unexpected_body
from callcontrol.web.api.config import ApiSettings
from callcontrol.web.api.errors import ApiError
from callcontrol.web.api.idempotency import run_idempotent
from callcontrol.web.api.keys import API_SETTINGS, CALL_CONTROL, IDENTITY
from callcontrol.web.api.schema import Obj, Schema, Str
from callcontrol.web.keys import DATABASE

ALL_ROLES = frozenset(Role)
WRITERS = frozenset({Role.APP, Role.ADMIN})
CONTROLLERS = frozenset({Role.APP, Role.OPERATOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

# Identifiers in paths: what the API hands out and accepts.
ID = Str(min_length=1, max_length=64, pattern="^[A-Za-z0-9_-]+$")
_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True, slots=True)
class Reply:
    body: Any
    status: int = 200
    location: str | None = None

    def response(self, replayed: bool = False) -> web.Response:
        headers = {"Location": self.location} if self.location else {}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return web.json_response(self.body, status=self.status, headers=headers)


@dataclass(slots=True)
class Call:
    """One validated request, as handlers see it."""

    request: web.Request
    token: Token
    params: dict[str, str]
    body: dict[str, Any]

    @property
    def database(self) -> Database:
        return self.request.app[DATABASE]

    @property
    def settings(self) -> ApiSettings:
        return self.request.app[API_SETTINGS]

    @property
    def call_control(self) -> CallControlPort | None:
        return self.request.app.get(CALL_CONTROL)

    @property
    def actor(self) -> str:
        return f"token:{self.token.token_id}"

    def require_call_control(self) -> CallControlPort:
        port = self.call_control
        if port is None:
            raise ApiError(503, "pbx_unavailable", "no call control is running on this server")
        return port


HandlerFn = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: HandlerFn
    summary: str
    tag: str
    roles: frozenset[Role]
    ok_status: int
    ok_schema: Schema | None
    body: Obj | None = None
    params: Mapping[str, Str] = field(default_factory=dict)
    errors: tuple[int, ...] = ()  # statuses beyond those every endpoint may answer
    idempotent: bool = False
    description: str = ""

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    def error_statuses(self) -> list[int]:
        statuses = {401, 403, *self.errors}
        if self.params:
            statuses.add(404)
        if self.body is not None:
            statuses.update({400, 413, 415, 422})
        elif self.method != "GET":
            statuses.update({400, 413})
        if self.idempotent:
            statuses.update({409, 422})
        return sorted(statuses)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        token = request[IDENTITY]
        if token.role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            raise ApiError(403, "forbidden_role", f"a {token.role} token cannot; needs {allowed}")
        params = {}
        for name, schema in self.params.items():
            value = request.match_info[name]
            try:
                params[name] = schema.validate(value, name)
            except ApiError:
                raise ApiError(404, "not_found", f"no such {name}: {value!r}", name) from None
        if self.body is not None:
            body = await read_json(request, self.body)
        else:
            await refuse_unexpected_body(request)
            body = {}
        call = Call(request, token, params, body)
        if self.idempotent:
            return await run_idempotent(call, self.handler)
        reply = await self.handler(call)
        return reply.response()


class Api:
    """The registry of declared endpoints."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        roles: frozenset[Role],
        ok: tuple[int, Schema | None],
        body: Obj | None = None,
        params: Mapping[str, Str] | None = None,
        errors: tuple[int, ...] = (),
        idempotent: bool = False,
    ) -> Callable[[HandlerFn], HandlerFn]:
        names = _PARAM.findall(path)
        declared = dict(params or {})
        params_for_path = {name: declared.get(name, ID) for name in names}

        def register(handler: HandlerFn) -> HandlerFn:
            self.endpoints.append(
                Endpoint(
                    method=method,
                    path=path,
                    handler=handler,
                    summary=summary,
                    tag=tag,
                    roles=roles,
                    ok_status=ok[0],
                    ok_schema=ok[1],
                    body=body,
                    params=params_for_path,
                    errors=errors,
                    idempotent=idempotent,
                    description=(handler.__doc__ or "").strip(),
                )
            )
            return handler

        return register

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, endpoint.path, endpoint.dispatch)


API = Api()
