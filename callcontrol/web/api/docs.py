"""/docs: the OpenAPI document rendered as one self-contained HTML page (no scripts, no CDN)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from aiohttp import web

from callcontrol.web.api.openapi import build_document

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ccc;text-transform:capitalize}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
.path{font-family:monospace;font-size:1rem}.roles{color:#666;font-size:.9rem}
pre{background:#f6f6f6;padding:.6rem;overflow:auto;font-size:.82rem;border-radius:4px}
details summary{cursor:pointer;color:#245}table{border-collapse:collapse}
td{padding:.15rem .6rem;border-bottom:1px solid #eee;vertical-align:top}
"""


def _schema_block(title: str, schema: dict[str, Any]) -> str:
    text = escape(json.dumps(schema, indent=2))
    return f"<details><summary>{escape(title)}</summary><pre>{text}</pre></details>"


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    parts = [
        f'<div class="op"><span class="m">{method.upper()}</span>'
        f'<span class="path">{escape(path)}</span> — {escape(op.get("summary", ""))}',
    ]
    roles = op.get("x-roles")
    parts.append(
        f'<div class="roles">roles: {escape(", ".join(roles))}</div>'
        if roles
        else '<div class="roles">open: no token needed</div>'
    )
    description = op.get("description", "").split("\n\nRoles:")[0]
    if description:
        parts.append(f"<p>{escape(description)}</p>")
    for param in op.get("parameters", []):
        parts.append(f"<div>parameter <code>{escape(param['name'])}</code> ({param['in']})</div>")
    body = op.get("requestBody")
    if body:
        parts.append(_schema_block("request body", body["content"]["application/json"]["schema"]))
    rows = "".join(
        f"<tr><td>{status}</td><td>{escape(answer['description'])}</td></tr>"
        for status, answer in op["responses"].items()
    )
    parts.append(f"<table>{rows}</table>")
    for status, answer in op["responses"].items():
        content = answer.get("content", {}).get("application/json")
        if content and status.startswith("2"):
            parts.append(_schema_block(f"{status} response body", content["schema"]))
    parts.append("</div>")
    return "".join(parts)


def render_docs(document: dict[str, Any]) -> str:
    by_tag: dict[str, list[str]] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            by_tag.setdefault(op["tags"][0], []).append(_operation(method, path, op))
    sections = "".join(f"<h2>{escape(tag)}</h2>{''.join(ops)}" for tag, ops in by_tag.items())
    info = document["info"]
    error = escape(json.dumps(document["components"]["schemas"]["Error"], indent=2))
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{escape(info['title'])}</title><style>{_STYLE}</style>"
        f"<h1>{escape(info['title'])} {escape(info['version'])}</h1>"
        f"<p>{escape(info['description'])} Send <code>Authorization: Bearer &lt;token&gt;</code>. "
        'The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>'
        f"<details><summary>the error shape</summary><pre>{error}</pre></details>"
        f"{sections}</html>"
    )


routes = web.RouteTableDef()


@routes.get("/docs")
async def docs_page(_: web.Request) -> web.Response:
    return web.Response(text=render_docs(build_document()), content_type="text/html")
