"""Bearer-token authentication: every path but the configured open ones needs a live token.

The token is looked up on every request (one indexed read), so a revoked token is refused at
once; nothing is cached past a revocation. Which role may call what is declared per endpoint.
"""

from __future__ import annotations

from aiohttp import web

from callcontrol.logsetup import bound
from callcontrol.store.tokens import TokenRepository
from callcontrol.web.api.errors import ApiError, Handler
from callcontrol.web.api.keys import IDENTITY
from callcontrol.web.keys import DATABASE, SETTINGS

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="callcontrol"'}
# The dashboard's page and assets hold no data (it logs in with a token of its own), and the
# live feed checks the token itself, as browsers cannot put headers on a WebSocket.
_SELF_AUTHENTICATED = frozenset({"/", "/v1/live"})
_STATIC_PREFIX = "/static/"


def _refuse(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers=_CHALLENGE)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if (
        path in request.app[SETTINGS].http.open_paths
        or path in _SELF_AUTHENTICATED
        or path.startswith(_STATIC_PREFIX)
    ):
        return await handler(request)
    header = request.headers.get("Authorization")
    if not header:
        raise _refuse("missing_token", "send Authorization: Bearer <token>")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _refuse("invalid_token", "the Authorization header must be Bearer <token>")
    token = await TokenRepository(request.app[DATABASE]).verify(value.strip())
    if token is None:
        raise _refuse("invalid_token", "the token is unknown or revoked")
    request[IDENTITY] = token
    with bound(token_id=token.token_id, role=token.role.value):
        return await handler(request)
