"""The one shape of every error answer: {"error": {"code", "message", "field"}}.

Handlers raise ``ApiError``; the middleware here also turns aiohttp's own answers (unknown path,
wrong method, body too large) and any unexpected failure into the same shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from callcontrol.logsetup import get_logger

log = get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# aiohttp's own refusals, with the stable codes the API documents for them.
_HTTP_CODES = {
    400: "bad_request",
    401: "missing_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code, a message and maybe the field at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(error: ApiError) -> web.Response:
    return web.json_response(
        error_body(error.code, error.message, error.field),
        status=error.status,
        headers=error.headers,
    )


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, f"{what}_not_found", f"no {what.replace('_', ' ')} {ident!r}")


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        if error.status >= 500:
            log.warning("request refused", code=error.code, status=error.status)
        else:
            log.info("request refused", code=error.code, status=error.status, field=error.field)
        return error_response(error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, f"http_{exc.status}")
        message = exc.reason if exc.status != 413 else "the request body is too large"
        headers = {}
        if exc.status == 405 and "Allow" in exc.headers:
            headers["Allow"] = exc.headers["Allow"]
        log.info("request refused", code=code, status=exc.status)
        return error_response(ApiError(exc.status, code, message, headers=headers))
    except Exception:  # the last line of defence: log it, answer the documented 500 shape
        log.exception("unexpected error while handling request", path=request.path)
        return error_response(ApiError(500, "internal_error", "unexpected server error"))
