"""GET /v1/accounts/{id}/usage?from=&to=[&format=csv]: an account's usage report.

JSON groups the legs per session with totals per kind, country and currency; CSV streams the
same lines from a server-side cursor (then the totals), so a large report never sits in
memory. `from` and `to` are UTC dates (YYYY-MM-DD) or ISO 8601 times with a zone; `to` is
excluded. Register with ``app.add_routes(usage.routes)``.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from callcontrol.service import usage_format as fmt
from callcontrol.store import usage
from callcontrol.web.api.errors import ApiError, error_response, not_found
from callcontrol.web.keys import DATABASE

if TYPE_CHECKING:
    import asyncpg

routes = web.RouteTableDef()
_FORMATS = ("json", "csv")
_CSV_FLUSH_ROWS = 500


def parse_time(text: str | None, name: str) -> int:
    """Epoch ms of a UTC date or an ISO 8601 time with a zone; ApiError naming the field."""
    if not text:
        raise ApiError(400, "invalid_parameter", f"{name} is required (YYYY-MM-DD)", name)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, "invalid_parameter", f"{name} must be YYYY-MM-DD or an ISO 8601 time", name
        ) from None
    if len(text) == 10:
        moment = moment.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        raise ApiError(400, "invalid_parameter", f"{name} needs a time zone (e.g. Z)", name)
    return int(moment.timestamp() * 1000)


def _query(request: web.Request) -> tuple[int, int, str]:
    from_ms = parse_time(request.query.get("from"), "from")
    to_ms = parse_time(request.query.get("to"), "to")
    if to_ms <= from_ms:
        raise ApiError(400, "invalid_parameter", "to must be after from", "to")
    form = request.query.get("format", "json")
    if form not in _FORMATS:
        raise ApiError(400, "invalid_parameter", "format must be json or csv", "format")
    return from_ms, to_ms, form


@routes.get("/v1/accounts/{account_id}/usage")
async def get_usage(request: web.Request) -> web.StreamResponse:
    account_id = request.match_info["account_id"]
    try:
        from_ms, to_ms, form = _query(request)
        database = request.app[DATABASE]
        async with database.connection() as conn:
            if not await usage.account_exists(conn, account_id):
                raise not_found("account", account_id)
            if form == "csv":
                return await _csv(request, conn, account_id, from_ms, to_ms)
            lines = await usage.usage_lines(conn, account_id, from_ms, to_ms)
            totals = await usage.usage_totals(conn, account_id, from_ms, to_ms)
    except ApiError as error:
        return error_response(error)
    return web.json_response(fmt.report_json(account_id, from_ms, to_ms, lines, totals))


async def _csv(
    request: web.Request, conn: asyncpg.Connection, account_id: str, from_ms: int, to_ms: int
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="usage-{account_id}.csv"',
        }
    )
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fmt.CSV_HEADER)
    rows = 0
    # One snapshot for the lines and the totals, read through a server-side cursor.
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        async for line in usage.stream_usage_lines(conn, account_id, from_ms, to_ms):
            writer.writerow(fmt.csv_line_row(line))
            rows += 1
            if rows % _CSV_FLUSH_ROWS == 0:
                await response.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
        for total in await usage.usage_totals(conn, account_id, from_ms, to_ms):
            writer.writerow(fmt.csv_total_row(total))
    await response.write(buffer.getvalue().encode())
    await response.write_eof()
    return response
