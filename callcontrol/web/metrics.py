"""/metrics in the Prometheus text format. The metric objects live in callcontrol.metrics;
gauges that mirror the database (outbox depth, pool use) are refreshed at each scrape."""

from __future__ import annotations

import asyncpg
from aiohttp import web
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from callcontrol.logsetup import get_logger
from callcontrol.metrics import (
    AMI_EVENTS,
    AMI_RECONNECTS,
    CALLME_REFUSALS,
    DB_POOL_IN_USE,
    DB_POOL_SIZE,
    IVR_DECISION_SECONDS,
    LIVE_LEGS,
    LOCKOUTS,
    NEW_CALLS,
    REGISTRY,
    WEBHOOK_DELIVERIES,
    WEBHOOK_OUTBOX_DEPTH,
)
from callcontrol.store import outbox
from callcontrol.web.keys import DATABASE

log = get_logger(__name__)

__all__ = [
    "AMI_EVENTS",
    "AMI_RECONNECTS",
    "CALLME_REFUSALS",
    "DB_POOL_IN_USE",
    "DB_POOL_SIZE",
    "IVR_DECISION_SECONDS",
    "LIVE_LEGS",
    "LOCKOUTS",
    "NEW_CALLS",
    "REGISTRY",
    "WEBHOOK_DELIVERIES",
    "WEBHOOK_OUTBOX_DEPTH",
    "routes",
]

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    database = request.app[DATABASE]
    pool = database.pool
    if pool is not None:
        DB_POOL_SIZE.set(pool.get_size())
        DB_POOL_IN_USE.set(pool.get_size() - pool.get_idle_size())
    try:
        WEBHOOK_OUTBOX_DEPTH.set(await outbox.depth(database))
    except (
        OSError,
        TimeoutError,
        RuntimeError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ) as exc:
        # A scrape must still answer when the database is away; the gauge keeps its last value.
        log.warning("outbox depth not read", error=str(exc))
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
