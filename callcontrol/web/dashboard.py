"""The operator dashboard page: `/` and its files under `/static/`, committed, no CDN.

The page talks to `/v1/live` (WebSocket) and the API with the operator's bearer token; the
files themselves are public (they hold no data), so `/` and `/static/` need no token.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Only the files shipped with the package are served; a name never becomes a path.
_FILES = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file()} if STATIC_DIR.is_dir() else {}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidate every time: a new release must never run against an old script.
    "Cache-Control": "no-cache",
}

routes = web.RouteTableDef()


def _file(name: str) -> web.FileResponse:
    path = _FILES.get(name)
    if path is None:
        raise web.HTTPNotFound(text=f"no such dashboard file: {name}")
    return web.FileResponse(path, headers=_SECURITY_HEADERS)


@routes.get("/")
async def index(_: web.Request) -> web.FileResponse:
    return _file("index.html")


@routes.get("/static/{name}")
async def static_file(request: web.Request) -> web.FileResponse:
    return _file(request.match_info["name"])


def setup_dashboard(app: web.Application) -> None:
    app.add_routes(routes)
